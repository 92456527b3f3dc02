/*
 * Sync (sync.h): a holder that dies holding the lock.
 *
 * 07-contract-sync-owner-died: the workers take turns, one at a time, in
 * worker order through each view (the harness runs the last view first). In its turn a worker forks a child that
 * acquires the lock, starts to update two words the lock keeps equal, and
 * is killed with SIGKILL at a point the seed picks: before its first
 * store, between the two, or after both. The seed also picks how it dies:
 * killed by the worker, which reaps it before or after its own acquire
 * (the lock's holder is then gone, or a zombie), or, in one turn of the
 * run, killing itself a few milliseconds after the worker has started to
 * wait for the lock (the waiter is asleep when the holder dies). The
 * worker's acquire must then return SHMLAB_OWNER_DIED, within its bounded
 * timeout: never 0, never ETIMEDOUT. The worker repairs the words, calls
 * consistent (0; a second call EINVAL), releases, and takes the lock again
 * with 0: it is usable.
 *
 * In verify, on a second lock, worker 0 does the same but releases without
 * consistent: every later acquire, by worker 0 and by another process, is
 * ENOTRECOVERABLE, consistent is EINVAL and release EPERM.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "wait_check.h"

#define LOCK            ((shmlab_off)4096)
#define LOST_LOCK       (LOCK + SHMLAB_LOCK_SIZE)
#define STATE           ((shmlab_off)8192)
#define ACQUIRE_MS      3000            // the next locker is told well within this
#define TURN_MS         4500            // a bound only: every turn takes milliseconds, one a second at most
#define CHILD_LIFE_S    10              // a bound only: the child is killed long before
#define REGION_SIZE     (4 * 4096)

enum death { KILLED_REAPED, KILLED_ZOMBIE, KILLS_ITSELF };

struct state {
	word64 a, b;            // equal whenever the lock is free and consistent
	uint32_t turn;          // whose: every worker's last view, then every worker's view before
	uint32_t quit;          // a worker failed: the others stop waiting for turns
	uint32_t holding;       // the child of the worker whose turn it is holds the lock
	uint32_t waiting;       // that worker waits for the lock
};

static struct state *
state_of(const struct shmlab_view *v)
{
	return (struct state *)(v->base + STATE);
}

// The child: acquires, makes `stores` of the two stores, and waits to be
// killed; or kills itself once its parent waits for the lock.
static _Noreturn void
holder(const struct impl *im, const struct shmlab_view *v, shmlab_off lock, int stores, int self_kill)
{
	struct state *s = state_of(v);
	struct timespec life = { .tv_sec = CHILD_LIFE_S }, later = { .tv_nsec = 5 * NS_PER_MS };
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if ((rc = im->lock_acquire(v, lock, ACQUIRE_MS)) < 0)
		_exit(1);
	if (stores > 0)
		__atomic_store_n(&s->a, s->a + 1, __ATOMIC_RELAXED);
	if (stores > 1)
		__atomic_store_n(&s->b, s->b + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->holding, 1, __ATOMIC_RELEASE);
	if (self_kill) {
		for (int i = 0; i < 3000 && !__atomic_load_n(&s->waiting, __ATOMIC_ACQUIRE); i++)
			nanosleep(&(struct timespec){ .tv_nsec = NS_PER_MS }, NULL);
		nanosleep(&later, NULL);        // not needed to pass: makes it likelier the parent sleeps
		raise(SIGKILL);
	}
	nanosleep(&life, NULL);
	_exit(2);
}

// Forks a holder of lock, waits until it holds it and, unless it kills
// itself, kills it. Its pid goes to *child, still to be reaped.
static int
kill_a_holder(struct worker *w, const struct shmlab_view *v, shmlab_off lock, int stores, enum death how,
    pid_t *child)
{
	struct state *s = state_of(v);

	__atomic_store_n(&s->holding, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->waiting, 0, __ATOMIC_RELAXED);
	if ((*child = fork()) < 0)
		return fail(w, "fork: %s", strerror(errno));
	if (*child == 0)
		holder(w->impl, v, lock, stores, how == KILLS_ITSELF);
	if (await_flag(w, &s->holding, 1, "a child to acquire the lock") < 0) {
		int status = 0;
		kill(*child, SIGKILL);
		waitpid(*child, &status, 0);
		return fail(w, "the child that was to acquire the lock %s %d", WIFEXITED(status) ? "exited"
		    : "was killed by signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
	if (how == KILLS_ITSELF)
		return 0;
	kill(*child, SIGKILL);
	if (how == KILLED_REAPED) {
		waitpid(*child, NULL, 0);
		*child = 0;
	} else {
		siginfo_t dead;         // dead, not reaped: a zombie (waitid(2), WNOWAIT)
		waitid(P_PID, (id_t)*child, &dead, WEXITED | WNOWAIT);
	}
	return 0;
}

static int
not_told(struct worker *w, const char *what, int rc, int err)
{
	if (rc == 0)
		return fail(w, "%s: expected SHMLAB_OWNER_DIED, got 0: the next locker must be told that "
		    "the data the lock protects may be half written", what);
	return fail(w, "%s: expected SHMLAB_OWNER_DIED, got %d%s%s", what, rc, rc == -1 ? " with " : "",
	    rc == -1 ? errname(err) : "");
}

// The next locker after the holder's death: told, repairs, makes it consistent.
static int
told_and_repair(struct worker *w, const struct shmlab_view *v, pid_t child, const char *how)
{
	const struct impl *im = w->impl;
	struct state *s = state_of(v);
	char what[200];
	int rc;

	__atomic_store_n(&s->waiting, 1, __ATOMIC_RELEASE);
	rc = im->lock_acquire(v, LOCK, ACQUIRE_MS);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	snprintf(what, sizeof what, "lock_acquire(a lock whose holder was SIGKILLed holding it, %s)", how);
	if (rc != SHMLAB_OWNER_DIED)
		return not_told(w, what, rc, errno);
	__atomic_store_n(&s->b, s->a, __ATOMIC_RELAXED);
	if (SUCCEEDS(w, im->lock_consistent(v, LOCK), "lock_consistent(after SHMLAB_OWNER_DIED)") < 0
	    || REFUSES(w, EINVAL, im->lock_consistent(v, LOCK), "lock_consistent(a second time)") < 0
	    || SUCCEEDS(w, im->lock_release(v, LOCK), "lock_release(made consistent)") < 0)
		return -1;
	if (SUCCEEDS(w, im->lock_acquire(v, LOCK, 0), "lock_acquire(a lock made consistent and released, 0 ms)") < 0)
		return -1;
	rc = s->a == s->b ? 0 : fail(w, "the words the lock keeps equal differ after the repair");
	return SUCCEEDS(w, im->lock_release(v, LOCK), "lock_release") < 0 ? -1 : rc;
}

static int
died_prepare(struct worker *w, const struct shmlab_view *v)
{
	memset(state_of(v), 0, sizeof(struct state));
	if (SUCCEEDS(w, w->impl->lock_init(v, LOCK), "lock_init") < 0)
		return -1;
	return SUCCEEDS(w, w->impl->lock_init(v, LOST_LOCK), "lock_init");
}

static int
my_turn(struct worker *w, const struct shmlab_view *v)
{
	uint64_t r = mix64(w->seed ^ (uint64_t)(w->index * 2 + w->view));
	int stores = (int)(r % 3), self_kill = w->view == 0 && w->index == (int)(w->seed % (uint64_t)w->procs);
	enum death how = self_kill ? KILLS_ITSELF : (r >> 8) % 2 ? KILLED_ZOMBIE : KILLED_REAPED;
	static const char *const hows[] = { "killed and reaped", "killed, not yet reaped",
		"killed while this process waits" };
	static const char *const points[] = { "before its first store", "between its two stores",
		"after both stores" };
	char what[120];
	pid_t child;

	snprintf(what, sizeof what, "%s, %s", hows[how], points[stores]);
	if (kill_a_holder(w, v, LOCK, stores, how, &child) < 0)
		return -1;
	return told_and_repair(w, v, child, what);
}

static int
died_run(struct worker *w, const struct shmlab_view *v)
{
	struct state *s = state_of(v);
	uint32_t mine = (uint32_t)((w->views - 1 - w->view) * w->procs + w->index);   // views run last first
	int rc;

	for (int ms = 0; __atomic_load_n(&s->turn, __ATOMIC_ACQUIRE) != mine; ms++) {
		if (__atomic_load_n(&s->quit, __ATOMIC_ACQUIRE))
			return fail(w, "another worker failed before this one's turn");
		if (ms == TURN_MS)
			return fail(w, "waited %d ms for this worker's turn", TURN_MS);
		nanosleep(&(struct timespec){ .tv_nsec = NS_PER_MS }, NULL);
	}
	if ((rc = my_turn(w, v)) < 0)
		__atomic_store_n(&s->quit, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&s->turn, 1, __ATOMIC_ACQ_REL);
	return rc;
}

// The lock released after OWNER_DIED without consistent is lost for everyone.
static int
died_verify(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	pid_t child, other;
	int rc, status;

	if (kill_a_holder(w, v, LOST_LOCK, 1, KILLED_REAPED, &child) < 0)
		return -1;
	rc = im->lock_acquire(v, LOST_LOCK, ACQUIRE_MS);
	if (rc != SHMLAB_OWNER_DIED)
		return not_told(w, "lock_acquire(a lock whose holder was SIGKILLed holding it)", rc, errno);
	if (SUCCEEDS(w, im->lock_release(v, LOST_LOCK), "lock_release(after SHMLAB_OWNER_DIED, not consistent)") < 0
	    || REFUSES(w, ENOTRECOVERABLE, im->lock_acquire(v, LOST_LOCK, 0),
	    "lock_acquire(a lock released after SHMLAB_OWNER_DIED without consistent)") < 0
	    || REFUSES(w, EINVAL, im->lock_consistent(v, LOST_LOCK), "lock_consistent(a lock not recoverable)") < 0
	    || REFUSES(w, EPERM, im->lock_release(v, LOST_LOCK), "lock_release(a lock not recoverable)") < 0)
		return -1;
	if ((other = fork()) < 0)
		return fail(w, "fork: %s", strerror(errno));
	if (other == 0) {
		errno = 0;
		rc = im->lock_acquire(v, LOST_LOCK, ACQUIRE_MS);
		_exit(rc == -1 && errno == ENOTRECOVERABLE ? 0 : rc == -1 && errno > 0 && errno < 200 ? errno : 255);
	}
	if (waitpid(other, &status, 0) != other || !WIFEXITED(status))
		return fail(w, "the child that acquired the lost lock did not exit");
	if (WEXITSTATUS(status) != 0)
		return fail(w, "lock_acquire(a lock another process made not recoverable), in another process: "
		    "expected -1 with ENOTRECOVERABLE, got %s",
		    WEXITSTATUS(status) == 255 ? "another result" : errname(WEXITSTATUS(status)));
	return 0;
}

const struct scenario contract_sync_owner_died = {
	.name = "07-contract-sync-owner-died",
	.summary = "a holder killed holding the lock leaves the next locker told, not stuck",
	.handout = "labs/07-locks/README.md#exercise",
	.rule = "sync-owner-died",
	.region_size = REGION_SIZE,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_SYNC,
	.passes_under = ALL_STRATEGIES,
	.prepare = died_prepare,
	.run = died_run,
	.verify = died_verify,
};
