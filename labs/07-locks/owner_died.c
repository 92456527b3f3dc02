// 07-dead-holder-broken, 07-robust-fixed and 07-not-consistent-broken: the
// process holding the lock is killed inside its critical section.
//
// Worker 0 forks a child that takes the lock, starts an update of the data
// it guards (a == b, always, outside the lock), and is killed by SIGKILL
// half-way. No code of the child's runs after that, so nothing unlocks.
//
//   - a plain process-shared mutex stays locked by a process that no longer
//     exists: every later lock waits until its deadline (forever, without
//     one);
//   - a robust mutex (pthread_mutexattr_setrobust) is unlocked by the kernel
//     when its holder dies (the robust futex list, set_robust_list(2)), and
//     the next locker gets it with EOWNERDEAD: it must repair the data, then
//     call pthread_mutex_consistent;
//   - if it unlocks without doing so, the mutex is unusable for good: every
//     later lock fails with ENOTRECOVERABLE.
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "locks.h"
#include "scenario.h"
#include "shmlab/shared_type.h"

#define DEAD_WAIT_MS 1000       // each locker's wait: worker 0's, then the others' at once

struct account {
	pthread_mutex_t lock;
	uint64_t a, b;                  // a == b whenever the lock is free
	_Atomic uint32_t first_done;    // worker 0, the first to try the lock, is done
	_Atomic uint32_t told_dead;     // how many lockers were told EOWNERDEAD
	int32_t holder;                 // the killed holder's pid
	uint32_t pad;                   // explicit, so that no byte is the ABI's (lab 01)
};
SHMLAB_SHARED_TYPE(struct account);

static int
make_lock(struct worker *w, struct account *acc, int robust)
{
	pthread_mutexattr_t attr;
	int e;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (robust)
		pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	e = pthread_mutex_init(&acc->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	return e ? fail(w, "pthread_mutex_init: %s", strerror(e)) : 0;
}

// ANCHOR: plain
static int
make_plain(struct worker *w, const struct shmlab_view *v)
{
	return make_lock(w, (struct account *)v->base, 0);      // BROKEN: not robust
}
// ANCHOR_END: plain

// ANCHOR: robust
static int
make_robust(struct worker *w, const struct shmlab_view *v)
{
	return make_lock(w, (struct account *)v->base, 1);      // FIXED: PTHREAD_MUTEX_ROBUST
}
// ANCHOR_END: robust

// ANCHOR: die
static _Noreturn void
die_holding(struct account *acc)
{
	pthread_mutex_lock(&acc->lock);
	acc->a++;               // half an update: b is not yet a
	raise(SIGKILL);
	_exit(1);
}
// ANCHOR_END: die

// Worker 0: forks the holder, reaps it (bounded), and says it is dead.
static int
kill_holder(struct worker *w, struct account *acc)
{
	int64_t end = now_ms() + HANDSHAKE_MS;
	pid_t pid = fork(), got;
	int status = 0;

	if (pid < 0)
		return fail(w, "fork: %s", strerror(errno));
	if (pid == 0)
		die_holding(acc);
	while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < end)
		nap();
	if (got != pid || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		if (got == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		return fail(w, "the holder (pid %d) did not die of SIGKILL", (int)pid);
	}
	acc->holder = (int32_t)pid;
	return 0;
}

typedef int repair_fn(struct worker *, struct account *);

// ANCHOR: repair
static int
repair(struct worker *w, struct account *acc)
{
	int e;

	acc->b = acc->a;                                // the data first
	e = pthread_mutex_consistent(&acc->lock);       // FIXED: then the lock
	return e ? fail(w, "pthread_mutex_consistent: %s", strerror(e)) : 0;
}
// ANCHOR_END: repair

// ANCHOR: repair-data-only
static int
repair_data_only(struct worker *w, struct account *acc)
{
	(void)w;
	acc->b = acc->a;        // BROKEN: the data, but not pthread_mutex_consistent
	return 0;
}
// ANCHOR_END: repair-data-only

// ANCHOR: lock
static int
update(struct worker *w, struct account *acc, repair_fn *fix)
{
	struct timespec deadline = after_ms(DEAD_WAIT_MS);
	int e = pthread_mutex_clocklock(&acc->lock, CLOCK_MONOTONIC, &deadline);

	if (e == EOWNERDEAD) {
		atomic_fetch_add(&acc->told_dead, 1);
		if (fix(w, acc) < 0) {
			pthread_mutex_unlock(&acc->lock);
			return -1;
		}
	}
	if (e == ETIMEDOUT)
		return fail(w, "no lock after %d ms: its holder, pid %d, was killed holding it, and "
		    "a mutex that is not robust stays locked", DEAD_WAIT_MS, (int)acc->holder);
	if (e == ENOTRECOVERABLE)
		return fail(w, "ENOTRECOVERABLE: the worker told EOWNERDEAD unlocked without "
		    "pthread_mutex_consistent, so the lock can never be taken again");
	if (e != 0 && e != EOWNERDEAD)
		return fail(w, "pthread_mutex_clocklock: %s", strerror(e));
	if (acc->a != acc->b) {
		pthread_mutex_unlock(&acc->lock);
		return fail(w, "got the lock with a = %llu, b = %llu: the data was not repaired",
		    (unsigned long long)acc->a, (unsigned long long)acc->b);
	}
	acc->a++;
	acc->b++;
	pthread_mutex_unlock(&acc->lock);
	return 0;
}
// ANCHOR_END: lock

// Worker 0 kills the holder and tries the lock first, so that the one told
// EOWNERDEAD is always worker 0; the others try once it is done, whatever
// became of its try.
static int
take_part(struct worker *w, const struct shmlab_view *v, repair_fn *fix)
{
	struct account *acc = (struct account *)v->base;
	int r;

	if (w->view != 0)       // under `double`: once, through one of the two views
		return 0;
	if (w->index != 0) {
		if (wait_word(&acc->first_done, 1, HANDSHAKE_MS) < 0)
			return fail(w, "worker 0 never tried the lock");
		return update(w, acc, fix);
	}
	r = kill_holder(w, acc);
	if (r == 0)
		r = update(w, acc, fix);
	atomic_store_explicit(&acc->first_done, 1, memory_order_release);
	return r;
}

// Worker 0, once every worker is done: one death, so one locker told of it,
// and every survivor's update on top of the repaired data.
static int
check_account(struct worker *w, const struct shmlab_view *v)
{
	struct account *acc = (struct account *)v->base;
	uint32_t told = atomic_load(&acc->told_dead);

	if (told != 1)
		return fail(w, "%u lockers were told EOWNERDEAD, not 1", (unsigned)told);
	if (acc->a != acc->b || acc->b != 1 + (uint64_t)w->procs)
		return fail(w, "a = %llu, b = %llu: expected both %d (the dead holder's half update, "
		    "repaired, and one update by each worker)", (unsigned long long)acc->a,
		    (unsigned long long)acc->b, 1 + w->procs);
	return 0;
}

static int
run_repair(struct worker *w, const struct shmlab_view *v)
{
	return take_part(w, v, repair);
}

static int
run_repair_data_only(struct worker *w, const struct shmlab_view *v)
{
	return take_part(w, v, repair_data_only);
}

const struct scenario lab07_dead_holder_broken = {
	.name = "07-dead-holder-broken",
	.summary = "a process-shared mutex whose holder is killed: everyone else waits for ever",
	.handout = "labs/07-locks/README.md#the-holder-dies",
	.region_size = 4096,
	.flags = PTHREAD_SHARED,
	.caught_under = ALL_STRATEGIES,
	.prepare = make_plain,
	.run = run_repair,
};

const struct scenario lab07_robust_fixed = {
	.name = "07-robust-fixed",
	.summary = "a robust mutex: the next locker is told EOWNERDEAD, repairs, and marks it consistent",
	.handout = "labs/07-locks/README.md#the-fix-a-robust-lock",
	.region_size = 4096,
	.flags = PTHREAD_SHARED,
	.passes_under = ALL_STRATEGIES,
	.prepare = make_robust,
	.run = run_repair,
	.verify = check_account,
};

const struct scenario lab07_not_consistent_broken = {
	.name = "07-not-consistent-broken",
	.summary = "a robust mutex whose repairer forgets pthread_mutex_consistent: ENOTRECOVERABLE",
	.handout = "labs/07-locks/README.md#the-fix-a-robust-lock",
	.region_size = 4096,
	.flags = PTHREAD_SHARED,
	.caught_under = ALL_STRATEGIES,
	.prepare = make_robust,
	.run = run_repair_data_only,
};
