/*
 * Sync (sync.h): the lock-free counter.
 *
 * 07-contract-sync-counter: worker 0 sets the counter to just below 2^32 in
 * prepare (a 32-bit counter would wrap). Every worker, lined up with the
 * others, then adds deltas of 1 to 8, seeded, through each of its views,
 * all at once and for ADD_MS each, longer than a scheduler's time slice, so
 * that workers on different processors overlap however the machine is
 * loaded; each value counter_add gives as the one before is at
 * least the last it gave plus that delta (the counter only grows), and in
 * verify the counter is exactly the start plus every delta of every
 * worker: an add that is a load and a later store loses updates. Also: the
 * last word of the view is a counter; the null offset, the end of the view
 * and a word running past it are ERANGE, an offset not aligned to 8 EINVAL;
 * before may be NULL.
 */
#include <stdio.h>

#include "check.h"
#include "wait_check.h"

#define COUNTER         ((shmlab_off)4096)
#define SHARED          ((shmlab_off)8192)
#define START           (UINT64_C(0xffffffff) - 1000)
#define ADD_MS          150             // each worker adds for this long, so the workers overlap
#define BATCH           256             // adds between looks at the clock
#define REGION_SIZE     (4 * 4096)

#include "addresses.h"

struct shared {
	uint32_t arrived[2];                    // per view
	word64 added[MAX_PROCS][2];             // each worker's sum, per view
};

static struct shared *
shared_of(const struct shmlab_view *v)
{
	return (struct shared *)(v->base + SHARED);
}

static int
counter_prepare(struct worker *w, const struct shmlab_view *v)
{
	(void)w;
	*(word64 *)(v->base + COUNTER) = START;
	return 0;
}

static int
counter_edges(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	uint64_t before = 1;

	if (REFUSES(w, ERANGE, im->counter_add(v, 0, 1, &before), "counter_add(the null offset 0)") < 0
	    || REFUSES(w, ERANGE, im->counter_add(v, v->size, 1, &before), "counter_add(the end of the view)") < 0
	    || REFUSES(w, ERANGE, im->counter_add(v, v->size - 4, 1, &before), "counter_add(a word running past the end)") < 0
	    || REFUSES(w, EINVAL, im->counter_add(v, COUNTER + 4, 1, &before), "counter_add(an offset not aligned to 8)") < 0
	    || SUCCEEDS(w, im->counter_add(v, v->size - 8, 0, &before), "counter_add(the last word of the view, 0)") < 0)
		return -1;
	if (before != 0)
		return fail(w, "counter_add(the last word of the view, which holds 0) gave %llu as its value before",
		    (unsigned long long)before);
	return 0;
}

static int
counter_run(struct worker *w, const struct shmlab_view *v)
{
	uint64_t r = mix64(w->seed ^ (uint64_t)(w->index * 2 + w->view)), sum = 0, last = 0, before;
	int64_t until;

	if (counter_edges(w, v) < 0 || line_up(w, &shared_of(v)->arrived[w->view]) < 0)
		return -1;
	until = clock_ns(CLOCK_MONOTONIC) + ADD_MS * NS_PER_MS;
	for (int i = 0; i % BATCH != 0 || clock_ns(CLOCK_MONOTONIC) < until; i++) {
		uint64_t delta = 1 + (r >> (i % 61)) % 8;
		if (i % 16 == 15) {     // before may be NULL
			if (SUCCEEDS(w, w->impl->counter_add(v, COUNTER, delta, NULL), "counter_add(before NULL)") < 0)
				return -1;
			sum += delta;
			continue;
		}
		if (SUCCEEDS(w, w->impl->counter_add(v, COUNTER, delta, &before), "counter_add") < 0)
			return -1;
		if (before < START || before < last)
			return fail(w, "counter_add gave %llu as the value before, after %llu: the counter only grows",
			    (unsigned long long)before, (unsigned long long)last);
		last = before + delta;
		sum += delta;
	}
	shared_of(v)->added[w->index][w->view] = sum;
	return 0;
}

static int
counter_verify(struct worker *w, const struct shmlab_view *v)
{
	uint64_t want = START, got = 0;

	for (int k = 0; k < w->procs; k++)
		for (int view = 0; view < w->views; view++)
			want += shared_of(v)->added[k][view];
	if (SUCCEEDS(w, w->impl->counter_add(v, COUNTER, 0, &got), "counter_add(0)") < 0)
		return -1;
	if (got != want)
		return fail(w, "the counter is %llu, %lld off the %llu every add together makes: adds were lost, "
		    "or not made in one atomic step", (unsigned long long)got, (long long)(got - want),
		    (unsigned long long)want);
	return 0;
}

const struct scenario contract_sync_counter = {
	.name = "07-contract-sync-counter",
	.summary = "counter_add from every process at once loses no add",
	.handout = "labs/07-locks/README.md#exercise",
	.rule = "sync-counter",
	.region_size = REGION_SIZE,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_SYNC,
	.passes_under = ALL_STRATEGIES,
	.prepare = counter_prepare,
	.run = counter_run,
	.verify = counter_verify,
};
