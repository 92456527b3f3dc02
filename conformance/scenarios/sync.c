/*
 * Sync (sync.h), the optional feature set of lab 07: mutual exclusion.
 * Every sync scenario needs SHMLAB_FEATURE_SYNC: a library that does not
 * declare it is skipped, never passed.
 *
 * 07-contract-sync-exclusion: worker 0 initialises two locks in prepare and
 * acquires the first, HELD, which it keeps until verify. Every worker, through
 * each of its views, then finds HELD initialised and held: a second init is
 * EEXIST (from every process, the holder's included), an acquire is ETIMEDOUT
 * (EDEADLK in the holder), a release by a process that does not hold it is
 * EPERM, and after all of these it is still held (an init that reset it
 * would let the acquire through). Then every worker, lined up with the
 * others, takes the second lock, CONTENDED, ROUNDS times and each time
 * checks and updates two words that must be equal, with a plain load and a
 * plain store apiece and a yield of the processor between the two stores:
 * two processes inside at once see them differ, or lose an update that
 * verify counts. Also: the null offset, offsets at or running past the end
 * are ERANGE for every lock function, an offset not aligned to 8 EINVAL, a
 * lock never initialised EINVAL to acquire, consistent and release, a
 * negative timeout EINVAL, consistent of a lock held without OWNER_DIED
 * EINVAL, and the release of a free lock EPERM. In verify worker 0 releases
 * HELD, which it must still hold, and takes it again.
 */
#include <sched.h>
#include <stdio.h>

#include "check.h"
#include "wait_check.h"

#define HELD            ((shmlab_off)4096)
#define CONTENDED       (HELD + SHMLAB_LOCK_SIZE)
#define ZEROED          (HELD + 2 * SHMLAB_LOCK_SIZE)   // never initialised
#define SHARED          ((shmlab_off)8192)
#define ROUNDS          2000
#define YIELD_EVERY     8               // rounds; the others then find the lock held
#define ACQUIRE_MS      3000            // a bound only: every holder lets go within microseconds
#define REGION_SIZE     (4 * 4096)

// What the lock CONTENDED protects, and the line the workers start at.
struct shared {
	word64 x, y;            // equal whenever CONTENDED is free
	uint32_t arrived[2];    // per view
};

static struct shared *
shared_of(const struct shmlab_view *v)
{
	return (struct shared *)(v->base + SHARED);
}

static int
exclusion_prepare(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;

	if (SUCCEEDS(w, im->lock_init(v, HELD), "lock_init") < 0
	    || SUCCEEDS(w, im->lock_init(v, CONTENDED), "lock_init") < 0
	    || REFUSES(w, EEXIST, im->lock_init(v, CONTENDED), "lock_init(a lock initialised already)") < 0)
		return -1;
	return SUCCEEDS(w, im->lock_acquire(v, HELD, 0), "lock_acquire(a free lock, 0 ms)");
}

// Every lock function refuses offsets outside the view and unaligned ones.
static int
bad_offsets(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	const struct { shmlab_off off; int err; const char *what; } bad[] = {
		{ 0, ERANGE, "the null offset 0" },
		{ v->size, ERANGE, "the end of the view" },
		{ v->size - SHMLAB_LOCK_SIZE + 8, ERANGE, "a lock running past the end" },
		{ HELD + 4, EINVAL, "an offset not aligned to 8" },
	};
	char what[120];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(what, sizeof what, "lock_init(%s)", bad[i].what);
		if (REFUSES(w, bad[i].err, im->lock_init(v, bad[i].off), what) < 0)
			return -1;
		snprintf(what, sizeof what, "lock_acquire(%s)", bad[i].what);
		if (REFUSES(w, bad[i].err, im->lock_acquire(v, bad[i].off, 0), what) < 0)
			return -1;
		snprintf(what, sizeof what, "lock_consistent(%s)", bad[i].what);
		if (REFUSES(w, bad[i].err, im->lock_consistent(v, bad[i].off), what) < 0)
			return -1;
		snprintf(what, sizeof what, "lock_release(%s)", bad[i].what);
		if (REFUSES(w, bad[i].err, im->lock_release(v, bad[i].off), what) < 0)
			return -1;
	}
	if (REFUSES(w, EINVAL, im->lock_acquire(v, ZEROED, 0), "lock_acquire(a lock never initialised)") < 0
	    || REFUSES(w, EINVAL, im->lock_consistent(v, ZEROED), "lock_consistent(a lock never initialised)") < 0
	    || REFUSES(w, EINVAL, im->lock_release(v, ZEROED), "lock_release(a lock never initialised)") < 0)
		return -1;
	return REFUSES(w, EINVAL, im->lock_acquire(v, CONTENDED, -1), "lock_acquire(timeout -1)");
}

// HELD is worker 0's from prepare to verify: nothing another process does
// may take it from worker 0 or reset it.
static int
held_stays_held(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;

	if (REFUSES(w, EEXIST, im->lock_init(v, HELD), "lock_init(a lock another process holds)") < 0)
		return -1;
	if (w->index == 0)
		return REFUSES(w, EDEADLK, im->lock_acquire(v, HELD, 0), "lock_acquire(a lock this process holds)");
	if (REFUSES(w, ETIMEDOUT, im->lock_acquire(v, HELD, 0), "lock_acquire(a lock worker 0 holds, 0 ms)") < 0
	    || REFUSES(w, EPERM, im->lock_release(v, HELD), "lock_release(a lock worker 0 holds)") < 0)
		return -1;
	return REFUSES(w, ETIMEDOUT, im->lock_acquire(v, HELD, 1),
	    "lock_acquire(a lock worker 0 holds, after another process's init and release of it, 1 ms)");
}

// One round: x and y must be equal inside the lock; each is read and
// written back one more, apart.
static int
one_round(struct worker *w, const struct shmlab_view *v, int round)
{
	struct shared *s = shared_of(v);
	uint64_t x, y;
	int rc = w->impl->lock_acquire(v, CONTENDED, ACQUIRE_MS);

	if (rc != 0)
		return refused(w, rc, errno, 0, "lock_acquire(the contended lock)");
	x = __atomic_load_n(&s->x, __ATOMIC_RELAXED);
	y = __atomic_load_n(&s->y, __ATOMIC_RELAXED);
	__atomic_store_n(&s->x, x + 1, __ATOMIC_RELAXED);
	if (round % YIELD_EVERY == 0)
		sched_yield();
	__atomic_store_n(&s->y, y + 1, __ATOMIC_RELAXED);
	if (SUCCEEDS(w, w->impl->lock_release(v, CONTENDED), "lock_release(the contended lock)") < 0)
		return -1;
	if (x != y)
		return fail(w, "round %d: inside the lock the two words differ (%llu, %llu): another process "
		    "was inside too", round, (unsigned long long)x, (unsigned long long)y);
	return 0;
}

static int
exclusion_run(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	int rc;

	if (bad_offsets(w, v) < 0 || held_stays_held(w, v) < 0)
		return -1;
	if (line_up(w, &shared_of(v)->arrived[w->view]) < 0)
		return -1;
	for (int round = 0; round < ROUNDS; round++)
		if (one_round(w, v, round) < 0)
			return -1;
	if ((rc = im->lock_acquire(v, CONTENDED, ACQUIRE_MS)) != 0)
		return refused(w, rc, errno, 0, "lock_acquire(the contended lock)");
	rc = REFUSES(w, EINVAL, im->lock_consistent(v, CONTENDED), "lock_consistent(a lock held without OWNER_DIED)");
	if (SUCCEEDS(w, im->lock_release(v, CONTENDED), "lock_release") < 0 || rc < 0)
		return -1;
	return REFUSES(w, EPERM, im->lock_release(v, CONTENDED), "lock_release(a lock released already)");
}

static int
exclusion_verify(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	struct shared *s = shared_of(v);
	uint64_t want = (uint64_t)w->procs * (uint64_t)w->views * ROUNDS;

	if (SUCCEEDS(w, im->lock_release(v, HELD), "lock_release(the lock worker 0 held since prepare)") < 0
	    || SUCCEEDS(w, im->lock_acquire(v, HELD, 0), "lock_acquire(a lock just released, 0 ms)") < 0
	    || SUCCEEDS(w, im->lock_release(v, HELD), "lock_release") < 0)
		return -1;
	if (s->x != want || s->y != want)
		return fail(w, "after %llu rounds inside the lock the words are %llu and %llu: updates were lost, "
		    "so two processes were inside at once", (unsigned long long)want, (unsigned long long)s->x,
		    (unsigned long long)s->y);
	return 0;
}

const struct scenario contract_sync_exclusion = {
	.name = "07-contract-sync-exclusion",
	.summary = "one process at a time holds a lock in the region; a second init leaves a held lock held",
	.handout = "labs/07-locks/README.md#exercise",
	.rule = "sync-exclusion",
	.region_size = REGION_SIZE,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_SYNC,
	.passes_under = ALL_STRATEGIES,
	.prepare = exclusion_prepare,
	.run = exclusion_run,
	.verify = exclusion_verify,
};
