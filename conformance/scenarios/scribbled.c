/*
 * A scribbling peer (issue: reliability). A region shared with another
 * process is shared with whatever that process does wrong.
 *
 * 03-contract-scribbled-region: worker 0 builds a list of allocated nodes linked
 * by offsets and self-relative fields, published under a root; then, while
 * the other workers read it, allocate and free, worker 0 writes random
 * 8-byte values (from the run's seed) at random places all over the region:
 * the header, the roots, the allocator's metadata, the nodes. Every call may
 * fail, and most will; none may crash, hang, or touch memory outside the
 * region (the harness fences the other view under `double`), and an offset
 * root_get gives must lie inside the region. A reader's
 * walk is bounded by the number of nodes, so a scribbled cycle ends it.
 *
 * Readers go on until the scribbler has made SCRIBBLES writes, so that they
 * meet plenty of them; the scribbler aims at the first 256 KiB, where the
 * header, the heap's metadata and the nodes are. The last 64 bytes of the
 * region are the run's own (readers done, writes made), left alone.
 */
#include <stdio.h>
#include <time.h>

#include "check.h"

#define NODES           2000u
#define LIST            "scribble-list"
#define SCRIBBLES       200000          // writes the readers wait to have met
#define TARGETED        (256u << 10)    // the scribbler's aim: the used start of the region
#define BOUND_NS        3000000000u     // every loop's bound: 3 s

struct node {
	shmlab_off next;
	shmlab_rel also_next;
	uint64_t value;
};

struct control { uint32_t readers_done; uint32_t pad; word64 scribbles; };

static struct control *
control(const struct shmlab_view *v)
{
	return (struct control *)(v->base + v->size - 64);
}

static int
build(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	shmlab_off head = 0, at;
	struct node *n, *prev = NULL;

	if (contract_heap(w, v) < 0)
		return -1;
	for (uint32_t i = 0; i < NODES; i++) {
		if (SUCCEEDS(w, im->alloc(v, sizeof *n, 8, &at), "alloc(a node)") < 0
		    || SUCCEEDS(w, im->off_to_ptr(v, at, sizeof *n, (void **)&n), "off_to_ptr(a new node)") < 0)
			return -1;
		*n = (struct node){ .next = head, .value = i };
		if (prev && SUCCEEDS(w, im->rel_set(v, &n->also_next, prev), "rel_set") < 0)
			return -1;
		head = at;
		prev = n;
	}
	return SUCCEEDS(w, im->root_set(v, LIST, head), "root_set");
}

static uint64_t
elapsed_ns(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - t0->tv_sec) * 1000000000u + (uint64_t)(t.tv_nsec - t0->tv_nsec);
}

// Worker 0: random values at random places until every reader is done.
static int
scribble(struct worker *w, const struct shmlab_view *v)
{
	uint64_t rng = w->seed ^ 0x5c81bb1e;
	uint32_t passes = (uint32_t)(w->procs - 1) * (uint32_t)w->views;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t k = 0; __atomic_load_n(&control(v)->readers_done, __ATOMIC_ACQUIRE) < passes; k++) {
		uint64_t where = mix64(rng + 2 * k) % (TARGETED / 8) * 8, what = mix64(rng + 2 * k + 1);
		// A third of the values are offsets inside the region: the kind a reader will follow.
		__atomic_store_n((word64 *)(v->base + where), what % 3 ? what : what % v->size, __ATOMIC_RELAXED);
		if (k % 1024 == 0) {
			__atomic_store_n(&control(v)->scribbles, k, __ATOMIC_RELEASE);
			if (elapsed_ns(&t0) > BOUND_NS)
				break;  // readers that crashed never say they are done
		}
	}
	return 0;
}

// A reader: everything a peer of a scribbled region does, each call free to
// fail. Only a crash, a hang or a wild access is wrong.
static int
use_anyway(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int r = 0; __atomic_load_n(&control(v)->scribbles, __ATOMIC_ACQUIRE) < SCRIBBLES
	    && elapsed_ns(&t0) < BOUND_NS; r++) {
		shmlab_off at, block;
		struct node *n;
		void *p;
		uint32_t steps = 0;
		if (im->root_get(v, LIST, &at) == 0) {
			if (at >= v->size) {
				__atomic_fetch_add(&control(v)->readers_done, 1, __ATOMIC_RELEASE);
				return fail(w, "root_get gave offset %#llx, outside the region of %#llx bytes "
				    "(a stored offset is checked: ERANGE)", (unsigned long long)at,
				    (unsigned long long)v->size);
			}
			// The library checks that a node lies inside the region; that it
			// lies where a node can (aligned) is the reader's to check.
			while (at != 0 && at % _Alignof(struct node) == 0 && steps++ <= NODES
			    && im->off_to_ptr(v, at, sizeof *n, (void **)&n) == 0) {
				volatile uint64_t value = n->value;     // reading is the point
				(void)value;
				if (im->rel_get(v, &n->also_next, sizeof *n, &p) < 0)
					p = NULL;
				at = __atomic_load_n(&n->next, __ATOMIC_RELAXED);
			}
		}
		if (im->alloc(v, 8 + (uint64_t)r % 200, 8, &block) == 0)
			(void)im->free(v, block);
	}
	__atomic_fetch_add(&control(v)->readers_done, 1, __ATOMIC_RELEASE);
	return 0;
}

static int
run(struct worker *w, const struct shmlab_view *v)
{
	return w->index == 0 ? scribble(w, v) : use_anyway(w, v);
}

const struct scenario contract_scribbled_region = {
	.name = "03-contract-scribbled-region",
	.summary = "a peer writes random bytes over the region while the others use it: errors, never a crash",
	.handout = "labs/03-offsets/README.md#an-offset-is-input",
	.rule = "scribbled-region",
	.region_size = 1u << 20,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.prepare = build,
	.run = run,
};
