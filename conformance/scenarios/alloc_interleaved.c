/*
 * The allocator (alloc.h), one process stopped inside its calls at every
 * store while another allocates.
 *
 * 03-contract-alloc-interleaved: a race between two processes in an
 * allocator is a window. One has read a list head (or a page counter, a
 * bitmap word) and is about to store what it computed from it; if the other
 * pops the same head in between, both hand out one block. alloc-concurrent
 * runs the processes side by side and finds such a window only when the
 * scheduler cuts there; this scenario cuts there on purpose (interleave.h),
 * so that an allocator without cross-process synchronisation fails every
 * run, not most.
 *
 * Worker 0 makes a fixed sequence of allocs and frees, each stopped before
 * its stores; at each stop worker 1 allocates a block of the same size and
 * keeps it. Afterwards no block worker 0 got may overlap one worker 1 holds
 * or one of worker 0's own. A free can leave the damage on a list instead
 * (its block linked to one worker 1 took meanwhile): the two allocs of the
 * same size after it would be answered from that list, and are checked
 * likewise. Then worker 1 lets go of what it holds, and the next size
 * begins. The other workers have no part.
 *
 * The heap is the region but its first page (the library's header) and its
 * last (the control block).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "interleave.h"

#define ROUNDS  2               // round r stops at stores from r * INTERLEAVE_WINDOW on

static const uint32_t sizes[] = { 16, 40, 100, 300, 1000, 4000, 20000, 65536 };
#define NSIZES (sizeof sizes / sizeof sizes[0])

enum ask { ALLOC = 1, RELEASE };

// Worker 1's blocks, in the control block's data: offset and size in turn.
#define HELD (INTERLEAVE_DATA / 2)

struct block { shmlab_off off; uint64_t size; };

// One call of worker 0's: alloc(size) into *b, or free(b->off).
struct call { struct block *b; int is_free; };

static uint64_t
page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static int
make_heap(struct worker *w, const struct shmlab_view *v)
{
	uint64_t page = page_size();

	interleave_reset(v);
	if (SUCCEEDS(w, w->impl->format(v), "format") < 0
	    || SUCCEEDS(w, w->impl->heap_init(v, page, interleave_usable(v) - page),
		"heap_init of all but the first and last page") < 0)
		return -1;
	return 0;
}

// ---------------------------------------------------------------- worker 1

static void
answer(struct worker *w, const struct shmlab_view *v, struct interleave *c)
{
	shmlab_off off;

	if (c->what == ALLOC && c->n < INTERLEAVE_DATA) {
		if (w->impl->alloc(v, c->arg, 8, &off) == 0) {
			c->data[c->n++] = off;
			c->data[c->n++] = c->arg;
		} else {
			c->error = errno;
		}
	}
	if (c->what == RELEASE) {
		for (uint32_t i = 0; i < c->n; i += 2)
			if (w->impl->free(v, c->data[i]) < 0)
				c->error = errno;
		c->n = 0;
	}
}

// ---------------------------------------------------------------- worker 0

static int
overlaps(const struct block *b, uint64_t off, uint64_t size)
{
	return b->off < off + size && off < b->off + b->size;
}

// A block worker 0 was just given must lie in the heap and overlap no live
// block: neither worker 1's nor worker 0's own.
static int
fresh(struct worker *w, const struct shmlab_view *v, const struct block *b, const struct block *mine, uint32_t nmine,
    const char *how)
{
	const struct interleave *c = interleave_of(w, v);
	uint64_t page = page_size(), end = interleave_usable(v);

	if (b->off < page || b->off > end || b->size > end - b->off)
		return fail(w, "%s returned [%#llx, +%llu), outside the heap [%#llx, %#llx)", how,
		    (unsigned long long)b->off, (unsigned long long)b->size, (unsigned long long)page,
		    (unsigned long long)end);
	for (uint32_t i = 0; i + 1 < c->n; i += 2)
		if (overlaps(b, c->data[i], c->data[i + 1]))
			return fail(w, "%s returned [%#llx, +%llu), which worker 1 holds since an alloc it made while "
			    "worker 0 was stopped before a store: a block handed out twice, because the allocator "
			    "let a store overwrite what worker 1 did in between (no compare-and-swap, no lock)", how,
			    (unsigned long long)b->off, (unsigned long long)b->size);
	for (uint32_t i = 0; i < nmine; i++)
		if (overlaps(b, mine[i].off, mine[i].size))
			return fail(w, "%s returned [%#llx, +%llu), inside worker 0's own live block [%#llx, +%llu): "
			    "a block handed out twice", how, (unsigned long long)b->off, (unsigned long long)b->size,
			    (unsigned long long)mine[i].off, (unsigned long long)mine[i].size);
	return 0;
}

static int
call_allocator(struct worker *w, const struct shmlab_view *v, void *arg)
{
	struct call *k = arg;

	return k->is_free ? w->impl->free(v, k->b->off) : w->impl->alloc(v, k->b->size, 8, &k->b->off);
}

// One alloc of worker 0's, stopped at the stores of round's window.
static int
paused_alloc(struct worker *w, const struct shmlab_view *v, uint32_t size, int round, struct block *mine,
    uint32_t *nmine)
{
	struct block b = { 0, size };
	struct call k = { &b, 0 };
	char name[40];
	int rc;

	snprintf(name, sizeof name, "alloc(%u)", size);
	if (interleave_stopped(w, v, round * INTERLEAVE_WINDOW, name, call_allocator, &k, ALLOC, size, &rc) < 0
	    || succeeded(w, rc, errno, interleave_called) < 0 || fresh(w, v, &b, mine, *nmine, interleave_called) < 0)
		return -1;
	mine[(*nmine)++] = b;
	return 0;
}

// One free of worker 0's, stopped likewise; then two allocs of the same
// size, unstopped, which a list the free left wrong would answer with a
// block in use.
static int
paused_free(struct worker *w, const struct shmlab_view *v, int round, struct block *mine, uint32_t *nmine)
{
	struct block gone = mine[--*nmine], again;
	struct call k = { &gone, 1 };
	char name[40], next[180];
	int rc;

	snprintf(name, sizeof name, "free of an alloc(%u)", (unsigned)gone.size);
	if (interleave_stopped(w, v, round * INTERLEAVE_WINDOW, name, call_allocator, &k, ALLOC, (uint32_t)gone.size,
		&rc) < 0 || succeeded(w, rc, errno, interleave_called) < 0)
		return -1;
	for (int n = 1; n <= 2; n++) {
		again.size = gone.size;
		snprintf(next, sizeof next, "alloc(%u) #%d after a %s", (unsigned)gone.size, n, interleave_called);
		if (SUCCEEDS(w, w->impl->alloc(v, gone.size, 8, &again.off), next) < 0
		    || fresh(w, v, &again, mine, *nmine, next) < 0)
			return -1;
		mine[(*nmine)++] = again;
	}
	return 0;
}

static int
free_mine(struct worker *w, const struct shmlab_view *v, struct block *mine, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (SUCCEEDS(w, w->impl->free(v, mine[i].off), "free of one of worker 0's blocks") < 0)
			return -1;
	return 0;
}

// Per round, per size: two stopped allocs, a stopped free of the second
// and the two allocs after it, then worker 1 lets go of what it holds.
static int
stop_and_intrude(struct worker *w, const struct shmlab_view *v, struct interleave *c)
{
	struct block mine[4];
	uint32_t n;

	for (int round = 0; round < ROUNDS; round++)
		for (size_t s = 0; s < NSIZES; s++) {
			n = 0;
			if (paused_alloc(w, v, sizes[s], round, mine, &n) < 0
			    || paused_alloc(w, v, sizes[s], round, mine, &n) < 0
			    || paused_free(w, v, round, mine, &n) < 0 || free_mine(w, v, mine, n) < 0
			    || interleave_ask(w, c, RELEASE, 0) < 0)
				return -1;
		}
	return 0;
}

static int
interleave_allocs(struct worker *w, const struct shmlab_view *v)
{
	return interleave_run(w, v, stop_and_intrude, answer);
}

const struct scenario contract_alloc_interleaved = {
	.name = "03-contract-alloc-interleaved",
	.summary = "a process stopped at each store of its alloc or free while another allocates; no block handed out twice",
	.handout = "labs/03-offsets/README.md#exercise",
	.rule = "alloc-interleaved",
	.region_size = 16 * MiB,
	.flags = CONTRACT | STORE_TRAP,
	.passes_under = ALL_STRATEGIES,
	.prepare = make_heap,
	.run = interleave_allocs,
};
