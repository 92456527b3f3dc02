// 07-init-twice-broken and 07-init-once-fixed: who initialises the lock.
//
// pthread_mutex_init writes a fresh, unlocked mutex over whatever the bytes
// held: it cannot know that another process holds the lock there, and POSIX
// leaves initialising an initialised mutex undefined. So "every process
// initialises the lock when it starts" works only while the processes start
// one by one. Here worker 0 is inside its critical section when worker 1
// starts, and worker 1's initialisation unlocks worker 0's lock: worker 1
// gets in too, and the count of workers inside, which the lock exists to
// keep at one, reads two.
//
// The fix: one process initialises, then publishes the lock as ready with a
// release store; every other process waits (bounded) for that word with an
// acquire load, which makes the initialised bytes visible before it touches
// them, and never initialises anything.
#include <string.h>

#include "locks.h"
#include "scenario.h"
#include "shmlab/shared_type.h"

struct guarded {
	pthread_mutex_t lock;
	_Atomic uint32_t ready;         // the lock is initialised: set once, by worker 0
	_Atomic uint32_t held;          // worker 0 is inside
	_Atomic uint32_t tried;         // worker 1 has tried to get in while worker 0 was
	_Atomic uint32_t out;           // worker 0 has left, and unlocked
	_Atomic int32_t inside;         // workers inside the critical section: at most 1
	uint32_t pad;                   // explicit, so that no byte is the ABI's (lab 01)
};
SHMLAB_SHARED_TYPE(struct guarded);

static int
make_lock(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int e;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	e = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return e;
}

// ANCHOR: every
static int
attach_every(struct worker *w, struct guarded *g)
{
	int e = make_lock(&g->lock);    // BROKEN: every process initialises it, held or not

	return e ? fail(w, "pthread_mutex_init: %s", strerror(e)) : 0;
}
// ANCHOR_END: every

// ANCHOR: once
static int
attach_once(struct worker *w, struct guarded *g)
{
	int e;

	if (w->index != 0) {            // FIXED: the others wait, and never initialise
		if (wait_word(&g->ready, 1, HANDSHAKE_MS) < 0)
			return fail(w, "the lock was never published as ready");
		return 0;
	}
	if ((e = make_lock(&g->lock)) != 0)
		return fail(w, "pthread_mutex_init: %s", strerror(e));
	atomic_store_explicit(&g->ready, 1, memory_order_release);      // FIXED: then publish
	return 0;
}
// ANCHOR_END: once

// The critical section: it checks the invariant the lock is for.
static int
inside(struct worker *w, struct guarded *g, const char *how)
{
	int32_t n = atomic_fetch_add(&g->inside, 1) + 1;

	atomic_fetch_sub(&g->inside, 1);
	if (n != 1)
		return fail(w, "%s, and found %d workers inside the critical section: mutual exclusion "
		    "is broken", how, (int)n);
	return 0;
}

static int
lock_bounded(struct worker *w, struct guarded *g)
{
	struct timespec deadline = after_ms(LOCK_WAIT_MS);
	int e = pthread_mutex_clocklock(&g->lock, CLOCK_MONOTONIC, &deadline);

	return e ? fail(w, "pthread_mutex_clocklock: %s", strerror(e)) : 0;
}

// Worker 0 stays inside until worker 1 has tried to get in.
static int
first(struct worker *w, struct guarded *g)
{
	if (lock_bounded(w, g) < 0)
		return -1;
	atomic_fetch_add(&g->inside, 1);
	atomic_store_explicit(&g->held, 1, memory_order_release);
	if (wait_word(&g->tried, 1, HANDSHAKE_MS) < 0)
		return fail(w, "worker 1 never tried the lock");
	atomic_fetch_sub(&g->inside, 1);
	pthread_mutex_unlock(&g->lock);
	atomic_store(&g->out, 1);
	return 0;
}

// ANCHOR: late
static int
late(struct worker *w, struct guarded *g, int (*attach)(struct worker *, struct guarded *))
{
	int e;

	if (wait_word(&g->held, 1, HANDSHAKE_MS) < 0)
		return fail(w, "worker 0 never got in");
	if (attach(w, g) < 0)           // starts while worker 0 is inside
		return -1;
	e = pthread_mutex_trylock(&g->lock);
	if (e == 0) {
		int r = inside(w, g, "got the lock while worker 0 held it");

		pthread_mutex_unlock(&g->lock);
		atomic_store(&g->tried, 1);
		return r;
	}
	atomic_store(&g->tried, 1);
	if (e != EBUSY)
		return fail(w, "pthread_mutex_trylock: %s", strerror(e));
	if (lock_bounded(w, g) < 0)     // EBUSY, as it should: now wait for worker 0
		return -1;
	e = inside(w, g, "got the lock after worker 0");
	pthread_mutex_unlock(&g->lock);
	return e;
}
// ANCHOR_END: late

// Workers 2 and up start once worker 0 has left: they show that the lock
// works for whoever comes when nobody holds it, as any later process would.
static int
later(struct worker *w, struct guarded *g, int (*attach)(struct worker *, struct guarded *))
{
	int e;

	if (wait_word(&g->out, 1, HANDSHAKE_MS) < 0)
		return fail(w, "worker 0 never left the critical section");
	if (attach(w, g) < 0 || lock_bounded(w, g) < 0)
		return -1;
	e = inside(w, g, "got the lock");
	pthread_mutex_unlock(&g->lock);
	return e;
}

static int
take_part(struct worker *w, const struct shmlab_view *v, int (*attach)(struct worker *, struct guarded *))
{
	struct guarded *g = (struct guarded *)v->base;

	if (w->view != 0)       // under `double`: once, through one of the two views
		return 0;
	if (w->index == 0)
		return attach(w, g) < 0 ? -1 : first(w, g);
	return w->index == 1 ? late(w, g, attach) : later(w, g, attach);
}

static int
run_every(struct worker *w, const struct shmlab_view *v)
{
	return take_part(w, v, attach_every);
}

static int
run_once(struct worker *w, const struct shmlab_view *v)
{
	return take_part(w, v, attach_once);
}

const struct scenario lab07_init_twice_broken = {
	.name = "07-init-twice-broken",
	.summary = "every process initialises the lock: a late one unlocks it under its holder",
	.handout = "labs/07-locks/README.md#who-initialises-the-lock",
	.region_size = 4096,
	.flags = PTHREAD_SHARED,
	.caught_under = ALL_STRATEGIES,
	.run = run_every,
};

const struct scenario lab07_init_once_fixed = {
	.name = "07-init-once-fixed",
	.summary = "one process initialises the lock and publishes it as ready; the others wait for that",
	.handout = "labs/07-locks/README.md#who-initialises-the-lock",
	.region_size = 4096,
	.flags = PTHREAD_SHARED,
	.passes_under = ALL_STRATEGIES,
	.run = run_once,
};
