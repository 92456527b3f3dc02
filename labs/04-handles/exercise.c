/*
 * Lab 04 exercise: giving a descriptor through the region.
 *
 * The labs' exercises together form your implementation of the shmlab
 * contract (conformance/CONTRACT.md), built into libshmlab-learner.so. This
 * file is lab 04's part, the feature set handles (SHMLAB_FEATURE_HANDLES):
 * shmlab_handle_give(), shmlab_handle_take() and shmlab_handle_settle(), as
 * reference/include/shmlab/handles.h specifies them, each a stub marked TODO
 * that fails with ENOSYS. The ticket's layout and the helpers below it are
 * written for you.
 *
 * Check it (see the handout's "Exercise"):
 *
 *   ./tour check 04            the rules of labs 01 to 04, a table of what passes
 *   ./tour check 04 --hint     and a hint for the first rule that fails
 *   ./tour watch 04            again at every save
 *
 * The rules are handle-give-take, handle-no-leak, handle-access,
 * handle-move, handle-faults, settle-timeout and handle-move-interleaved.
 *
 * The rule. A descriptor number is an index into one process's table: in
 * the region it names nothing, or another file, in every other process. The
 * ticket holds what lets another process ask the kernel for a descriptor of
 * its own: the giver's pid, the giver's number, and facts to check both by.
 * The taker opens the giver with pidfd_open(2) and pulls the file with
 * pidfd_getfd(2); a number read from the ticket is only ever passed to
 * pidfd_getfd, never used as a descriptor of the taker's.
 *
 * Everything in a ticket is input from another process: read it once, then
 * check it. The pid may name another process since (the start time says),
 * the giver's number may name another file since (st_dev and st_ino say).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

#include "learner.h"

// ANCHOR: ticket
// What a ticket is, in its state word: the only word two processes race
// on, changed by compare-and-swap alone, and the word the giver sleeps on.
enum {
	TICKET_NONE = 0,        // no ticket: zero bytes, withdrawn or settled
	TICKET_COPY = 1,        // a copy, not taken yet
	TICKET_COPY_TAKEN = 2,  // a copy, taken at least once; more takes welcome
	TICKET_MOVE = 3,        // a move, not taken yet
	TICKET_MOVE_TAKEN = 4,  // a move, taken by exactly one process
};

struct learner_ticket {
	uint32_t state;                 // TICKET_*: atomics only
	int32_t pid;                    // the giver
	_Alignas(8) uint64_t start;     // the giver's start time (start_time() below)
	uint64_t dev, ino;              // the given file (fstat): what the number named
	int32_t fd;                     // the giver's number: an index into the GIVER's table
	uint32_t pad[7];
};

static_assert(sizeof(struct learner_ticket) == SHMLAB_TICKET_SIZE, "a ticket fills its 64 bytes");
static_assert(offsetof(struct learner_ticket, start) == 8, "ticket layout is pinned");
static_assert(offsetof(struct learner_ticket, dev) == 16, "ticket layout is pinned");
static_assert(offsetof(struct learner_ticket, ino) == 24, "ticket layout is pinned");
static_assert(offsetof(struct learner_ticket, fd) == 32, "ticket layout is pinned");
// ANCHOR_END: ticket

// Written for you; unused until your code calls it.
#define GIVEN __attribute__((unused))

// The start time of process pid, in clock ticks since boot: field 22 of
// /proc/<pid>/stat (proc(5)), counted after the ')' that ends the command
// name, which may itself hold spaces and parentheses. ESRCH if there is no
// such process; open's errno if it fails otherwise.
static GIVEN int
start_time(pid_t pid, uint64_t *start)
{
	char path[32], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			errno = ESRCH;
		return -1;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) {
		errno = ESRCH;
		return -1;
	}
	buf[n] = '\0';          // a string only from here on
	if ((p = strrchr(buf, ')')) == NULL) {
		errno = EIO;
		return -1;
	}
	for (int field = 2; field < 22; field++)
		if ((p = strchr(p + 1, ' ')) == NULL) {
			errno = EIO;
			return -1;
		}
	*start = strtoull(p + 1, NULL, 10);
	return 0;
}

// 1 if fd is open on the file (dev, ino), 0 if not (closed, another file,
// or fstat failed).
static GIVEN int
same_file(int fd, uint64_t dev, uint64_t ino)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

// Closes fd and returns -1 with the errno the caller had: close() may
// change errno even when it succeeds (POSIX leaves it unspecified), and the
// contract wants the errno of the step that failed.
static GIVEN int
close_and_fail(int fd)
{
	int err = errno;

	close(fd);
	errno = err;
	return -1;
}

// Sleeps while *word still holds `seen`, until a wake, the deadline or a
// signal, whichever comes first; returns at once if *word holds something
// else. Reread the word after it returns: a wake is a hint, not a promise.
// FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, and without
// FUTEX_PRIVATE_FLAG a wake from any process that maps the page reaches it
// (futex(2)). Neither call writes the word: the kernel only reads it.
static GIVEN void
sleep_while(uint32_t *word, uint32_t seen, const struct timespec *deadline)
{
	syscall(SYS_futex, word, FUTEX_WAIT_BITSET, seen, deadline, NULL, FUTEX_BITSET_MATCH_ANY);
}

// Wakes every process asleep in sleep_while() on word.
static GIVEN void
wake_all(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

// ANCHOR: give
// Writes a ticket for this process's fd at offset ticket. The checks come
// in this order: ERANGE (the ticket's 64 bytes are not inside the view),
// EINVAL (not aligned to 8; flags other than 0 and SHMLAB_GIVE_MOVE), EBADF
// (fstat of fd fails). Make every system call before the first store: a
// give that fails leaves no ticket. Write the fields, then publish the
// state (TICKET_COPY or TICKET_MOVE) with a release store.
int
shmlab_handle_give(const struct shmlab_view *v, shmlab_off ticket, int fd, unsigned flags)
// ANCHOR_END: give
{
	(void)v;
	(void)ticket;
	(void)fd;
	(void)flags;
	errno = ENOSYS;         // TODO: check, fstat, start_time(getpid()), fill, publish
	return -1;
}

// ANCHOR: take
// Makes a descriptor of this process for the ticket's file, with exactly
// `access`, FD_CLOEXEC, in *fd. Checks: ERANGE, EINVAL (alignment; access
// not O_RDONLY, O_WRONLY or O_RDWR; a state that is no ticket), EALREADY (a
// move taken already: the ticket answers before the giver is asked). Then:
// pidfd_open the giver; check it is the process that gave (its start time
// as the ticket says, and the pidfd not readable with poll(2): a process
// that has exited, reaped or not, is ESRCH); pidfd_getfd its number; check
// the file (EBADF). More access than the file's F_GETFL is EACCES; less is a
// new open of /proc/self/fd/<n> (proc(5)). Last, claim the ticket by
// compare-and-swap of its state and wake the giver. Every descriptor this
// call opened on the way is closed, on every path, with errno kept.
int
shmlab_handle_take(const struct shmlab_view *v, shmlab_off ticket, int access, int *fd)
// ANCHOR_END: take
{
	(void)v;
	(void)ticket;
	(void)access;
	(void)fd;
	errno = ENOSYS;         // TODO: read the ticket once, pull, check, narrow, claim
	return -1;
}

// ANCHOR: settle
// The giver's: EINVAL unless the ticket is live and this process gave it,
// and timeout_ms >= 0. Waits with sleep_while() until the state says taken.
// Once the deadline has passed, withdraw the ticket by compare-and-swap to
// TICKET_NONE: ETIMEDOUT, nothing closed; if the swap fails it was taken
// just now, so go on. A move taken: close fd, if it still names the file
// given (else EBADF, nothing closed). Then clear the state either way.
int
shmlab_handle_settle(const struct shmlab_view *v, shmlab_off ticket, int timeout_ms)
// ANCHOR_END: settle
{
	(void)v;
	(void)ticket;
	(void)timeout_ms;
	errno = ENOSYS;         // TODO: wait until taken (bounded), withdraw or close, clear
	return -1;
}
