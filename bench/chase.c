/*
 * 1. What a reference costs: chasing a shuffled singly linked list.
 *
 * Every node's successor is the next slot of one random cycle through all
 * the nodes (Sattolo's algorithm), so each hop is a load whose address
 * depends on the load before: no prefetcher can guess it, and the time per
 * hop is the latency of the memory the list lives in (L1 or L2 at 4 Ki
 * nodes of 16 bytes, L2 or L3 at 64 Ki, DRAM at 4 Mi) plus whatever the
 * reference adds to each step. The same cycle is linked five ways:
 *
 *   raw                  p = p->next                        (the baseline)
 *   offset               off = node_at(base + off)->next    (shmlab_off_at)
 *   offset_checked       the same after shmlab_off_fits     (inline check)
 *   offset_checked_call  shmlab_off_to_ptr, the library call
 *   self_relative        shmlab_rel_get, the library call
 *   boost_offset_ptr     boost::interprocess::offset_ptr    (chase_boost.cpp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "bench.h"
#include "shmlab.h"

struct raw_node { struct raw_node *next; uint64_t payload; };
struct off_node { shmlab_off next; uint64_t payload; };
struct rel_node { shmlab_rel next; uint64_t payload; };

#define FIRST ((shmlab_off)64)          // offset 0 is NULL: the nodes start after it

static volatile uintptr_t sink;         // the end of every chase, so none is optimised away

// A random cycle through 0..n-1: order[i] follows i. Seeded: every run
// chases the same list.
static uint32_t *
random_cycle(uint64_t n)
{
	uint32_t *order = malloc(n * sizeof *order), *perm = malloc(n * sizeof *perm);
	uint64_t state = 0x5eed;

	if (order == NULL || perm == NULL) {
		perror("shmlab-bench: malloc");
		exit(2);
	}
	for (uint64_t i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	for (uint64_t i = n - 1; i > 0; i--) {         // Sattolo: one cycle through all
		state = state * 6364136223846793005u + 1442695040888963407u;
		uint64_t j = (state >> 33) % i;
		uint32_t t = perm[i]; perm[i] = perm[j]; perm[j] = t;
	}
	for (uint64_t i = 0; i < n; i++)
		order[perm[i]] = perm[(i + 1) % n];
	free(perm);
	return order;
}

// Enough hops that a chase takes a few milliseconds at least.
static uint64_t
hops_for(uint64_t nodes, int quick)
{
	uint64_t h = nodes * 4;

	return h < (quick ? 1u << 20 : 1u << 22) ? (quick ? 1u << 20 : 1u << 22) : h;
}

#define TIME_CHASE(result, reps, hops, init, step) do {                        \
	double t_[REPS_MAX];                                                    \
	for (int r_ = 0; r_ < (reps); r_++) {                                   \
		init;                                                           \
		uint64_t t0_ = now_ns();                                        \
		for (uint64_t h_ = 0; h_ < (hops); h_++)                        \
			step;                                                   \
		t_[r_] = (double)(now_ns() - t0_) / (double)(hops);             \
	}                                                                       \
	(result) = median(t_, (reps));                                          \
} while (0)

static double
chase_raw(const uint32_t *order, uint64_t n, uint64_t hops, int reps)
{
	struct raw_node *nodes = malloc(n * sizeof *nodes), *p = NULL;
	double ns;

	for (uint64_t i = 0; i < n; i++)
		nodes[i].next = &nodes[order[i]];
	TIME_CHASE(ns, reps, hops, p = &nodes[0], p = p->next);
	sink = (uintptr_t)p;
	free(nodes);
	return ns;
}

static void
link_offsets(const struct shmlab_view *v, const uint32_t *order, uint64_t n)
{
	struct off_node *nodes = (struct off_node *)shmlab_off_at(v, FIRST);

	for (uint64_t i = 0; i < n; i++)
		nodes[i].next = FIRST + (shmlab_off)order[i] * sizeof *nodes;
}

static void
link_relative(const struct shmlab_view *v, const uint32_t *order, uint64_t n)
{
	struct rel_node *nodes = (struct rel_node *)shmlab_off_at(v, FIRST);

	for (uint64_t i = 0; i < n; i++)
		if (shmlab_rel_set(v, &nodes[i].next, &nodes[order[i]]) < 0) {
			perror("shmlab-bench: shmlab_rel_set");
			exit(2);
		}
}

static void
chase_region(const struct bench_opts *o, const uint32_t *order, uint64_t n, uint64_t hops,
    struct chase_result *r)
{
	struct shmlab_region region;
	struct shmlab_view v;
	shmlab_off off = 0;
	const struct off_node *q = NULL;
	void *p = NULL;

	if (shmlab_region_create(&region, NULL, FIRST + n * sizeof(struct off_node)) < 0
	    || shmlab_region_map(&region, NULL, &v) < 0) {
		perror("shmlab-bench: a region for the list");
		exit(2);
	}
	link_offsets(&v, order, n);
	TIME_CHASE(r->offset, o->reps, hops, off = FIRST,
	    off = ((const struct off_node *)shmlab_off_at(&v, off))->next);
	TIME_CHASE(r->offset_checked, o->reps, hops, off = FIRST,
	    { if (!shmlab_off_fits(&v, off, sizeof *q)) abort();
	      off = ((const struct off_node *)shmlab_off_at(&v, off))->next; });
	TIME_CHASE(r->offset_checked_call, o->reps, hops, off = FIRST,
	    { if (shmlab_off_to_ptr(&v, off, sizeof *q, (void **)&q) < 0) abort(); off = q->next; });
	sink = (uintptr_t)off;
	link_relative(&v, order, n);
	TIME_CHASE(r->self_relative, o->reps, hops, p = shmlab_off_at(&v, FIRST),
	    { if (shmlab_rel_get(&v, &((struct rel_node *)p)->next, sizeof(struct rel_node), &p) < 0) abort(); });
	sink = (uintptr_t)p;
	shmlab_view_unmap(&v);
	shmlab_region_close(&region);
}

void
bench_chase(const struct bench_opts *o, uint64_t nodes, struct chase_result *r)
{
	uint32_t *order = random_cycle(nodes);
	uint64_t hops = hops_for(nodes, o->quick);

	r->nodes = nodes;
	chase_raw(order, nodes, hops / 4, 1);          // warm the caches and the page tables
	r->raw = chase_raw(order, nodes, hops, o->reps);
	chase_region(o, order, nodes, hops, r);
	r->boost_offset_ptr = boost_chase_ns(order, nodes, o->reps);
	free(order);
}
