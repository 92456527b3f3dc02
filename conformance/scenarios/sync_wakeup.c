/*
 * Sync (sync.h): no lost wake-up, and bounded waits.
 *
 * 07-contract-sync-wakeup: worker 0 acquires the lock GATE in prepare. The
 * other workers, through their first view, each wait to acquire it with a
 * long timeout; once each is asleep (its /proc/<pid>/stat state is S),
 * worker 0 notes the time and releases GATE. Every waiter must then have it,
 * one after another, each within WAKE_MS of the release: a release must
 * wake the processes asleep on the lock, whatever address each maps the
 * region at. A library whose waiters sleep on something only their own
 * process can wake (a futex with FUTEX_PRIVATE_FLAG, a process-private
 * pthread mutex) leaves them asleep until their own timer ends the sleep.
 *
 * Also the lock BUSY, held all along by a child of worker 0 forked in
 * prepare: every worker tries it with the timeouts of settle-timeout
 * (wait_check.h): ETIMEDOUT only once the timeout has passed on
 * CLOCK_MONOTONIC, asleep, not spinning (timeouts.c explains how this is
 * judged). The child dies with worker 0 (PR_SET_PDEATHSIG), if verify does
 * not kill it first.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "addresses.h"
#include "check.h"
#include "wait_check.h"

#define GATE            ((shmlab_off)4096)
#define BUSY            (GATE + SHMLAB_LOCK_SIZE)
#define MEETING         ((shmlab_off)8192)
#define WAKE_MS         400             // a woken waiter has the lock this soon after the release
#define EVENT_MS        4000            // a bound only: the release ends the wait long before
#define ASLEEP_MS       2000            // how long worker 0 waits for the waiters to fall asleep
#define CHILD_LIFE_S    30              // a bound only: verify, or worker 0's death, ends the child first
#define REGION_SIZE     (4 * 4096)

struct meeting {
	uint32_t waiting;               // waiters about to acquire GATE
	uint32_t busy_held;             // the child holds BUSY
	int32_t child;                  // its pid
	int32_t pid[MAX_PROCS];         // each waiter's
	word64 released_ns;             // CLOCK_MONOTONIC when worker 0 released GATE
};

static struct meeting *
meeting_of(const struct shmlab_view *v)
{
	return (struct meeting *)(v->base + MEETING);
}

// The child of worker 0 that holds BUSY until it is killed.
static void
hold_busy(const struct impl *im, const struct shmlab_view *v)
{
	struct timespec life = { .tv_sec = CHILD_LIFE_S };

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (im->lock_acquire(v, BUSY, 0) != 0)
		_exit(1);
	__atomic_store_n(&meeting_of(v)->busy_held, 1, __ATOMIC_RELEASE);
	nanosleep(&life, NULL);
	_exit(0);
}

static int
wakeup_prepare(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	struct meeting *m = meeting_of(v);
	pid_t child;

	memset(m, 0, sizeof *m);
	if (SUCCEEDS(w, im->lock_init(v, GATE), "lock_init") < 0 || SUCCEEDS(w, im->lock_init(v, BUSY), "lock_init") < 0
	    || SUCCEEDS(w, im->lock_acquire(v, GATE, 0), "lock_acquire(a free lock, 0 ms)") < 0)
		return -1;
	if ((child = fork()) < 0)
		return fail(w, "fork: %s", strerror(errno));
	if (child == 0)
		hold_busy(im, v);
	m->child = child;
	return await_flag(w, &m->busy_held, 1, "a child of worker 0 to acquire a lock");
}

// Whether process pid sleeps (state S in /proc/<pid>/stat, proc(5)).
static int
asleep(pid_t pid)
{
	char path[40], buf[512], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] == 'S';
}

// Worker 0: once every waiter sleeps (or ASLEEP_MS have passed: the
// release then tests less, never wrongly), release GATE.
static int
open_gate(struct worker *w, const struct shmlab_view *v)
{
	struct meeting *m = meeting_of(v);
	struct timespec ms = { .tv_nsec = NS_PER_MS };

	if (await_flag(w, &m->waiting, (uint32_t)w->procs - 1, "the other workers to wait for the lock") < 0)
		return -1;
	for (int k = 1, tries = 0; k < w->procs && tries < ASLEEP_MS; tries++) {
		if (asleep(__atomic_load_n(&m->pid[k], __ATOMIC_ACQUIRE)))
			k++;
		else
			nanosleep(&ms, NULL);
	}
	__atomic_store_n(&m->released_ns, (uint64_t)clock_ns(CLOCK_MONOTONIC), __ATOMIC_RELEASE);
	return SUCCEEDS(w, w->impl->lock_release(v, GATE), "lock_release(a lock others wait for)");
}

// A waiter: acquire GATE, asleep until worker 0 releases it, then pass it on.
static int
pass_gate(struct worker *w, const struct shmlab_view *v)
{
	struct meeting *m = meeting_of(v);
	int64_t got, released;
	int rc;

	__atomic_store_n(&m->pid[w->index], (int32_t)getpid(), __ATOMIC_RELEASE);
	__atomic_add_fetch(&m->waiting, 1, __ATOMIC_ACQ_REL);
	rc = w->impl->lock_acquire(v, GATE, EVENT_MS);
	got = clock_ns(CLOCK_MONOTONIC);
	if (rc != 0)
		return refused(w, rc, errno, 0, "lock_acquire(a lock worker 0 releases while this process waits)");
	released = (int64_t)__atomic_load_n(&m->released_ns, __ATOMIC_ACQUIRE);
	if (SUCCEEDS(w, w->impl->lock_release(v, GATE), "lock_release") < 0)
		return -1;
	if (released == 0)
		return fail(w, "lock_acquire returned 0 before worker 0 released the lock it held");
	if (got - released > WAKE_MS * NS_PER_MS)
		return fail(w, "lock_acquire had the lock %.1f ms after worker 0 released it: a release must wake "
		    "the processes asleep on the lock (within %d ms here), not leave them to their own timers",
		    (double)(got - released) / 1e6, WAKE_MS);
	return 0;
}

// Acquire BUSY, which the child holds, with timeout_ms: ETIMEDOUT, in time and asleep.
static int
busy_out(struct worker *w, const struct shmlab_view *v, int timeout_ms)
{
	struct stopwatch start, lap;
	char what[80];
	int rc;

	snprintf(what, sizeof what, "lock_acquire(a lock another process holds, %d ms)", timeout_ms);
	stopwatch_start(&start);
	rc = REFUSES(w, ETIMEDOUT, w->impl->lock_acquire(v, BUSY, timeout_ms), what);
	stopwatch_lap(&start, &lap);
	return rc < 0 ? -1 : waited_out(w, &lap, timeout_ms, what);
}

static int
wakeup_run(struct worker *w, const struct shmlab_view *v)
{
	int rc = 0;

	if (w->view == 0 && w->procs > 1)
		rc = w->index == 0 ? open_gate(w, v) : pass_gate(w, v);
	if (rc == 0 && w->view == 0)
		to_phase();
	for (int i = 0; rc == 0 && i < NSHORT_TIMEOUTS; i++)
		rc = busy_out(w, v, short_timeouts[i]);
	if (rc == 0 && w->view == 0)
		rc = busy_out(w, v, long_timeout(w));
	return rc;
}

static int
wakeup_verify(struct worker *w, const struct shmlab_view *v)
{
	pid_t child = meeting_of(v)->child;
	int rc = 0;

	if (w->procs == 1)
		rc = SUCCEEDS(w, w->impl->lock_release(v, GATE), "lock_release");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return rc;
}

const struct scenario contract_sync_wakeup = {
	.name = "07-contract-sync-wakeup",
	.summary = "a release wakes the processes waiting for the lock; a wait for a held lock times out asleep",
	.handout = "labs/07-locks/README.md#exercise",
	.rule = "sync-wakeup",
	.region_size = REGION_SIZE,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_SYNC,
	.passes_under = ALL_STRATEGIES,
	.prepare = wakeup_prepare,
	.run = wakeup_run,
	.verify = wakeup_verify,
};
