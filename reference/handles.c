/*
 * Handles (handles.h says what they promise; this says how, on Linux).
 *
 * A ticket is one pinned struct in the region. Its state word is the only
 * word two processes race on: the low two bits say what the ticket is (empty,
 * a copy, a move not yet taken, a move taken), the rest count the takes. A
 * take claims the ticket with one compare-and-swap on that word after it has
 * its descriptor, so a move is taken exactly once, and a ticket withdrawn
 * meanwhile makes the taker close what it got. The giver waits on the same
 * word with a futex (FUTEX_WAIT without FUTEX_PRIVATE_FLAG works between
 * processes that share the page), bounded by its timeout.
 *
 * Everything else in the ticket is input from another process: the taker
 * copies it once, then trusts none of it. The pid is checked against the
 * start time, the descriptor it gets against st_dev and st_ino, its access
 * against what the descriptor really has (F_GETFL), never against what the
 * ticket claims. The giver checks its own number the same way before it
 * closes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

#include "shmlab/handles.h"
#include "process.h"

#define TICKET_MAGIC    UINT32_C(0x314b5453)    // "STK1"

enum {                          // the low two bits of the state word
	EMPTY = 0,
	COPY = 1,               // may be taken any number of times
	MOVE = 2,               // not taken yet
	MOVED = 3,              // taken, by exactly one process
	KIND = 3,
	ONE_TAKE = 4,           // the take count starts at bit 2
};

typedef uint64_t u64 __attribute__((aligned(8)));

struct ticket {
	uint32_t magic;
	uint32_t state;         // kind | takes * ONE_TAKE; a futex word
	int32_t pid;            // the giver
	int32_t fd;             // its number, in its own table only
	u64 start;              // the giver's start time (proc(5), /proc/<pid>/stat field 22)
	u64 dev;                // the given file's fstat identity
	u64 ino;
	uint32_t flags;         // SHMLAB_GIVE_*
	uint32_t reserved[5];
};

_Static_assert(sizeof(struct ticket) == SHMLAB_TICKET_SIZE, "ticket layout is pinned");
_Static_assert(offsetof(struct ticket, start) == 16, "ticket layout is pinned");

// The ticket as this call read it, once.
struct snapshot {
	uint32_t state, flags;
	int32_t pid, fd;
	uint64_t start, dev, ino;
};

static int
fail_with(int err)
{
	errno = err;
	return -1;
}

// The ticket at off, which must lie inside v and be aligned to 8.
static int
ticket_at(const struct shmlab_view *v, shmlab_off off, struct ticket **t)
{
	if (off > v->size || v->size - off < SHMLAB_TICKET_SIZE)
		return fail_with(ERANGE);
	if (off % 8 != 0)
		return fail_with(EINVAL);
	*t = (struct ticket *)(v->base + off);
	return 0;
}

// Copies the ticket once; EINVAL unless it holds a given descriptor.
static int
snapshot(struct ticket *t, struct snapshot *s)
{
	s->state = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&t->magic, __ATOMIC_RELAXED) != TICKET_MAGIC || (s->state & KIND) == EMPTY)
		return fail_with(EINVAL);
	s->pid = __atomic_load_n(&t->pid, __ATOMIC_RELAXED);
	s->fd = __atomic_load_n(&t->fd, __ATOMIC_RELAXED);
	s->start = __atomic_load_n(&t->start, __ATOMIC_RELAXED);
	s->dev = __atomic_load_n(&t->dev, __ATOMIC_RELAXED);
	s->ino = __atomic_load_n(&t->ino, __ATOMIC_RELAXED);
	s->flags = __atomic_load_n(&t->flags, __ATOMIC_RELAXED);
	if (s->pid <= 0 || s->fd < 0)
		return fail_with(EINVAL);
	return 0;
}

static int
same_file(int fd, uint64_t dev, uint64_t ino)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

// Closes fd without losing the errno that made the caller give up.
static int
close_keeping_errno(int fd)
{
	int err = errno;

	close(fd);
	return fail_with(err);
}

// A descriptor in this process for the giver's open file: pidfd_open(2), a
// check that the pid still names the giver, pidfd_getfd(2). The check reads
// the start time after the pidfd is open and then asks whether the process
// has exited (a pidfd polls readable then): if it has not, it held its pid
// all along, so the start time read was its own.
static int
pull(const struct snapshot *s)
{
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
	struct pollfd exited;
	uint64_t start;
	int pidfd, fd;

	if ((pidfd = (int)syscall(SYS_pidfd_open, (pid_t)s->pid, 0)) < 0)
		return -1;
	exited = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	if (shmlab_proc_stat(s->pid, NULL, &start) < 0 || poll(&exited, 1, 0) != 0 || start != s->start) {
		close(pidfd);
		return fail_with(ESRCH);        // gone, or the pid is another process's now
	}
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, s->fd, 0);  // FD_CLOEXEC, says pidfd_getfd(2)
	if (fd < 0)
		return close_keeping_errno(pidfd);
	close(pidfd);
	if (!same_file(fd, s->dev, s->ino)) {
		close(fd);
		return fail_with(EBADF);        // the giver's number names another file now
	}
	return fd;
#else
	(void)s;
	return fail_with(ENOSYS);               // headers older than Linux 5.6
#endif
}

// What an access mode may do: bit 0 read, bit 1 write.
static unsigned
rights(int access)
{
	return access == O_RDONLY ? 1u : access == O_WRONLY ? 2u : 3u;
}

// got, or a new descriptor of the same file with exactly `access` (got is
// then closed): opening /proc/self/fd/<got> makes a new open file
// description, checked against the file's permissions (proc(5)).
static int
narrow(int got, int access)
{
	char path[40];
	int have = fcntl(got, F_GETFL), fd;

	if (have < 0)
		return close_keeping_errno(got);
	if ((have & O_ACCMODE) == access)
		return got;
	if (rights(access) & ~rights(have & O_ACCMODE)) {
		close(got);
		return fail_with(EACCES);       // never more than the giver had
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", got);
	fd = open(path, access | O_CLOEXEC);
	if (fd < 0)
		return close_keeping_errno(got);
	close(got);
	return fd;
}

// Counts a take, or for a move claims it; wakes a giver waiting in settle.
static int
claim(struct ticket *t)
{
	uint32_t seen = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE), want;

	do {
		switch (seen & KIND) {
		case COPY:
			want = seen + ONE_TAKE;
			break;
		case MOVE:
			want = MOVED | ONE_TAKE;
			break;
		case MOVED:
			return fail_with(EALREADY);
		default:
			return fail_with(EINVAL);       // withdrawn or settled meanwhile
		}
	} while (!__atomic_compare_exchange_n(&t->state, &seen, want, 0, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE));
	syscall(SYS_futex, &t->state, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	return 0;
}

int
shmlab_handle_give(const struct shmlab_view *v, shmlab_off ticket, int fd, unsigned flags)
{
	struct ticket *t;
	struct stat st;
	uint64_t start;

	if (ticket_at(v, ticket, &t) < 0)
		return -1;
	if (flags & ~(unsigned)SHMLAB_GIVE_MOVE)
		return fail_with(EINVAL);
	if (fstat(fd, &st) < 0)
		return fail_with(EBADF);
	if (shmlab_proc_stat(getpid(), NULL, &start) < 0)
		return -1;
	__atomic_store_n(&t->state, EMPTY, __ATOMIC_RELEASE);
	t->magic = TICKET_MAGIC;
	t->pid = (int32_t)getpid();
	t->fd = fd;
	t->start = start;
	t->dev = (uint64_t)st.st_dev;
	t->ino = (uint64_t)st.st_ino;
	t->flags = flags;
	memset(t->reserved, 0, sizeof t->reserved);
	__atomic_store_n(&t->state, (flags & SHMLAB_GIVE_MOVE) ? MOVE : COPY, __ATOMIC_RELEASE);
	return 0;
}

int
shmlab_handle_take(const struct shmlab_view *v, shmlab_off ticket, int access, int *fd)
{
	struct snapshot s;
	struct ticket *t;
	int got;

	if (ticket_at(v, ticket, &t) < 0)
		return -1;
	if (access != O_RDONLY && access != O_WRONLY && access != O_RDWR)
		return fail_with(EINVAL);
	if (snapshot(t, &s) < 0)
		return -1;
	if ((s.state & KIND) == MOVED)
		return fail_with(EALREADY);
	if ((got = pull(&s)) < 0 || (got = narrow(got, access)) < 0)
		return -1;
	if (claim(t) < 0)
		return close_keeping_errno(got);
	*fd = got;
	return 0;
}

// Waits until the ticket was taken at least once, at most timeout_ms. On
// timeout it withdraws the ticket, unless a take claims it first.
static int
wait_taken(struct ticket *t, int timeout_ms)
{
	struct timespec now, end;
	uint32_t seen;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L)
		end.tv_sec++, end.tv_nsec -= 1000000000L;
	for (;;) {
		struct timespec left;

		seen = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
		if (seen >= ONE_TAKE)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0)
			left.tv_sec--, left.tv_nsec += 1000000000L;
		if (left.tv_sec < 0) {
			if (__atomic_compare_exchange_n(&t->state, &seen, EMPTY, 0, __ATOMIC_ACQ_REL,
			    __ATOMIC_ACQUIRE))
				return fail_with(ETIMEDOUT);
			continue;       // taken just now
		}
		syscall(SYS_futex, &t->state, FUTEX_WAIT, seen, &left, NULL, 0);
	}
}

// Closes the giver's descriptor, if its number still names the given file.
static int
close_source(const struct snapshot *s)
{
	if (!same_file(s->fd, s->dev, s->ino))
		return fail_with(EBADF);
	return close(s->fd);
}

static void
clear(struct ticket *t)
{
	__atomic_store_n(&t->state, EMPTY, __ATOMIC_RELEASE);
	__atomic_store_n(&t->magic, 0, __ATOMIC_RELAXED);
}

int
shmlab_handle_settle(const struct shmlab_view *v, shmlab_off ticket, int timeout_ms)
{
	struct snapshot s;
	struct ticket *t;
	int rc = 0;

	if (ticket_at(v, ticket, &t) < 0 || snapshot(t, &s) < 0)
		return -1;
	if (s.pid != (int32_t)getpid() || timeout_ms < 0)
		return fail_with(EINVAL);
	if (wait_taken(t, timeout_ms) < 0)
		return -1;
	if (s.flags & SHMLAB_GIVE_MOVE)
		rc = close_source(&s);
	clear(t);
	return rc;
}
