/*
 * The lock-free counter (sync.h), one process stopped inside counter_add
 * at every store while another adds.
 *
 * 07-contract-sync-counter-interleaved: an add made as a load and a later
 * store leaves a window between them, and an add of another process made
 * in that window is overwritten. sync-counter finds the window when the
 * processes overlap, which a loaded machine may not give it; this scenario
 * makes it (interleave.h): worker 0 adds 1 ADDS times, stopped before each
 * store of each call, and at every stop worker 1 adds INTRUDER. Afterwards
 * the counter must be exactly the start plus every add of both, and each
 * of worker 0's adds must have been given, as the value before it, one the
 * counter really held. An add in one atomic step (a locked add, a
 * compare-and-swap loop) passes every run; a load and a store fails every
 * run. The other workers have no part.
 */
#include <stdio.h>

#include "interleave.h"

#define COUNTER         ((shmlab_off)4096)
#define START           (UINT64_C(0xffffffff) - 100)
#define ADDS            8               // worker 0's stopped calls
#define INTRUDER        1000            // what worker 1 adds at each stop

enum ask { ADD = 1 };

static int
prepare(struct worker *w, const struct shmlab_view *v)
{
	(void)w;
	interleave_reset(v);
	*(word64 *)(v->base + COUNTER) = START;
	return 0;
}

// Worker 1: adds INTRUDER, and counts its adds in data[0].
static void
answer(struct worker *w, const struct shmlab_view *v, struct interleave *c)
{
	uint64_t before;

	if (c->what != ADD)
		return;
	if (w->impl->counter_add(v, COUNTER, INTRUDER, &before) < 0) {
		c->error = errno;
		return;
	}
	c->n = 1;
	c->data[0]++;
}

static int
call_add(struct worker *w, const struct shmlab_view *v, void *arg)
{
	return w->impl->counter_add(v, COUNTER, 1, (uint64_t *)arg);
}

static int
stop_and_add(struct worker *w, const struct shmlab_view *v, struct interleave *c)
{
	uint64_t start, before, want, got = 0;
	int rc;

	// Under `double` this runs once a view, on the counter the first left.
	if (SUCCEEDS(w, w->impl->counter_add(v, COUNTER, 0, &start), "counter_add(0)") < 0)
		return -1;
	want = start;
	c->data[0] = 0;
	for (int k = 0; k < ADDS; k++) {
		if (interleave_stopped(w, v, 0, "counter_add(1)", call_add, &before, ADD, 0, &rc) < 0
		    || succeeded(w, rc, errno, interleave_called) < 0)
			return -1;
		want += 1;
		// It held start, k adds of 1 and some of worker 1's adds so far.
		if (before < start + (uint64_t)k || (before - start - (uint64_t)k) % INTRUDER != 0
		    || (before - start - (uint64_t)k) / INTRUDER > c->data[0])
			return fail(w, "worker 0's %s gave %llu as the value before it, which the counter never "
			    "held", interleave_called, (unsigned long long)before);
	}
	want += c->data[0] * INTRUDER;
	if (SUCCEEDS(w, w->impl->counter_add(v, COUNTER, 0, &got), "counter_add(0)") < 0)
		return -1;
	if (got != want)
		return fail(w, "the counter is %lld off what %d adds of 1 and worker 1's %llu of %d, made while "
		    "worker 0 was stopped in counter_add, make: a load and a later store lose the other's add; "
		    "add in one atomic step", (long long)(got - want), ADDS, (unsigned long long)c->data[0],
		    INTRUDER);
	return 0;
}

static int
interleave_adds(struct worker *w, const struct shmlab_view *v)
{
	return interleave_run(w, v, stop_and_add, answer);
}

const struct scenario contract_sync_counter_interleaved = {
	.name = "07-contract-sync-counter-interleaved",
	.summary = "a process stopped at each store of its counter_add while another adds; no add is lost",
	.handout = "labs/07-locks/README.md#exercise",
	.rule = "sync-counter-interleaved",
	.region_size = 4 * 4096,
	.flags = CONTRACT | STORE_TRAP,
	.features = SHMLAB_FEATURE_SYNC,
	.passes_under = ALL_STRATEGIES,
	.prepare = prepare,
	.run = interleave_adds,
};
