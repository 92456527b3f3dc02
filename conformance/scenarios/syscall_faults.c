/*
 * Calls whose system calls fail: what a refusal leaves behind.
 *
 * A call that makes a region, a view or a descriptor makes it in steps, and
 * a step may fail after others succeeded. The harness preloads a shim
 * (conformance/shims/syscall_faults.c) that, armed around one call of the
 * library, fails the n-th system call that could fail for want of a
 * resource (EMFILE, ENOMEM, ENOSPC, EIO) and from then on leaves errno
 * scribbled after every call that succeeds. Each check arms it for n = 1,
 * 2, 3, ... until a run where no call failed. Whenever one failed, the call
 * must return -1 with the injected errno (a take whose open or fstat failed
 * may say ESRCH or EBADF instead: it could not check the giver or the file)
 * and leave this process's descriptor table as it was, no new name and no
 * new view of the region; the run where nothing failed must succeed (or
 * refuse as it would anyway), and is then undone. A library that makes no
 * such call never sees a fault.
 *
 * Descriptor 0 is a descriptor like any other: each call succeeds once more
 * with it free, when the descriptor it makes may be 0.
 *
 * 02-contract-syscall-faults: region_create (named and anonymous),
 * region_open, region_map; region_open of an object never sized may
 * succeed or fail, and if it fails it leaves no descriptor.
 *
 * 04-contract-handle-faults: handle_give, refused without leaving a ticket;
 * handle_take with the giver's access, with less and with more (EACCES),
 * each of a ticket this process gave itself; a
 * pipe's read end, whose status flags are all 0, taken O_RDONLY; a ticket of
 * a giver that has exited but is not yet reaped (ESRCH) and one whose number
 * names another file now (EBADF), neither leaving a descriptor.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fds.h"

#define SIZE            65536u  // the regions the region checks make
#define MAX_CALLS       64      // more system calls than this in one call is a hang

// The shim's two functions, found in this process (the harness preloaded it).
struct shim {
	void (*arm)(int nth);
	int (*disarm)(const char **call);
};

// One call under test, and what it made.
struct trial {
	const char *what;
	struct worker *w;
	const struct shmlab_view *v;
	int (*call)(struct trial *);            // the library call: 0, or -1 with errno
	int (*check)(struct trial *);           // after success: what it made is right; 0 or fail()
	void (*undo)(struct trial *);           // after success: release it
	int (*left)(struct trial *);            // after a refusal: nothing else left; 0 or fail()
	int refusal;                            // the errno with no fault, or 0: it succeeds
	char name[SHMLAB_NAME_MAX];
	struct shmlab_region r, made;
	struct shmlab_view view;
	shmlab_off ticket;
	int access, fd;
};

static int
find_shim(struct worker *w, struct shim *s)
{
	*(void **)&s->arm = dlsym(RTLD_DEFAULT, "shmlab_faults_arm");
	*(void **)&s->disarm = dlsym(RTLD_DEFAULT, "shmlab_faults_disarm");
	if (s->arm == NULL || s->disarm == NULL)
		return fail(w, "this worker has no shmlab_faults_arm: the harness did not start it with "
		    "libshmlab-syscall-faults.so preloaded");
	return 0;
}

// Whether err is what a refusal caused by the failure of `call` may report.
// A take checks the giver (its start time, read from /proc/<pid>/stat) and
// the file (fstat) with calls whose failure it may take for a "no": ESRCH,
// EBADF.
static int
allowed(const struct trial *t, const char *call, int err, int injected)
{
	int checks = strcmp(call, "fstat") == 0 || strcmp(call, "open") == 0 || strcmp(call, "openat") == 0;

	if (err == injected)
		return 1;
	return t->ticket && checks && (err == EBADF || err == ESRCH);
}

// The outcome of the run where no system call failed.
static int
as_without_faults(struct trial *t, int rc, int err, int before)
{
	int after;

	if (rc == 0) {
		int bad = t->check(t);

		t->undo(t);
		if (bad)
			return -1;
		if (t->refusal)
			return fail(t->w, "%s: expected -1 with %s, got 0", t->what, errname(t->refusal));
		return 0;
	}
	if (t->refusal == 0)
		return fail(t->w, "%s: expected 0, got %d with %s", t->what, rc, errname(err));
	if (rc != -1 || err != t->refusal)
		return fail(t->w, "%s: expected -1 with %s, got %d with %s", t->what, errname(t->refusal), rc,
		    errname(err));
	if ((after = count_open_fds()) != before)
		return fail(t->w, "%s: refused, and this process had %d descriptors before the call and %d "
		    "after", t->what, before - 3, after - 3);
	return t->left ? t->left(t) : 0;
}

// Fails the 1st, 2nd, 3rd ... system call of the call, until it makes no more.
static int
each_fault(const struct shim *s, struct trial *t)
{
	for (int n = 1; n <= MAX_CALLS; n++) {
		const char *call;
		int before = count_open_fds(), after, rc, err, injected;

		s->arm(n);
		errno = 0;
		rc = t->call(t);
		err = errno;
		injected = s->disarm(&call);
		if (injected == 0)
			return as_without_faults(t, rc, err, before);
		if (rc == 0) {
			t->undo(t);
			return fail(t->w, "%s, its system call %d (%s) failing with %s: expected -1 with %s, got 0",
			    t->what, n, call, errname(injected), errname(injected));
		}
		if (rc != -1 || !allowed(t, call, err, injected))
			return fail(t->w, "%s, its system call %d (%s) failing with %s: expected -1 with %s, got %d "
			    "with %s", t->what, n, call, errname(injected), errname(injected), rc, errname(err));
		if ((after = count_open_fds()) != before)
			return fail(t->w, "%s, its system call %d (%s) failing: refused, but this process had %d "
			    "descriptors before the call and %d after", t->what, n, call, before - 3, after - 3);
		if (t->left && t->left(t) < 0)
			return -1;
	}
	return fail(t->w, "%s: still making system calls after %d", t->what, MAX_CALLS);
}

// The call once more with descriptor 0 free: it must succeed as it would
// anyway. Skipped where 0 was not open (then every run had it free).
static int
with_fd_zero_free(struct trial *t)
{
	int saved = fcntl(0, F_DUPFD_CLOEXEC, 3), rc, err, bad;

	if (saved < 0)
		return 0;
	close(0);
	errno = 0;
	rc = t->call(t);
	err = errno;
	bad = rc == 0 ? t->check(t) : 0;
	if (rc == 0)
		t->undo(t);
	if (fcntl(0, F_GETFD) >= 0)
		bad = fail(t->w, "%s with descriptor 0 free: descriptor 0 is still open after the call was "
		    "undone", t->what);
	dup2(saved, 0);
	close(saved);
	if (bad)
		return -1;
	if (rc != 0)
		return fail(t->w, "%s with descriptor 0 free: expected 0, got %d with %s", t->what, rc, errname(err));
	return 0;
}

// ---------------------------------------------------------------- regions

static int
create_named(struct trial *t)
{
	return t->w->impl->region_create(&t->r, t->name, SIZE);
}

static int
create_anonymous(struct trial *t)
{
	return t->w->impl->region_create(&t->r, NULL, SIZE);
}

static int
open_named(struct trial *t)
{
	return t->w->impl->region_open(&t->r, t->name);
}

static int
map_anywhere(struct trial *t)
{
	return t->w->impl->region_map(&t->made, NULL, &t->view);
}

static int
region_is_right(struct trial *t)
{
	struct stat st;

	if (fstat(t->r.fd, &st) < 0 || st.st_size != SIZE || t->r.size != SIZE)
		return fail(t->w, "%s: succeeded, but its descriptor %d is not a region of %u bytes", t->what,
		    t->r.fd, SIZE);
	return 0;
}

static void
close_region(struct trial *t)
{
	t->w->impl->region_close(&t->r);
}

static void
close_and_unlink(struct trial *t)
{
	t->w->impl->region_close(&t->r);
	shm_unlink(t->name);
}

// A create that failed left no object under its name.
static int
name_is_free(struct trial *t)
{
	int fd = shm_open(t->name, O_RDONLY, 0);

	if (fd < 0)
		return 0;
	close(fd);
	shm_unlink(t->name);
	return fail(t->w, "%s: refused, but left the shm object %s behind", t->what, t->name);
}

static int
view_is_right(struct trial *t)
{
	if (t->view.base == NULL || t->view.size != SIZE || views_of(t->made.fd) != 1)
		return fail(t->w, "%s: succeeded, but made no view of the region's %u bytes", t->what, SIZE);
	return 0;
}

static void
unmap_view(struct trial *t)
{
	t->w->impl->view_unmap(&t->view);
}

static int
no_view_left(struct trial *t)
{
	int n = views_of(t->made.fd);

	if (n != 0)
		return fail(t->w, "%s: refused, but left %d views of the region mapped", t->what, n);
	return 0;
}

// Both checks of one call: every fault, then descriptor 0 free.
static int
faults_and_fd_zero(const struct shim *s, struct trial *t)
{
	return each_fault(s, t) < 0 || with_fd_zero_free(t) < 0 ? -1 : 0;
}

static int
region_trials(struct worker *w, const struct shim *s, struct trial *t)
{
	*t = (struct trial){ .w = w, .what = "region_create(a name)", .call = create_named,
	    .check = region_is_right, .undo = close_and_unlink, .left = name_is_free, .made.fd = -1 };
	if (shmlab_region_random_name(t->name, sizeof t->name) < 0)
		return fail(w, "no random name: %s", errname(errno));
	if (faults_and_fd_zero(s, t) < 0)
		return -1;
	t->what = "region_create(NULL: anonymous)", t->call = create_anonymous, t->undo = close_region;
	t->left = NULL;
	if (faults_and_fd_zero(s, t) < 0)
		return -1;
	if (SUCCEEDS(w, w->impl->region_create(&t->made, t->name, SIZE), "region_create(a name)") < 0)
		return -1;
	t->what = "region_open(a region of 65536 bytes)", t->call = open_named, t->undo = close_region;
	if (faults_and_fd_zero(s, t) < 0)
		return -1;
	t->what = "region_map(at NULL)", t->call = map_anywhere, t->check = view_is_right;
	t->undo = unmap_view, t->left = no_view_left;
	return each_fault(s, t);
}

// An object created and never sized: open may take it or refuse it (the
// contract leaves that open), but a refusal leaves no descriptor.
static int
open_unsized(struct worker *w, struct trial *t)
{
	struct shmlab_region r;
	int fd = shm_open(t->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600), before, rc, err, after;

	if (fd < 0)
		return fail(w, "shm_open(%s): %s", t->name, errname(errno));
	before = count_open_fds();
	errno = 0;
	rc = w->impl->region_open(&r, t->name);
	err = errno;
	after = count_open_fds();
	if (rc == 0)
		w->impl->region_close(&r);
	close(fd);
	shm_unlink(t->name);
	if (rc != 0 && (rc != -1 || err == 0))
		return fail(w, "region_open(an object never sized): expected 0, or -1 with errno, got %d with %s", rc,
		    errname(err));
	if (rc == -1 && after != before)
		return fail(w, "region_open(an object never sized): refused, but this process had %d descriptors "
		    "before the call and %d after", before - 3, after - 3);
	return 0;
}

static int
region_faults(struct worker *w, const struct shmlab_view *v)
{
	struct shim s;
	struct trial t;
	int rc;

	(void)v;
	if (find_shim(w, &s) < 0)
		return -1;
	rc = region_trials(w, &s, &t);
	if (t.made.fd >= 0) {
		w->impl->region_close(&t.made);
		shm_unlink(t.name);
	}
	return rc < 0 ? -1 : open_unsized(w, &t);
}

const struct scenario contract_syscall_faults = {
	.name = "02-contract-syscall-faults",
	.summary = "a region call whose system call fails returns -1 with its errno and leaves nothing behind",
	.handout = "labs/02-raw-pointers/README.md#exercise",
	.rule = "syscall-faults",
	.region_size = 4096,
	.flags = CONTRACT | SYSCALL_FAULTS,
	.passes_under = ALL_STRATEGIES,
	.run = region_faults,
};

// ---------------------------------------------------------------- handles

#define FILE_BYTES      4096

// This worker's ticket: one per worker, after a first one left unused.
static shmlab_off
ticket_of(const struct worker *w)
{
	return (shmlab_off)(w->index + 1) * SHMLAB_TICKET_SIZE;
}

static int
take(struct trial *t)
{
	return t->w->impl->handle_take(t->v, t->ticket, t->access, &t->fd);
}

// The taken descriptor names the given file (t->made.fd here) with exactly
// the access asked for.
static int
taken_is_right(struct trial *t)
{
	struct stat got, given;
	int flags = fcntl(t->fd, F_GETFL);

	if (flags < 0 || fstat(t->fd, &got) < 0 || fstat(t->made.fd, &given) < 0
	    || got.st_dev != given.st_dev || got.st_ino != given.st_ino)
		return fail(t->w, "%s: succeeded, but fd %d is not the given file", t->what, t->fd);
	if ((flags & O_ACCMODE) != t->access)
		return fail(t->w, "%s: succeeded, but fd %d has access mode %d, not %d", t->what, t->fd,
		    flags & O_ACCMODE, t->access);
	return 0;
}

static void
close_taken(struct trial *t)
{
	close(t->fd);
}

// A memfd of FILE_BYTES bytes, opened read-write; -1 with errno if not.
static int
some_file(void)
{
	int fd = memfd_create("shmlab-faults", MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, FILE_BYTES) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

// Gives t->made.fd through this worker's ticket, to itself, and takes it
// with access under every fault; then withdraws the ticket.
static int
take_own(const struct shim *s, struct trial *t, int access, int refusal, const char *what)
{
	int rc;

	t->access = access, t->refusal = refusal, t->what = what;
	if (SUCCEEDS(t->w, t->w->impl->handle_give(t->v, t->ticket, t->made.fd, 0), "handle_give(its own file)") < 0)
		return -1;
	rc = each_fault(s, t);
	if (rc == 0 && refusal == 0)
		rc = with_fd_zero_free(t);
	// Taken at least once (0), or never (ETIMEDOUT: withdrawn).
	t->w->impl->handle_settle(t->v, t->ticket, 0);
	return rc;
}

// A pipe's read end has status flags 0 (O_RDONLY, nothing else): taken
// O_RDONLY, it is the giver's own access.
static int
take_pipe(struct trial *t)
{
	int ends[2], rc;

	if (pipe2(ends, O_CLOEXEC) < 0)
		return fail(t->w, "pipe2: %s", errname(errno));
	t->made.fd = ends[0], t->access = O_RDONLY;
	t->what = "handle_take(a pipe's read end, O_RDONLY)";
	rc = SUCCEEDS(t->w, t->w->impl->handle_give(t->v, t->ticket, ends[0], 0), "handle_give(a pipe's read end)");
	if (rc == 0 && (rc = SUCCEEDS(t->w, take(t), t->what)) == 0) {
		rc = taken_is_right(t);
		close(t->fd);
	}
	t->w->impl->handle_settle(t->v, t->ticket, 0);
	close(ends[0]);
	close(ends[1]);
	return rc;
}

// A refusal with want, leaving the descriptor table as it was.
static int
refused_cleanly(struct trial *t, int want)
{
	int before = count_open_fds(), after;

	t->fd = -1;
	if (REFUSES(t->w, want, take(t), t->what) < 0) {
		if (check_rc == 0)
			close(t->fd);
		return -1;
	}
	if ((after = count_open_fds()) != before)
		return fail(t->w, "%s: refused, but this process had %d descriptors before the call and %d after",
		    t->what, before - 3, after - 3);
	return 0;
}

// A ticket given by a child that has exited and is not reaped yet: its pid
// is still its own, but it holds no descriptors.
static int
take_from_exited(struct trial *t)
{
	siginfo_t info;
	pid_t pid;
	int rc;

	t->what = "handle_take(a ticket of a process that has exited, not yet reaped)", t->access = O_RDWR;
	if ((pid = fork()) < 0)
		return fail(t->w, "fork: %s", errname(errno));
	if (pid == 0)
		_exit(t->w->impl->handle_give(t->v, t->ticket, t->made.fd, 0) == 0 ? 0 : 1);
	if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 || info.si_code != CLD_EXITED
	    || info.si_status != 0) {
		waitpid(pid, NULL, 0);
		return fail(t->w, "handle_give in a child of this worker failed");
	}
	rc = refused_cleanly(t, ESRCH);
	waitpid(pid, NULL, 0);
	memset(t->v->base + t->ticket, 0, SHMLAB_TICKET_SIZE);     // the child's ticket, which nobody settles
	return rc;
}

// A ticket whose number, since it was given, names another file.
static int
take_renumbered(struct trial *t)
{
	int other = some_file(), rc;

	if (other < 0)
		return fail(t->w, "memfd_create: %s", errname(errno));
	t->what = "handle_take(a ticket whose number names another file now)", t->access = O_RDWR;
	rc = SUCCEEDS(t->w, t->w->impl->handle_give(t->v, t->ticket, t->made.fd, 0), "handle_give(its own file)");
	if (rc == 0 && dup3(other, t->made.fd, O_CLOEXEC) < 0)
		rc = fail(t->w, "dup3: %s", errname(errno));
	if (rc == 0)
		rc = refused_cleanly(t, EBADF);
	t->w->impl->handle_settle(t->v, t->ticket, 0);
	close(other);
	return rc;
}

static int
give(struct trial *t)
{
	return t->w->impl->handle_give(t->v, t->ticket, t->made.fd, 0);
}

// A ticket given and taken by nobody: settle withdraws it.
static int
given_is_there(struct trial *t)
{
	return REFUSES(t->w, ETIMEDOUT, t->w->impl->handle_settle(t->v, t->ticket, 0),
	    "handle_settle(0) of the ticket just given, which nobody took");
}

static void
withdrawn_already(struct trial *t)
{
	(void)t;
}

// A give that was refused left no ticket: a take of it is EINVAL.
static int
no_ticket_left(struct trial *t)
{
	int fd = -1, rc = REFUSES(t->w, EINVAL, t->w->impl->handle_take(t->v, t->ticket, O_RDWR, &fd),
	    "handle_take of the ticket whose give was refused");

	if (fd >= 0)
		close(fd);
	return rc;
}

// handle_give of its own file under every fault.
static int
give_own(const struct shim *s, const struct trial *t)
{
	struct trial g = *t;

	g.call = give, g.check = given_is_there, g.undo = withdrawn_already, g.left = no_ticket_left;
	g.refusal = 0, g.what = "handle_give(its own file)";
	return each_fault(s, &g);
}

static int
handle_trials(const struct shim *s, struct trial *t)
{
	int readonly;

	if (give_own(s, t) < 0
	    || take_own(s, t, O_RDWR, 0, "handle_take(its own ticket, O_RDWR: the giver's access)") < 0
	    || take_own(s, t, O_RDONLY, 0, "handle_take(its own ticket, O_RDONLY: less than the giver's)") < 0)
		return -1;
	snprintf(t->name, sizeof t->name, "/proc/self/fd/%d", t->made.fd);
	if ((readonly = open(t->name, O_RDONLY | O_CLOEXEC)) < 0)
		return fail(t->w, "open(%s): %s", t->name, errname(errno));
	dup2(readonly, t->made.fd);
	close(readonly);
	if (take_own(s, t, O_RDWR, EACCES, "handle_take(its own read-only file, O_RDWR: more than the giver's)") < 0)
		return -1;
	return take_from_exited(t) < 0 || take_renumbered(t) < 0 ? -1 : 0;
}

static int
handle_faults(struct worker *w, const struct shmlab_view *v)
{
	struct shim s;
	struct trial t = { .w = w, .v = v, .ticket = ticket_of(w), .call = take, .check = taken_is_right,
	    .undo = close_taken, .fd = -1 };
	int rc;

	if (v->size < t.ticket + SHMLAB_TICKET_SIZE)
		return fail(w, "the region has no room for worker %d's ticket", w->index);
	if (find_shim(w, &s) < 0)
		return -1;
	if ((t.made.fd = some_file()) < 0)
		return fail(w, "memfd_create: %s", errname(errno));
	rc = handle_trials(&s, &t);
	close(t.made.fd);
	if (rc == 0)
		rc = take_pipe(&t);
	return rc;
}

const struct scenario contract_handle_faults = {
	.name = "04-contract-handle-faults",
	.summary = "a take whose system call fails, or whose giver is gone, returns -1 and leaves no descriptor",
	.handout = "labs/04-handles/README.md#pulling-a-descriptor-pidfd_getfd",
	.rule = "handle-faults",
	.region_size = 4096,
	.flags = CONTRACT | SYSCALL_FAULTS,
	.features = SHMLAB_FEATURE_HANDLES,
	.passes_under = ALL_STRATEGIES,
	.run = handle_faults,
};
