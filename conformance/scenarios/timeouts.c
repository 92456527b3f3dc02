/*
 * Bounded waits: the two calls that wait for another process,
 * shmlab_handle_settle (handles.h) and shmlab_mailbox_recv (global_ids.h),
 * each with its timeout_ms (CONTRACT.md, "Time").
 *
 * A call that waits for nothing that comes must fail with -1 and ETIMEDOUT,
 * and only once timeout_ms have passed on CLOCK_MONOTONIC since it began:
 * the scenario reads that clock before and after each call, so the time it
 * measures contains the call's whole wait, and a call that gives up early
 * is caught in every run, however loaded the machine. How late a call may
 * return is not checked: on a loaded machine any call can be late.
 *
 * While it waits, the call must sleep in the kernel, not spin: a waiter that
 * spins takes the processor from the process it waits for. The scenario
 * reads what its own thread did during the call: the processor time it used
 * (CLOCK_THREAD_CPUTIME_ID) and, where the kernel reports it
 * (/proc/thread-self/schedstat), the time it waited for a processor; what
 * is left of the call's time it slept. A wait of 150 ms or more must sleep
 * a tenth of its timeout (a spinning thread sleeps not at all, whatever the
 * load; a thread that naps between polls sleeps most of it, less what a
 * loaded machine keeps it waiting for a processor after each nap), unless
 * the thread was starved: given less than a hundredth of the processor
 * time it waited for. The scheduler gives a runnable thread its share, so a
 * spinning one gets that much unless hundreds of threads compete for each
 * processor; a napping one, woken late after every nap on a busy machine,
 * can wait for a processor nearly all the time and use almost none. And no
 * call may use more processor time than SPIN_ALLOWANCE plus a twentieth of
 * its time (a correct wait uses microseconds; a spinning one all the
 * processor it is given, which on a loaded machine may be little: this
 * second check catches a spin only when it gets a fair share).
 *
 * The waits run one after another from a phase of the second the scenario
 * chooses (0.05 to 0.35 s past a whole second of CLOCK_MONOTONIC), so that
 * time arithmetic that goes wrong only at some phases (a carry between
 * tv_sec and tv_nsec, milliseconds counted from tv_nsec alone) goes wrong
 * in every run, not only when a call happens to start there.
 *
 * Every worker waits, all at once (the long waits overlap, so a run fits in
 * its 5 s); under `double` the long wait is made through the first view
 * only. Worker 0 also waits for an event that comes: worker 1 takes its
 * ticket, or sends to its mailbox, while it waits.
 *
 * 04-contract-settle-timeout: settle of a ticket nobody takes, timeouts 0,
 * 1, 150 and 1000 or 1100 ms: ETIMEDOUT, the descriptor still open and the
 * ticket withdrawn (a take of it is EINVAL). Settle is the giver's: from
 * another process (a child of the giver) it is EINVAL, as is a negative
 * timeout, and the ticket stays. A ticket taken while its giver waits in
 * settle with a long timeout: settle returns 0 and closes a moved
 * descriptor.
 *
 * 05-contract-recv-timeout: receive from a mailbox nobody sends to, with
 * the same timeouts: ETIMEDOUT. A message sent while the receiver waits
 * with a long timeout is received, whole.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addresses.h"
#include "check.h"
#include "wait_check.h"

#define EVENT_MS        60000                   // a bound only: a wait the event does not end outlasts the run

// What the scenarios share in the region, after the header.
struct meeting {
	uint32_t waiting;       // worker 0 is (about to be) waiting for worker 1's event
	uint32_t done;          // worker 1 has made its event
};

// After the header: the meeting, worker 0's event slot (a ticket or a
// mailbox), then SLOTS slots of 64 bytes for each view of each worker.
#define MEETING         ((shmlab_off)SHMLAB_HEADER_SIZE)
#define EVENT_SLOT      (MEETING + 64)
#define SLOTS           4
#define SLOT(w, i)      (EVENT_SLOT + 64 + (shmlab_off)(((w)->index * 2 + (w)->view) * SLOTS + (i)) * 64)
#define REGION_SIZE     (5 * 4096)

_Static_assert(SHMLAB_HEADER_SIZE + 128 + MAX_PROCS * 2 * SLOTS * 64 <= REGION_SIZE, "every slot fits");

static struct meeting *
meeting_of(const struct shmlab_view *v)
{
	return (struct meeting *)(v->base + MEETING);
}

// ------------------------------------------------------------ settle

#define OWN_FD          110     // the file each worker gives and keeps
#define EVENT_FD        111     // worker 0's file, moved to worker 1 while it settles

// A memfd at descriptor `at`, close-on-exec; `at`, or -1.
static int
file_at(int at)
{
	int fd = memfd_create("shmlab-timeouts", MFD_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = dup3(fd, at, O_CLOEXEC);
	close(fd);
	return rc;
}

static int
is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

// Gives OWN_FD at slot, settles with timeout_ms: ETIMEDOUT, in time and
// asleep; the descriptor stays open and the ticket is withdrawn.
static int
settle_out(struct worker *w, const struct shmlab_view *v, int slot, int timeout_ms)
{
	const struct impl *im = w->impl;
	struct stopwatch start, lap;
	char what[80];
	int fd = -1, rc;

	snprintf(what, sizeof what, "handle_settle(a ticket nobody takes, %d ms)", timeout_ms);
	if (SUCCEEDS(w, im->handle_give(v, SLOT(w, slot), OWN_FD, SHMLAB_GIVE_MOVE), "handle_give") < 0)
		return -1;
	stopwatch_start(&start);
	rc = REFUSES(w, ETIMEDOUT, im->handle_settle(v, SLOT(w, slot), timeout_ms), what);
	stopwatch_lap(&start, &lap);
	if (rc < 0 || waited_out(w, &lap, timeout_ms, what) < 0)
		return -1;
	if (!is_open(OWN_FD))
		return fail(w, "%s timed out and closed the descriptor it was moving", what);
	rc = REFUSES(w, EINVAL, im->handle_take(v, SLOT(w, slot), O_RDWR, &fd),
	    "handle_take(a ticket withdrawn by a settle that timed out)");
	if (fd >= 0)
		close(fd);
	return rc;
}

// Settle is the giver's: a child's settle of its parent's ticket, and the
// giver's own with a negative timeout, are EINVAL and leave the ticket.
static int
settle_refusals(struct worker *w, const struct shmlab_view *v, int slot)
{
	const struct impl *im = w->impl;
	int status;
	pid_t child;

	if (SUCCEEDS(w, im->handle_give(v, SLOT(w, slot), OWN_FD, 0), "handle_give") < 0)
		return -1;
	if ((child = fork()) < 0)
		return fail(w, "fork: %s", strerror(errno));
	if (child == 0) {
		errno = 0;
		int rc = im->handle_settle(v, SLOT(w, slot), 0);
		_exit(rc == -1 && errno == EINVAL ? 0 : rc == -1 && errno > 0 && errno < 200 ? errno : 255);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return fail(w, "the child that settled this worker's ticket did not exit");
	if (WEXITSTATUS(status) != 0)
		return fail(w, "handle_settle(another process's ticket): expected -1 with EINVAL, got %s",
		    WEXITSTATUS(status) == 255 ? "another result" : errname(WEXITSTATUS(status)));
	if (REFUSES(w, EINVAL, im->handle_settle(v, SLOT(w, slot), -1), "handle_settle(timeout -1)") < 0)
		return -1;
	return REFUSES(w, ETIMEDOUT, im->handle_settle(v, SLOT(w, slot), 0),
	    "handle_settle(a ticket another process's settle and a negative timeout left, 0 ms)");
}

// Worker 0 moves EVENT_FD and waits in settle; worker 1 takes it meanwhile.
static int
settle_event(struct worker *w, const struct shmlab_view *v)
{
	struct meeting *m = meeting_of(v);
	int fd = -1, rc;

	if (w->index == 1) {
		if (await_flag(w, &m->waiting, 1, "worker 0 to give its ticket") < 0)
			return -1;
		rc = SUCCEEDS(w, w->impl->handle_take(v, EVENT_SLOT, O_RDWR, &fd),
		    "handle_take(a moved descriptor whose giver waits in settle)");
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (file_at(EVENT_FD) < 0)
		return fail(w, "cannot make worker 0's file: %s", strerror(errno));
	if (SUCCEEDS(w, w->impl->handle_give(v, EVENT_SLOT, EVENT_FD, SHMLAB_GIVE_MOVE), "handle_give") < 0)
		return -1;
	__atomic_store_n(&m->waiting, 1, __ATOMIC_RELEASE);
	if (SUCCEEDS(w, w->impl->handle_settle(v, EVENT_SLOT, EVENT_MS),
	    "handle_settle(a moved descriptor worker 1 takes meanwhile)") < 0)
		return -1;
	if (is_open(EVENT_FD))
		return fail(w, "handle_settle returned 0 for a taken move and left the descriptor open");
	return 0;
}

static int
settle_prepare(struct worker *w, const struct shmlab_view *v)
{
	(void)w;
	memset(meeting_of(v), 0, sizeof(struct meeting));
	return 0;
}

static int
settle_run(struct worker *w, const struct shmlab_view *v)
{
	size_t n = NSHORT_TIMEOUTS;
	int rc = 0;

	// Under Yama's ptrace_scope 1, the harness, which started worker 1 too,
	// may then pull this process's descriptors (handles.c says more).
	(void)prctl(PR_SET_PTRACER, (unsigned long)getppid(), 0UL, 0UL, 0UL);
	if (file_at(OWN_FD) < 0)
		return fail(w, "cannot make this worker's file: %s", strerror(errno));
	if (w->view == 0 && w->procs > 1 && w->index < 2)
		rc = settle_event(w, v);
	if (rc == 0 && w->view == 0)
		to_phase();
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = settle_out(w, v, (int)i, short_timeouts[i]);
	if (rc == 0 && w->view == 0)
		rc = settle_out(w, v, (int)n, long_timeout(w));
	if (rc == 0)
		rc = settle_refusals(w, v, 0);
	close(OWN_FD);
	if (w->index == 0)
		close(EVENT_FD);
	return rc;
}

const struct scenario contract_settle_timeout = {
	.name = "04-contract-settle-timeout",
	.summary = "settle of a ticket nobody takes times out, asleep, once its timeout has passed",
	.handout = "labs/04-handles/README.md#pulling-a-descriptor-pidfd_getfd",
	.rule = "settle-timeout",
	.region_size = REGION_SIZE,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_HANDLES,
	.passes_under = ALL_STRATEGIES,
	.prepare = settle_prepare,
	.run = settle_run,
};

// ------------------------------------------------------------ recv

#define EMPTY_BOX       (EVENT_SLOT + 64)       // nobody sends to it
#define EVENT_BOX       EVENT_SLOT
#define EVENT_TEXT      "sent while worker 0 waits"

static int
recv_out(struct worker *w, const struct shmlab_view *v, int timeout_ms)
{
	char buf[SHMLAB_MAILBOX_MSG_MAX];
	struct stopwatch start, lap;
	char what[80];
	size_t len;
	int rc;

	snprintf(what, sizeof what, "mailbox_recv(an empty mailbox, %d ms)", timeout_ms);
	stopwatch_start(&start);
	rc = REFUSES(w, ETIMEDOUT, w->impl->mailbox_recv(v, EMPTY_BOX, buf, sizeof buf, &len, timeout_ms), what);
	stopwatch_lap(&start, &lap);
	return rc < 0 ? -1 : waited_out(w, &lap, timeout_ms, what);
}

// Worker 0 waits in recv; worker 1 sends meanwhile.
static int
recv_event(struct worker *w, const struct shmlab_view *v)
{
	struct meeting *m = meeting_of(v);
	char buf[SHMLAB_MAILBOX_MSG_MAX];
	size_t len = 0;

	if (w->index == 1) {
		struct timespec later = { .tv_nsec = 20 * NS_PER_MS };

		if (await_flag(w, &m->waiting, 1, "worker 0 to wait in mailbox_recv") < 0)
			return -1;
		nanosleep(&later, NULL);        // not needed to pass: makes it likelier worker 0 is inside recv
		return SUCCEEDS(w, w->impl->mailbox_send(v, EVENT_BOX, EVENT_TEXT, sizeof EVENT_TEXT),
		    "mailbox_send(to worker 0, waiting)");
	}
	__atomic_store_n(&m->waiting, 1, __ATOMIC_RELEASE);
	if (SUCCEEDS(w, w->impl->mailbox_recv(v, EVENT_BOX, buf, sizeof buf, &len, EVENT_MS),
	    "mailbox_recv(a message worker 1 sends meanwhile)") < 0)
		return -1;
	if (len != sizeof EVENT_TEXT || memcmp(buf, EVENT_TEXT, len) != 0)
		return fail(w, "mailbox_recv gave %zu bytes, \"%.40s\": not worker 1's %zu", len, buf,
		    sizeof EVENT_TEXT);
	return 0;
}

// Makes a mailbox at box, and sends and takes one message: a SysV queue
// no process has sent to or received from has no pid in /proc/sysvipc/msg,
// and a sweep of such leftovers (scripts/mutate.py's, when a mutation run
// on the same machine ends) would remove it in the middle of this run.
static int
make_used_mailbox(struct worker *w, const struct shmlab_view *v, shmlab_off box)
{
	char c = 'p';
	size_t len;

	if (SUCCEEDS(w, w->impl->mailbox_create(v, box), "mailbox_create") < 0
	    || SUCCEEDS(w, w->impl->mailbox_send(v, box, &c, 1), "mailbox_send") < 0)
		return -1;
	return SUCCEEDS(w, w->impl->mailbox_recv(v, box, &c, 1, &len, EVENT_MS), "mailbox_recv");
}

static int
recv_prepare(struct worker *w, const struct shmlab_view *v)
{
	memset(meeting_of(v), 0, sizeof(struct meeting));
	if (make_used_mailbox(w, v, EMPTY_BOX) < 0)
		return -1;
	return make_used_mailbox(w, v, EVENT_BOX);
}

static int
recv_run(struct worker *w, const struct shmlab_view *v)
{
	size_t n = NSHORT_TIMEOUTS;
	int rc = 0;

	if (w->view == 0 && w->procs > 1 && w->index < 2)
		rc = recv_event(w, v);
	if (rc == 0 && w->view == 0)
		to_phase();
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = recv_out(w, v, short_timeouts[i]);
	if (rc == 0 && w->view == 0)
		rc = recv_out(w, v, long_timeout(w));
	return rc;
}

static int
recv_verify(struct worker *w, const struct shmlab_view *v)
{
	int rc = SUCCEEDS(w, w->impl->mailbox_destroy(v, EMPTY_BOX), "mailbox_destroy");

	if (SUCCEEDS(w, w->impl->mailbox_destroy(v, EVENT_BOX), "mailbox_destroy") < 0)
		rc = -1;
	return rc;
}

const struct scenario contract_recv_timeout = {
	.name = "05-contract-recv-timeout",
	.summary = "a receive from an empty mailbox times out, asleep, once its timeout has passed",
	.handout = "labs/05-global-names/README.md#the-fix",
	.rule = "recv-timeout",
	.region_size = REGION_SIZE,
	.flags = CONTRACT | SYSV_IPC,
	.features = SHMLAB_FEATURE_GLOBAL_IDS,
	.passes_under = ALL_STRATEGIES,
	.prepare = recv_prepare,
	.run = recv_run,
	.verify = recv_verify,
};
