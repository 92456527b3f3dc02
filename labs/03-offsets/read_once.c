// 03-double-fetch-broken and 03-read-once-fixed: a peer does not only write
// a bad offset once; it can change an offset while you are using it. Worker
// 0 flips one offset between a good value and one 16 MiB past the end of the
// region, without pause, while the other workers read through it.
//
// A reader that checks the field and then reads the field again to use it
// (a double fetch) can check the good value and use the bad one. A reader
// that copies the field once, checks the copy and uses the copy cannot: the
// peer can only make it see a value it then refuses.
//
// The window between a double fetch's two reads is a few nanoseconds in real
// code. Both readers here wait about a microsecond between check and use,
// and read on until they have seen the value change under them CHANGES
// times (on a busy machine the writer may not run at once, and a reader
// that never meets it proves nothing), so that the broken one loses the
// race in every run, not in one run of a thousand: the same bug, made
// visible.
#include <stdint.h>
#include <time.h>

#include "scenario.h"
#include "shmlab.h"
#include "shmlab/shared_type.h"

#define GOOD            ((shmlab_off)4096)      // where a valid value lives
#define CHANGES         2000                    // changes a reader must see between its reads
#define BOUND_NS        3000000000u             // every loop's bound: 3 s
#define QUIET_NS        300000000u              // readers silent this long have died: 0.3 s

struct flipping {
	shmlab_off target;              // flipped by worker 0; atomic loads and stores only
	uint32_t readers_done;          // reader passes finished (one per view)
	uint32_t heartbeat;             // bumped by readers as they read
};
SHMLAB_SHARED_TYPE(struct flipping);

static const uint64_t magic = UINT64_C(0x0ce0ce0ce0ce0ce0);

static void
wait_a_little(void)
{
	for (volatile int i = 0; i < 300; i++)
		;
}

static int
place_value(struct worker *w, const struct shmlab_view *v)
{
	struct flipping *f = (struct flipping *)v->base;

	(void)w;
	*(uint64_t *)(v->base + GOOD) = magic;
	__atomic_store_n(&f->target, GOOD, __ATOMIC_RELEASE);
	return 0;
}

static uint64_t
elapsed_ns(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - t0->tv_sec) * 1000000000u + (uint64_t)(t.tv_nsec - t0->tv_nsec);
}

// Worker 0: flip until every reader has finished this pass, or until the
// readers have fallen silent (readers that died never say they are done),
// or the bound.
static int
flip(struct worker *w, const struct shmlab_view *v)
{
	struct flipping *f = (struct flipping *)v->base;
	shmlab_off bad = v->size + (16u << 20);
	uint32_t passes = (uint32_t)(w->procs - 1) * (uint32_t)w->views, beat = 0;
	struct timespec t0, heard;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	heard = t0;
	for (uint64_t k = 0; __atomic_load_n(&f->readers_done, __ATOMIC_ACQUIRE) < passes; k++) {
		__atomic_store_n(&f->target, k % 2 ? bad : GOOD, __ATOMIC_RELAXED);
		if (k % 4096)
			continue;
		if (__atomic_load_n(&f->heartbeat, __ATOMIC_RELAXED) != beat) {
			beat = __atomic_load_n(&f->heartbeat, __ATOMIC_RELAXED);
			clock_gettime(CLOCK_MONOTONIC, &heard);
		}
		if (elapsed_ns(&heard) > QUIET_NS || elapsed_ns(&t0) > BOUND_NS)
			break;
	}
	__atomic_store_n(&f->target, GOOD, __ATOMIC_RELEASE);
	return 0;
}

// Whether a reader should go on: until the value has changed CHANGES
// times between its reads (each read is then a fair chance to lose the
// race), and never past the bound.
struct watch { shmlab_off last; int changes; struct timespec t0; };

static int
more(struct flipping *f, struct watch *a, shmlab_off now, int k)
{
	a->changes += now != a->last;
	a->last = now;
	if (k % 1024)
		return a->changes < CHANGES;
	__atomic_fetch_add(&f->heartbeat, 1, __ATOMIC_RELAXED);
	return a->changes < CHANGES && elapsed_ns(&a->t0) < BOUND_NS;
}

// ANCHOR: double_fetch
static int
read_twice(struct worker *w, const struct shmlab_view *v)
{
	struct flipping *f = (struct flipping *)v->base;
	struct watch a = { .last = GOOD };
	shmlab_off first;

	clock_gettime(CLOCK_MONOTONIC, &a.t0);
	for (int k = 0; more(f, &a, first = __atomic_load_n(&f->target, __ATOMIC_RELAXED), k); k++) {
		if (!shmlab_off_fits(v, first, 8))
			continue;                       // checked the value read first...
		wait_a_little();
		shmlab_off off = __atomic_load_n(&f->target, __ATOMIC_RELAXED);   // BROKEN: ...used the second
		if (*(const uint64_t *)shmlab_off_at(v, off) != magic)
			return fail(w, "read %#llx at offset %#llx", (unsigned long long)*(const uint64_t *)
			    shmlab_off_at(v, off), (unsigned long long)off);
	}
	__atomic_fetch_add(&f->readers_done, 1, __ATOMIC_RELEASE);
	return 0;
}
// ANCHOR_END: double_fetch

// ANCHOR: read_once
static int
read_once(struct worker *w, const struct shmlab_view *v)
{
	struct flipping *f = (struct flipping *)v->base;
	struct watch a = { .last = GOOD };
	shmlab_off off;

	clock_gettime(CLOCK_MONOTONIC, &a.t0);
	for (int k = 0; more(f, &a, off = __atomic_load_n(&f->target, __ATOMIC_RELAXED), k); k++) {   // FIXED: one read
		const uint64_t *p;
		if (shmlab_off_to_ptr(v, off, 8, (void **)&p) < 0)
			continue;                       // the peer's bad value, seen and refused
		wait_a_little();
		if (*p != magic)                        // FIXED: the checked copy is what is used
			return fail(w, "read %#llx at offset %#llx", (unsigned long long)*p, (unsigned long long)off);
	}
	__atomic_fetch_add(&f->readers_done, 1, __ATOMIC_RELEASE);
	return 0;
}
// ANCHOR_END: read_once

static int
run_flipping(struct worker *w, const struct shmlab_view *v, int (*reader)(struct worker *, const struct shmlab_view *))
{
	return w->index == 0 ? flip(w, v) : reader(w, v);
}

static int run_broken(struct worker *w, const struct shmlab_view *v) { return run_flipping(w, v, read_twice); }
static int run_fixed(struct worker *w, const struct shmlab_view *v) { return run_flipping(w, v, read_once); }

const struct scenario lab03_double_fetch_broken = {
	.name = "03-double-fetch-broken",
	.summary = "an offset checked, then read again to use, while a peer flips it",
	.handout = "labs/03-offsets/README.md#read-it-once",
	.region_size = 65536,
	.caught_under = ALL_STRATEGIES,
	.prepare = place_value,
	.run = run_broken,
};

const struct scenario lab03_read_once_fixed = {
	.name = "03-read-once-fixed",
	.summary = "the same offset read once into a local, checked, and the local used",
	.handout = "labs/03-offsets/README.md#read-it-once",
	.region_size = 65536,
	.passes_under = ALL_STRATEGIES,
	.prepare = place_value,
	.run = run_fixed,
};
