// Mutant: an allocator without cross-process synchronisation: one free list for all, plain loads and stores
// Replaces: reference/alloc.c
// Caught by: 03-contract-alloc-interleaved
// That scenario stops worker 0 before each store of its alloc and free into
// the region and has worker 1 allocate a block of the same size meanwhile.
// Here worker 0 has read the shared list's head and is about to store its
// successor; worker 1 pops the same head; worker 0's store then undoes
// worker 1's pop, so the block is handed out twice (or the allocator trips
// over its own bitmap: EPROTO). The window is made, not waited for, so
// every run catches it. 03-contract-alloc-concurrent, which only runs the
// workers side by side, catches it in most runs and not all.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/alloc.c as it stands (see README.md): the
// layout, heap_init and heap_check are the reference's.
#include "shmlab/alloc.h"

#define shmlab_alloc reference_alloc
#define shmlab_free reference_free
#include "../../reference/alloc.c"
#undef shmlab_alloc
#undef shmlab_free

// MUTANT: everything below is written as if one process used the heap: every
// process shares shard 0's lists (no shards), and every change to a list
// head, a link, the page counter or the bitmap is a plain load and store
// (no compare-and-swap, no atomic read-modify-write).

static word *
list_of(const struct heap_view *hv, int c)
{
	return &hv->h->shards[0].head[c];
}

static int
pop_unlocked(const struct heap_view *hv, word *list, uint64_t *unit)
{
	uint32_t top = (uint32_t)*list;

	if (top == 0)
		return EMPTY;
	if (top - 1 >= hv->units)
		return CORRUPT;
	*list = *link_of(hv, top - 1);
	*unit = top - 1;
	return GOT;
}

static void
push_unlocked(const struct heap_view *hv, word *list, uint64_t first, uint64_t last)
{
	*link_of(hv, last) = (uint32_t)*list;
	*list = first + 1;
}

static int
claim_page_unlocked(const struct heap_view *hv, int c, uint64_t *unit)
{
	uint32_t page = hv->h->next_page;
	uint64_t step = (uint64_t)1 << c, first = (uint64_t)page * UNITS_PER_PAGE;
	uint64_t last = first + UNITS_PER_PAGE - step;

	if (page >= hv->npages)
		return EMPTY;
	hv->h->next_page = page + 1;
	hv->owners[page] = (uint32_t)(c + 1);
	for (uint64_t u = first + step; u < last; u += step)
		*link_of(hv, u) = (uint32_t)(u + step + 1);
	if (last > first)
		push_unlocked(hv, list_of(hv, c), first + step, last);
	*unit = first;
	return GOT;
}

int
shmlab_alloc(const struct shmlab_view *v, uint64_t size, uint64_t align, shmlab_off *off)
{
	struct heap_view hv;
	uint64_t unit, mask, old;
	int c, got;

	if ((c = class_of(size, align)) < 0 || open_heap(v, &hv) < 0)
		return -1;
	got = pop_unlocked(&hv, list_of(&hv, c), &unit);
	if (got == EMPTY)
		got = claim_page_unlocked(&hv, c, &unit);
	if (got == EMPTY) {
		errno = ENOMEM;
		return -1;
	}
	if (got == CORRUPT || unit % ((uint64_t)1 << c) || hv.owners[unit / UNITS_PER_PAGE] % 256 != (uint32_t)c + 1)
		goto corrupt;
	mask = (uint64_t)1 << (unit % 64);
	old = hv.bits[unit / 64];
	if (old & mask)
		goto corrupt;
	hv.bits[unit / 64] = old | mask;
	*off = hv.pages_off + unit * UNIT;
	return 0;
corrupt:
	errno = EPROTO;
	return -1;
}

int
shmlab_free(const struct shmlab_view *v, shmlab_off off)
{
	struct heap_view hv;
	uint64_t unit, mask, old;
	int c;

	if (open_heap(v, &hv) < 0)
		return -1;
	if (off < hv.pages_off || (off - hv.pages_off) % UNIT || (unit = (off - hv.pages_off) / UNIT) >= hv.units)
		goto invalid;
	c = (int)(hv.owners[unit / UNITS_PER_PAGE] % 256) - 1;
	if (c < 0 || c >= CLASSES || unit % ((uint64_t)1 << c))
		goto invalid;
	mask = (uint64_t)1 << (unit % 64);
	old = hv.bits[unit / 64];
	if (!(old & mask))
		goto invalid;
	hv.bits[unit / 64] = old & ~mask;
	push_unlocked(&hv, list_of(&hv, c), unit, unit);
	return 0;
invalid:
	errno = EINVAL;
	return -1;
}
