// 07-private-mutex-broken and 07-shared-mutex-fixed: a pthread_mutex_t in
// the region, which worker 0 holds while every other worker waits for it.
//
// A mutex is a word in memory plus the kernel's queue of whoever sleeps on
// it (futex(2)). The word is in the region, so every process sees it; the
// queue is found by a key. A mutex made without PTHREAD_PROCESS_SHARED is a
// private futex (FUTEX_PRIVATE_FLAG), keyed by the address space and the
// address: worker 0's unlock wakes sleepers in worker 0's process only. A
// waiter in another process sleeps on, until its deadline, on a lock that
// has been free all along. Marked PTHREAD_PROCESS_SHARED, the futex is keyed
// by the page of the shared mapping and its offset there, the same in every
// process, at whatever address each maps it.
//
// Worker 0 unlocks only once every waiter is asleep in the kernel: a waiter
// that had not yet gone to sleep would see the word change and take the
// lock, and the lesson would pass by a race, not by a rule.
#include <string.h>
#include <unistd.h>

#include "addresses.h"        // MAX_PROCS
#include "locks.h"
#include "scenario.h"
#include "shmlab/shared_type.h"

struct waiting_room {
	pthread_mutex_t lock;
	_Atomic uint32_t held;          // worker 0 holds the lock
	_Atomic uint32_t about_to_wait; // how many waiters are about to block in the lock
	_Atomic uint32_t released;      // worker 0 has unlocked
	int32_t pid[MAX_PROCS];              // each waiter's pid, written before about_to_wait
	uint32_t pad;                   // explicit, so that no byte is the ABI's (lab 01)
};
SHMLAB_SHARED_TYPE(struct waiting_room);

// ANCHOR: private
static int
make_private_lock(struct worker *w, const struct shmlab_view *v)
{
	struct waiting_room *r = (struct waiting_room *)v->base;
	int e = pthread_mutex_init(&r->lock, NULL);     // BROKEN: private to one process

	return e ? fail(w, "pthread_mutex_init: %s", strerror(e)) : 0;
}
// ANCHOR_END: private

// ANCHOR: shared
static int
make_shared_lock(struct worker *w, const struct shmlab_view *v)
{
	struct waiting_room *r = (struct waiting_room *)v->base;
	pthread_mutexattr_t a;
	int e;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);       // FIXED
	e = pthread_mutex_init(&r->lock, &a);
	pthread_mutexattr_destroy(&a);
	return e ? fail(w, "pthread_mutex_init: %s", strerror(e)) : 0;
}
// ANCHOR_END: shared

// Worker 0: holds the lock until every other worker sleeps in it, then
// lets go and says when.
static int
hold_until_all_wait(struct worker *w, struct waiting_room *r)
{
	int e = pthread_mutex_lock(&r->lock);

	if (e)
		return fail(w, "pthread_mutex_lock: %s", strerror(e));
	atomic_store_explicit(&r->held, 1, memory_order_release);
	if (wait_word(&r->about_to_wait, (uint32_t)w->procs - 1, HANDSHAKE_MS) < 0)
		return fail(w, "the other workers did not come to wait for the lock");
	for (int i = 1; i < w->procs; i++)
		if (wait_asleep(r->pid[i], HANDSHAKE_MS) < 0)
			return fail(w, "worker %d (pid %d) never went to sleep in the lock", i, (int)r->pid[i]);
	pthread_mutex_unlock(&r->lock);
	atomic_store(&r->released, 1);
	return 0;
}

// ANCHOR: wait
static int
wait_for_lock(struct worker *w, struct waiting_room *r)
{
	struct timespec deadline;
	int e;

	if (wait_word(&r->held, 1, HANDSHAKE_MS) < 0)
		return fail(w, "worker 0 never took the lock");
	r->pid[w->index] = (int32_t)getpid();
	atomic_fetch_add(&r->about_to_wait, 1);
	deadline = after_ms(LOCK_WAIT_MS);
	e = pthread_mutex_clocklock(&r->lock, CLOCK_MONOTONIC, &deadline);
	if (e == ETIMEDOUT && atomic_load(&r->released))
		return fail(w, "no lock after %d ms, though worker 0 unlocked it while this worker "
		    "slept: the unlock woke sleepers in worker 0's process only", LOCK_WAIT_MS);
	if (e)
		return fail(w, "pthread_mutex_clocklock: %s", strerror(e));
	pthread_mutex_unlock(&r->lock);
	return 0;
}
// ANCHOR_END: wait

static int
take_turns(struct worker *w, const struct shmlab_view *v)
{
	struct waiting_room *r = (struct waiting_room *)v->base;

	if (w->view != 0)       // under `double`: once, through one of the two views
		return 0;
	return w->index == 0 ? hold_until_all_wait(w, r) : wait_for_lock(w, r);
}

const struct scenario lab07_private_mutex_broken = {
	.name = "07-private-mutex-broken",
	.summary = "a pthread_mutex_t in the region without PTHREAD_PROCESS_SHARED: waiters are never woken",
	.handout = "labs/07-locks/README.md#a-private-lock",
	.region_size = 4096,
	.flags = PTHREAD_SHARED,
	.passes_under = 0,
	.caught_under = ALL_STRATEGIES,
	.tour_under = ONLY(DISTINCT) | ONLY(FORK),
	.prepare = make_private_lock,
	.run = take_turns,
};

const struct scenario lab07_shared_mutex_fixed = {
	.name = "07-shared-mutex-fixed",
	.summary = "the same lock made PTHREAD_PROCESS_SHARED: every waiter is woken, at any address",
	.handout = "labs/07-locks/README.md#the-fix-a-process-shared-lock",
	.region_size = 4096,
	.flags = PTHREAD_SHARED,
	.passes_under = ALL_STRATEGIES,
	.tour_under = ONLY(DISTINCT) | ONLY(DOUBLE),
	.prepare = make_shared_lock,
	.run = take_turns,
};
