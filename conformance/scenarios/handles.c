/*
 * Handles (handles.h), the optional feature set of lab 04. Every scenario
 * needs SHMLAB_FEATURE_HANDLES: a library that does not declare it is
 * skipped, never passed.
 *
 * Worker 0 opens a file (a memfd of pattern() bytes) at descriptor GIVER_FD,
 * leaves its file offset at START, records what identifies the file, and
 * gives it through tickets in the region; the other workers take their own
 * descriptors; worker 0 settles the tickets in verify, once every worker has
 * finished.
 *
 * 04-contract-handle-give-take: a taken descriptor is new in this process
 * (each reader holds a file of its own at GIVER_FD, so the giver's number,
 * handed back, is caught), is the giver's open file (st_dev, st_ino, its
 * bytes, its offset), and is FD_CLOEXEC; a ticket outside the region is
 * ERANGE, a zeroed one or a bad access EINVAL, a ticket of a process that has
 * exited ESRCH, giving a closed descriptor EBADF. A ticket may be anywhere
 * in the region, its last SHMLAB_TICKET_SIZE bytes included; one that runs
 * past the end is ERANGE, one not aligned to 8 or with unknown flags EINVAL,
 * for the giver as for the taker, and a refused give leaves no ticket. The
 * giver is named by its pid and start time only: whatever else it does
 * before a take (descriptor 0 free while it gives, or given itself; a name
 * of its own, with spaces and parentheses, changed after giving; memory
 * mapped) must not matter.
 *
 * 04-contract-handle-no-leak: a take adds exactly one descriptor to the
 * taker's table, and closing it takes the table back to where it was.
 *
 * 04-contract-handle-access: O_RDONLY gives a descriptor that cannot write,
 * O_WRONLY one that cannot read, descriptor 0 included when it is free;
 * asking more than the giver's descriptor has is EACCES.
 *
 * 04-contract-handle-move: a moved descriptor is taken once (EALREADY the
 * second time, whatever the giver's number names since), and settling closes
 * the giver's; a copy stays open; a ticket nobody takes times out
 * (ETIMEDOUT), leaves the descriptor open and is withdrawn (EINVAL, the
 * descriptor closed since or not). A giver that gives its number to another
 * file of the same device (dup2) before a take or a settle gets EBADF for
 * them, and the other file stays open.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fds.h"

#define GIVER_FD        100     // worker 0's file; each reader holds its own there
#define SECOND_FD       101     // worker 0's second file (handle-access, handle-move)
#define MOVED_FD        102     // handle-move: a dup of GIVER_FD, moved, then the second file
#define REPLACED_FD     103     // handle-move: a dup of GIVER_FD, given, then the second file
#define START           7       // worker 0's file offset
#define GIVER_NAME      "a) b (c) 9 9"  // worker 0's name while it gives: proc(5) shows it
#define LATER_NAME      ") 1 2 3 4 5 6)"        // unescaped in /proc/<pid>/stat, then this one
#define FILE_BYTES      4096
#define SETTLE_MS       2000    // a bound only: every reader has finished by verify

struct gift {                   // at SHMLAB_HEADER_SIZE: what worker 0 records
	word64 dev, ino;        // its file's identity
	word64 dev2, ino2;      // its second file's
	int32_t pid;
	int32_t fd;             // GIVER_FD: kept to show what a stored number would name
};

#define GIFT            ((shmlab_off)SHMLAB_HEADER_SIZE)
#define TICKET(i)       (GIFT + 128 + (shmlab_off)(i) * SHMLAB_TICKET_SIZE)
#define LAST_TICKET(v)  ((v)->size - SHMLAB_TICKET_SIZE)        // the region's last bytes

static char
pattern(uint64_t off, int which)
{
	return (char)((which ? 'A' : 'a') + off % 26);
}

// A memfd of FILE_BYTES pattern bytes at descriptor `at`, close-on-exec.
// Returns at, or -1 with errno set.
static int
file_at(int at, int which)
{
	char buf[FILE_BYTES];
	int fd = memfd_create("shmlab-handles", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = pattern(i, which);
	if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf || dup3(fd, at, O_CLOEXEC) < 0) {
		int err = errno ? errno : EIO;
		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return at;
}

static int
identify(int fd, word64 *dev, word64 *ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	*dev = (uint64_t)st.st_dev;
	*ino = (uint64_t)st.st_ino;
	return 0;
}

static struct gift *
gift_of(const struct shmlab_view *v)
{
	return (struct gift *)(v->base + GIFT);
}

// Worker 0's file at GIVER_FD, at offset START, recorded in the gift; with
// `second`, its second file at SECOND_FD too.
static int
open_files(struct worker *w, const struct shmlab_view *v, int second)
{
	struct gift *g = gift_of(v);

	if (file_at(GIVER_FD, 0) < 0 || lseek(GIVER_FD, START, SEEK_SET) != START
	    || identify(GIVER_FD, &g->dev, &g->ino) < 0
	    || (second && (file_at(SECOND_FD, 1) < 0 || identify(SECOND_FD, &g->dev2, &g->ino2) < 0)))
		return fail(w, "cannot make worker 0's files: %s", strerror(errno));
	g->pid = (int32_t)getpid();
	g->fd = GIVER_FD;
	// Under Yama's ptrace_scope 1 only ancestors may ptrace a process unless it
	// names a tracer: the harness that started every worker of this run.
	// Without Yama the call fails with EINVAL, and nothing was needed.
	(void)prctl(PR_SET_PTRACER, (unsigned long)getppid(), 0UL, 0UL, 0UL);
	return 0;
}

static void
close_files(void)
{
	close(GIVER_FD);
	close(SECOND_FD);
	close(MOVED_FD);
	close(REPLACED_FD);
}

// 0 when fd is worker 0's file number `which`: its identity and its bytes.
static int
is_given_file(struct worker *w, const struct shmlab_view *v, int fd, int which, const char *what)
{
	const struct gift *g = gift_of(v);
	uint64_t dev = which ? g->dev2 : g->dev, ino = which ? g->ino2 : g->ino;
	struct stat st;
	char buf[32];

	if (fstat(fd, &st) < 0)
		return fail(w, "%s: fd %d: fstat: %s", what, fd, errname(errno));
	if ((uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino)
		return fail(w, "%s: fd %d is another file (st_ino %llu, not worker 0's %llu)%s", what, fd,
		    (unsigned long long)st.st_ino, (unsigned long long)ino,
		    fd == g->fd ? ": the number worker 0 stored, which names this process's own file here"
		    : "");
	if (pread(fd, buf, sizeof buf, 64) != (ssize_t)sizeof buf)
		return fail(w, "%s: fd %d: cannot read it back", what, fd);
	for (size_t i = 0; i < sizeof buf; i++)
		if (buf[i] != pattern(64 + i, which))
			return fail(w, "%s: fd %d: the right file with the wrong bytes", what, fd);
	return 0;
}

// Takes the ticket with `access` into *fd; 0, or fail()'s -1.
static int
take(struct worker *w, const struct shmlab_view *v, int ticket, int access, int *fd, const char *what)
{
	*fd = -1;
	return SUCCEEDS(w, w->impl->handle_take(v, TICKET(ticket), access, fd), what);
}

static int
settle(struct worker *w, const struct shmlab_view *v, int ticket, const char *what)
{
	return SUCCEEDS(w, w->impl->handle_settle(v, TICKET(ticket), SETTLE_MS), what);
}

static int
is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

// Descriptor 0 made free, what was there kept at a number above 2: a
// process may run with it closed, and then the next descriptor anyone opens
// is 0. Returns the kept copy, -1 if 0 was not open, -2 on failure (0 is
// then as it was).
static int
free_fd0(void)
{
	int kept = fcntl(0, F_DUPFD_CLOEXEC, 3);

	if (kept < 0 && errno != EBADF)
		return -2;
	close(0);
	return kept;
}

static void
restore_fd0(int kept)
{
	if (kept == -2)
		return;
	if (kept >= 0) {
		dup2(kept, 0);
		close(kept);
	} else {
		close(0);
	}
}

// ------------------------------------------------------------ give-take

// A ticket of a process that has exited, reaped before anyone takes it.
static int
give_from_the_dead(struct worker *w, const struct shmlab_view *v, int ticket)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return fail(w, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(w->impl->handle_give(v, TICKET(ticket), GIVER_FD, 0) == 0 ? 0 : 1);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return fail(w, "handle_give in a child of worker 0 failed");
	return 0;
}

// Fills the stack below the caller's frame with ')' and no 0 byte, as a
// program's earlier calls leave it: a library must read only bytes it has
// written (a buffer read from a file is not a string until terminated).
// The empty asm makes the bytes escape, so the compiler keeps the stores.
static __attribute__((noinline)) void
dirty_stack(void)
{
	char stale[16384];

	memset(stale, ')', sizeof stale);
	__asm__ volatile("" : : "r"(stale) : "memory");
}

// What worker 0 changes about itself while its tickets are out, to put
// back in verify: its name, descriptor 0, a mapping.
static struct {
	char name[17];          // PR_GET_NAME's 16 bytes, and a 0
	int fd0;                // free_fd0's
	void *mapped;
} giver_was = { .fd0 = -2 };

#define MAPPED_BYTES    (64 * MiB)      // reserved only (PROT_NONE), never touched

// Gives TICKET(4) with descriptor 0 free, then GIVER_FD's file at
// descriptor 0 itself as TICKET(5); descriptor 0 stays that file until
// verify.
static int
give_around_fd0(struct worker *w, const struct shmlab_view *v)
{
	if ((giver_was.fd0 = free_fd0()) == -2)
		return fail(w, "cannot keep descriptor 0: %s", strerror(errno));
	if (SUCCEEDS(w, w->impl->handle_give(v, TICKET(4), GIVER_FD, 0),
	    "handle_give(fd 100, with descriptor 0 free)") < 0)
		return -1;
	if (dup2(GIVER_FD, 0) != 0)
		return fail(w, "dup2 onto descriptor 0: %s", strerror(errno));
	return SUCCEEDS(w, w->impl->handle_give(v, TICKET(5), 0, 0), "handle_give(fd 0)");
}

// Gives that must be refused, and leave no ticket behind: TICKET(6) stays
// zero bytes.
static int
give_refusals(struct worker *w, const struct shmlab_view *v)
{
	if (REFUSES(w, ERANGE, w->impl->handle_give(v, LAST_TICKET(v) + 8, GIVER_FD, 0),
	    "handle_give(a ticket that runs 8 bytes past the end of the region)") < 0
	    || REFUSES(w, ERANGE, w->impl->handle_give(v, v->size, GIVER_FD, 0),
	    "handle_give(a ticket at the region's size)") < 0
	    || REFUSES(w, EINVAL, w->impl->handle_give(v, TICKET(6) + 4, GIVER_FD, 0),
	    "handle_give(a ticket at an offset not aligned to 8)") < 0)
		return -1;
	return REFUSES(w, EINVAL, w->impl->handle_give(v, TICKET(6), GIVER_FD, SHMLAB_GIVE_MOVE << 1),
	    "handle_give(unknown flags)");
}

static int
give_take_prepare(struct worker *w, const struct shmlab_view *v)
{
	int closed;

	if (open_files(w, v, 0) < 0)
		return -1;
	// A process's name is its own (prctl(2) PR_SET_NAME), and proc(5) shows
	// it in /proc/<pid>/stat as it is, spaces and parentheses included.
	if (prctl(PR_GET_NAME, (unsigned long)giver_was.name, 0UL, 0UL, 0UL) < 0
	    || prctl(PR_SET_NAME, (unsigned long)GIVER_NAME, 0UL, 0UL, 0UL) < 0)
		return fail(w, "cannot rename worker 0: %s", strerror(errno));
	dirty_stack();
	if (SUCCEEDS(w, w->impl->handle_give(v, TICKET(0), GIVER_FD, 0), "handle_give(fd 100)") < 0
	    || SUCCEEDS(w, w->impl->handle_give(v, LAST_TICKET(v), GIVER_FD, 0),
	    "handle_give(a ticket in the region's last bytes)") < 0
	    || give_from_the_dead(w, v, 1) < 0 || give_around_fd0(w, v) < 0 || give_refusals(w, v) < 0)
		return -1;
	if ((closed = dup(GIVER_FD)) < 0)
		return fail(w, "dup: %s", strerror(errno));
	close(closed);
	if (REFUSES(w, EBADF, w->impl->handle_give(v, TICKET(2), closed, 0), "handle_give(a closed fd)") < 0)
		return -1;
	// The giver goes on living: it renames itself, it maps memory.
	giver_was.mapped = mmap(NULL, MAPPED_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (giver_was.mapped == MAP_FAILED || prctl(PR_SET_NAME, (unsigned long)LATER_NAME, 0UL, 0UL, 0UL) < 0)
		return fail(w, "cannot map memory or rename worker 0 after giving: %s", strerror(errno));
	return 0;
}

// Each reader's own file at GIVER_FD, as any program may have one there;
// under `fork` the number is taken already, by worker 0's copy. Returns 1 if
// this made it, 0 if not, or fail()'s -1.
static int
own_file(struct worker *w)
{
	if (is_open(GIVER_FD))
		return 0;
	if (file_at(GIVER_FD, 1) < 0)
		return fail(w, "cannot make this worker's own file at fd %d: %s", GIVER_FD, strerror(errno));
	return 1;
}

static int
check_taken(struct worker *w, const struct shmlab_view *v, int fd, const unsigned char *was_open)
{
	int flags;

	if (fd < 256 && was_open[fd])
		return fail(w, "handle_take gave fd %d, which was already open in this process: not a "
		    "new descriptor (worker 0's number was %d)", fd, (int)gift_of(v)->fd);
	if (is_given_file(w, v, fd, 0, "handle_take(O_RDWR)") < 0)
		return -1;
	if ((flags = fcntl(fd, F_GETFD)) < 0 || !(flags & FD_CLOEXEC))
		return fail(w, "the taken fd %d is not FD_CLOEXEC", fd);
	if (lseek(fd, 0, SEEK_CUR) != START)
		return fail(w, "the taken fd %d is at offset %lld, worker 0's at %d: with the giver's "
		    "access it must be the same open file description", fd,
		    (long long)lseek(fd, 0, SEEK_CUR), START);
	return 0;
}

// Takes the ticket at off, O_RDWR, and checks it is worker 0's file.
static int
takes_given(struct worker *w, const struct shmlab_view *v, shmlab_off off, const char *what)
{
	int fd = -1, rc;

	dirty_stack();
	rc = SUCCEEDS(w, w->impl->handle_take(v, off, O_RDWR, &fd), what);

	if (rc == 0)
		rc = is_given_file(w, v, fd, 0, what);
	if (fd >= 0)
		close(fd);
	return rc;
}

// The other tickets worker 0 gave: each as good as the first.
static int
take_the_others(struct worker *w, const struct shmlab_view *v)
{
	if (takes_given(w, v, LAST_TICKET(v), "handle_take(a ticket in the region's last bytes)") < 0
	    || takes_given(w, v, TICKET(4), "handle_take(a ticket given with descriptor 0 free)") < 0)
		return -1;
	return takes_given(w, v, TICKET(5), "handle_take(a ticket for the giver's descriptor 0)");
}

static int
take_refusals(struct worker *w, const struct shmlab_view *v)
{
	int fd = -1, rc;

	rc = REFUSES(w, EINVAL, w->impl->handle_take(v, TICKET(6), O_RDWR, &fd),
	    "handle_take(where only refused gives wrote)");
	if (rc == 0)
		rc = REFUSES(w, EINVAL, w->impl->handle_take(v, TICKET(0) + 4, O_RDWR, &fd),
		    "handle_take(a ticket at an offset not aligned to 8)");
	if (rc == 0)
		rc = REFUSES(w, ERANGE, w->impl->handle_take(v, UINT64_MAX - 7, O_RDWR, &fd),
		    "handle_take(a ticket at offset 2^64 - 8)");
	if (rc < 0 && fd >= 0)
		close(fd);
	return rc;
}

static int
give_take_run(struct worker *w, const struct shmlab_view *v)
{
	unsigned char was_open[256];
	int mine, fd = -1, rc;

	if (w->index == 0)
		return 0;
	if ((mine = own_file(w)) < 0)
		return -1;
	for (int i = 0; i < 256; i++)
		was_open[i] = (unsigned char)is_open(i);
	rc = take(w, v, 0, O_RDWR, &fd, "handle_take(a ticket of worker 0, O_RDWR)");
	if (rc == 0)
		rc = check_taken(w, v, fd, was_open);
	if (rc == 0)
		rc = REFUSES(w, ESRCH, w->impl->handle_take(v, TICKET(1), O_RDWR, &fd),
		    "handle_take(a ticket of a process that has exited)");
	if (rc == 0)
		rc = REFUSES(w, EINVAL, w->impl->handle_take(v, TICKET(3), O_RDWR, &fd),
		    "handle_take(zero bytes, no ticket)");
	if (rc == 0)
		rc = REFUSES(w, EINVAL, w->impl->handle_take(v, TICKET(0), O_RDWR | O_CREAT, &fd),
		    "handle_take(access O_RDWR | O_CREAT)");
	if (rc == 0)
		rc = REFUSES(w, ERANGE, w->impl->handle_take(v, v->size - SHMLAB_TICKET_SIZE / 2, O_RDWR,
		    &fd), "handle_take(a ticket that runs past the end of the region)");
	if (fd >= 0 && fd != GIVER_FD)
		close(fd);
	if (rc == 0)
		rc = take_the_others(w, v);
	if (rc == 0)
		rc = take_refusals(w, v);
	if (mine)
		close(GIVER_FD);
	return rc;
}

static int
give_take_verify(struct worker *w, const struct shmlab_view *v)
{
	int rc = settle(w, v, 0, "handle_settle(a copy every reader took)");

	if (rc == 0 && !is_open(GIVER_FD))
		rc = fail(w, "handle_settle closed worker 0's fd %d, given without SHMLAB_GIVE_MOVE", GIVER_FD);
	if (rc == 0)
		rc = SUCCEEDS(w, w->impl->handle_settle(v, LAST_TICKET(v), SETTLE_MS),
		    "handle_settle(the ticket in the region's last bytes)");
	if (rc == 0)
		rc = settle(w, v, 4, "handle_settle(a ticket given with descriptor 0 free)");
	if (rc == 0)
		rc = settle(w, v, 5, "handle_settle(a ticket for descriptor 0)");
	restore_fd0(giver_was.fd0);
	if (giver_was.name[0])
		(void)prctl(PR_SET_NAME, (unsigned long)giver_was.name, 0UL, 0UL, 0UL);
	if (giver_was.mapped && giver_was.mapped != MAP_FAILED)
		munmap(giver_was.mapped, MAPPED_BYTES);
	close_files();
	return rc;
}

const struct scenario contract_handle_give_take = {
	.name = "04-contract-handle-give-take",
	.summary = "a ticket in the region gives every other process a descriptor of its own for the file",
	.handout = "labs/04-handles/README.md#pulling-a-descriptor-pidfd_getfd",
	.rule = "handle-give-take",
	.region_size = 4096,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_HANDLES,
	.passes_under = ALL_STRATEGIES,
	.prepare = give_take_prepare,
	.run = give_take_run,
	.verify = give_take_verify,
};

// ------------------------------------------------------------ no-leak

static int
one_more(struct worker *w, const struct shmlab_view *v, int access, const char *what)
{
	int before = count_open_fds(), during, after, fd;

	if (take(w, v, 0, access, &fd, what) < 0)
		return -1;
	during = count_open_fds();
	close(fd);
	after = count_open_fds();
	if (before < 0 || during < 0 || after < 0)
		return fail(w, "cannot list /proc/self/fd: %s", strerror(errno));
	if (during != before + 1)
		return fail(w, "%s: %d descriptors open before, %d after: a take makes exactly one", what,
		    before - 3, during - 3);  // less ".", ".." and opendir's own
	if (after != before)
		return fail(w, "%s: %d descriptors open before, %d once the taken one was closed",
		    what, before - 3, after - 3);
	return 0;
}

static int
no_leak_prepare(struct worker *w, const struct shmlab_view *v)
{
	if (open_files(w, v, 0) < 0)
		return -1;
	return SUCCEEDS(w, w->impl->handle_give(v, TICKET(0), GIVER_FD, 0), "handle_give(fd 100)");
}

static int
no_leak_run(struct worker *w, const struct shmlab_view *v)
{
	if (w->index == 0)
		return 0;
	if (one_more(w, v, O_RDWR, "handle_take(O_RDWR)") < 0)
		return -1;
	return one_more(w, v, O_RDONLY, "handle_take(O_RDONLY)");
}

static int
settle_copy_verify(struct worker *w, const struct shmlab_view *v)
{
	int rc = settle(w, v, 0, "handle_settle(a copy every reader took)");

	close_files();
	return rc;
}

const struct scenario contract_handle_no_leak = {
	.name = "04-contract-handle-no-leak",
	.summary = "a take adds one descriptor to the taker's table, and nothing else",
	.handout = "labs/04-handles/README.md#pulling-a-descriptor-pidfd_getfd",
	.rule = "handle-no-leak",
	.region_size = 4096,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_HANDLES,
	.passes_under = ALL_STRATEGIES,
	.prepare = no_leak_prepare,
	.run = no_leak_run,
	.verify = settle_copy_verify,
};

// ------------------------------------------------------------ access

static int
access_prepare(struct worker *w, const struct shmlab_view *v)
{
	int ro;

	if (open_files(w, v, 0) < 0)
		return -1;
	// The read-only source: the same file opened again, read-only (proc(5)).
	if ((ro = open("/proc/self/fd/100", O_RDONLY | O_CLOEXEC)) < 0 || dup3(ro, SECOND_FD, O_CLOEXEC) < 0)
		return fail(w, "cannot open worker 0's file read-only: %s", strerror(errno));
	close(ro);
	if (SUCCEEDS(w, w->impl->handle_give(v, TICKET(0), GIVER_FD, 0), "handle_give(fd 100, O_RDWR)") < 0)
		return -1;
	return SUCCEEDS(w, w->impl->handle_give(v, TICKET(1), SECOND_FD, 0), "handle_give(fd 101, O_RDONLY)");
}

// Takes `ticket` with `access` and checks that the descriptor has exactly it.
static int
exactly(struct worker *w, const struct shmlab_view *v, int ticket, int access, const char *what)
{
	int fd, mode, rc = 0;
	char c = 'x';

	if (take(w, v, ticket, access, &fd, what) < 0)
		return -1;
	mode = fcntl(fd, F_GETFL) & O_ACCMODE;
	errno = 0;
	if (mode != access)
		rc = fail(w, "%s: the descriptor's access mode (F_GETFL) is %s", what,
		    mode == O_RDWR ? "O_RDWR" : mode == O_WRONLY ? "O_WRONLY" : "O_RDONLY");
	else if (access == O_RDONLY && (pwrite(fd, &c, 1, 0) != -1 || errno != EBADF))
		rc = fail(w, "%s: a write through it did not fail with EBADF: more access than asked", what);
	else if (access == O_WRONLY && (pread(fd, &c, 1, 0) != -1 || errno != EBADF))
		rc = fail(w, "%s: a read through it did not fail with EBADF: more access than asked", what);
	else if (access != O_WRONLY)
		rc = is_given_file(w, v, fd, 0, what);
	close(fd);
	return rc;
}

// A take with less access opens the file again, and with descriptor 0
// free that is the number it gets: 0 is a descriptor like any other.
static int
exactly_at_fd0(struct worker *w, const struct shmlab_view *v)
{
	int kept = free_fd0(), rc;

	if (kept == -2)
		return fail(w, "cannot keep descriptor 0: %s", strerror(errno));
	rc = exactly(w, v, 0, O_RDONLY, "handle_take(an O_RDWR source, O_RDONLY, with descriptor 0 free)");
	restore_fd0(kept);
	return rc;
}

static int
access_run(struct worker *w, const struct shmlab_view *v)
{
	int fd = -1, rc;

	if (w->index == 0)
		return 0;
	rc = exactly(w, v, 0, O_RDONLY, "handle_take(an O_RDWR source, O_RDONLY)");
	if (rc == 0)
		rc = exactly(w, v, 0, O_WRONLY, "handle_take(an O_RDWR source, O_WRONLY)");
	if (rc == 0)
		rc = exactly_at_fd0(w, v);
	if (rc == 0)
		rc = exactly(w, v, 1, O_RDONLY, "handle_take(an O_RDONLY source, O_RDONLY)");
	if (rc == 0)
		rc = REFUSES(w, EACCES, w->impl->handle_take(v, TICKET(1), O_RDWR, &fd),
		    "handle_take(an O_RDONLY source, O_RDWR)");
	if (rc == 0)
		rc = REFUSES(w, EACCES, w->impl->handle_take(v, TICKET(1), O_WRONLY, &fd),
		    "handle_take(an O_RDONLY source, O_WRONLY)");
	if (rc < 0 && fd >= 0)
		close(fd);
	return rc;
}

static int
access_verify(struct worker *w, const struct shmlab_view *v)
{
	int rc = settle(w, v, 0, "handle_settle(the O_RDWR copy)");

	if (rc == 0)
		rc = settle(w, v, 1, "handle_settle(the O_RDONLY copy)");
	close_files();
	return rc;
}

const struct scenario contract_handle_access = {
	.name = "04-contract-handle-access",
	.summary = "a taken descriptor has the access asked for, never more, and never more than the giver's",
	.handout = "labs/04-handles/README.md#pulling-a-descriptor-pidfd_getfd",
	.rule = "handle-access",
	.region_size = 4096,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_HANDLES,
	.passes_under = ALL_STRATEGIES,
	.prepare = access_prepare,
	.run = access_run,
	.verify = access_verify,
};

// ------------------------------------------------------------ move

// Two memfds are two inodes of one device (memfd_create(2) makes them
// on one internal tmpfs), so only st_ino tells them apart.
static int
same_device(struct worker *w, const struct shmlab_view *v)
{
	const struct gift *g = gift_of(v);

	if (g->dev != g->dev2 || g->ino == g->ino2)
		return fail(w, "worker 0's two memfds are not two files of one device: this check needs them so");
	return 0;
}

// TICKET(3) moves MOVED_FD, which worker 1 takes; TICKET(4) gives
// REPLACED_FD, whose number then names the second file: worker 0's file
// stays open elsewhere, so the number is all that changed.
static int
give_then_replace(struct worker *w, const struct shmlab_view *v)
{
	if (same_device(w, v) < 0)
		return -1;
	if (dup3(GIVER_FD, MOVED_FD, O_CLOEXEC) < 0 || dup3(GIVER_FD, REPLACED_FD, O_CLOEXEC) < 0)
		return fail(w, "dup3: %s", strerror(errno));
	if (SUCCEEDS(w, w->impl->handle_give(v, TICKET(3), MOVED_FD, SHMLAB_GIVE_MOVE),
	    "handle_give(fd 102, SHMLAB_GIVE_MOVE)") < 0
	    || SUCCEEDS(w, w->impl->handle_give(v, TICKET(4), REPLACED_FD, 0), "handle_give(fd 103, a copy)") < 0)
		return -1;
	if (dup3(SECOND_FD, REPLACED_FD, O_CLOEXEC) < 0)
		return fail(w, "dup3: %s", strerror(errno));
	return 0;
}

static int
move_prepare(struct worker *w, const struct shmlab_view *v)
{
	if (open_files(w, v, 1) < 0)
		return -1;
	if (SUCCEEDS(w, w->impl->handle_give(v, TICKET(0), GIVER_FD, SHMLAB_GIVE_MOVE),
	    "handle_give(fd 100, SHMLAB_GIVE_MOVE)") < 0)
		return -1;
	if (SUCCEEDS(w, w->impl->handle_give(v, TICKET(1), SECOND_FD, 0), "handle_give(fd 101, a copy)") < 0)
		return -1;
	return give_then_replace(w, v);
}

// Takes the copy, and is refused the copy whose number was given to
// another file since.
static int
take_copy(struct worker *w, const struct shmlab_view *v)
{
	int fd = -1, rc;

	if ((rc = take(w, v, 1, O_RDWR, &fd, "handle_take(a copy)")) == 0)
		rc = is_given_file(w, v, fd, 1, "handle_take(a copy)");
	if (fd >= 0)
		close(fd);
	fd = -1;
	if (rc == 0)
		rc = REFUSES(w, EBADF, w->impl->handle_take(v, TICKET(4), O_RDWR, &fd),
		    "handle_take(a copy whose number the giver gave to another file of the same device)");
	if (rc < 0 && fd >= 0)
		close(fd);
	return rc;
}

// Worker 1's first run: takes both moves.
static int
take_moves(struct worker *w, const struct shmlab_view *v)
{
	for (int ticket = 0; ticket <= 3; ticket += 3) {
		int fd, rc;

		if (take(w, v, ticket, O_RDWR, &fd, "handle_take(a moved descriptor)") < 0)
			return -1;
		rc = is_given_file(w, v, fd, 0, "handle_take(a moved descriptor)");
		close(fd);
		if (rc < 0)
			return -1;
	}
	return 0;
}

// Worker 1 takes the moved descriptor in its first run; a second take, then
// or in its run through its other view under `double`, is EALREADY. Every
// reader takes the copy, worker 1 too (with two workers it is the only
// reader): which of them would get the move first is a race, so only worker
// 1 tries.
static int
move_run(struct worker *w, const struct shmlab_view *v)
{
	static int runs;        // of this process: under `double`, one per view
	int fd = -1, rc;

	if (w->index == 0)
		return 0;
	if (w->index > 1)
		return take_copy(w, v);
	if (runs++ == 0 && (take_moves(w, v) < 0 || take_copy(w, v) < 0))
		return -1;
	rc = REFUSES(w, EALREADY, w->impl->handle_take(v, TICKET(0), O_RDWR, &fd),
	    "handle_take(a moved descriptor, taken already)");
	if (rc == 0)
		rc = REFUSES(w, EALREADY, w->impl->handle_take(v, TICKET(3), O_RDWR, &fd),
		    "handle_take(a moved descriptor, taken already)");
	return rc;
}

// The move worker 1 took, once MOVED_FD names the second file: a take is
// still EALREADY (the move is spent, whatever the number names now), and
// settling refuses to close what the number names now (EBADF).
static int
settle_replaced(struct worker *w, const struct shmlab_view *v)
{
	int fd = -1, rc;

	if (dup3(SECOND_FD, MOVED_FD, O_CLOEXEC) < 0)
		return fail(w, "dup3: %s", strerror(errno));
	rc = REFUSES(w, EALREADY, w->impl->handle_take(v, TICKET(3), O_RDWR, &fd),
	    "handle_take(a move taken already, its number given to another file since)");
	if (rc == 0)
		rc = REFUSES(w, EBADF, w->impl->handle_settle(v, TICKET(3), SETTLE_MS),
		    "handle_settle(a move taken, its number given to another file of the same device since)");
	if (rc == 0 && !is_open(MOVED_FD))
		rc = fail(w, "handle_settle closed fd %d, which names another file than the one moved", MOVED_FD);
	if (rc == 0)
		rc = is_given_file(w, v, MOVED_FD, 1, "fd 102 after handle_settle refused to close it");
	if (rc < 0 && fd >= 0)
		close(fd);
	return rc;
}

static int
move_verify(struct worker *w, const struct shmlab_view *v)
{
	int fd = -1, rc = settle(w, v, 0, "handle_settle(a moved descriptor, taken)");

	if (rc == 0 && is_open(GIVER_FD))
		rc = fail(w, "worker 0's fd %d is still open after handle_settle: given with "
		    "SHMLAB_GIVE_MOVE and taken, it must be closed", GIVER_FD);
	if (rc == 0)
		rc = settle(w, v, 1, "handle_settle(a copy, taken)");
	if (rc == 0 && !is_open(SECOND_FD))
		rc = fail(w, "handle_settle closed worker 0's fd %d, given without SHMLAB_GIVE_MOVE", SECOND_FD);
	if (rc == 0)
		rc = REFUSES(w, EINVAL, w->impl->handle_settle(v, TICKET(1), 0), "handle_settle(a settled ticket)");
	// Nobody takes this one: it times out, is withdrawn, and the fd stays open.
	if (rc == 0)
		rc = SUCCEEDS(w, w->impl->handle_give(v, TICKET(2), SECOND_FD, SHMLAB_GIVE_MOVE),
		    "handle_give(fd 101, SHMLAB_GIVE_MOVE)");
	if (rc == 0)
		rc = REFUSES(w, ETIMEDOUT, w->impl->handle_settle(v, TICKET(2), 0),
		    "handle_settle(a moved descriptor nobody took, timeout 0)");
	if (rc == 0 && !is_open(SECOND_FD))
		rc = fail(w, "handle_settle timed out and still closed worker 0's fd %d", SECOND_FD);
	if (rc == 0)
		rc = REFUSES(w, EINVAL, w->impl->handle_take(v, TICKET(2), O_RDWR, &fd),
		    "handle_take(a ticket withdrawn by a settle that timed out)");
	if (rc == 0)
		rc = settle_replaced(w, v);
	// Withdrawn, the descriptor is the giver's again, to close if it likes.
	if (rc == 0 && close(SECOND_FD) == 0)
		rc = REFUSES(w, EINVAL, w->impl->handle_take(v, TICKET(2), O_RDWR, &fd),
		    "handle_take(a withdrawn ticket, its descriptor closed since)");
	if (rc == 0)
		rc = REFUSES(w, ETIMEDOUT, w->impl->handle_settle(v, TICKET(4), 0),
		    "handle_settle(a copy nobody could take, timeout 0)");
	if (fd >= 0)
		close(fd);
	close_files();
	return rc;
}

const struct scenario contract_handle_move = {
	.name = "04-contract-handle-move",
	.summary = "a moved descriptor is taken once, and settling closes the giver's; a copy stays open",
	.handout = "labs/04-handles/README.md#pulling-a-descriptor-pidfd_getfd",
	.rule = "handle-move",
	.region_size = 4096,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_HANDLES,
	.passes_under = ALL_STRATEGIES,
	.prepare = move_prepare,
	.run = move_run,
	.verify = move_verify,
};
