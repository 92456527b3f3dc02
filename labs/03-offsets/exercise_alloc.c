/*
 * Lab 03 exercise, second half: an allocator that hands out offsets.
 *
 * The labs' exercises together form your implementation of the shmlab
 * contract (conformance/CONTRACT.md), built into libshmlab-learner.so. This
 * file is the allocator of reference/include/shmlab/alloc.h:
 * shmlab_heap_init(), shmlab_alloc() and shmlab_free() are stubs marked TODO
 * that fail with ENOSYS. The layout below, open_heap() and
 * shmlab_heap_check() are written for you; keep the layout, since the
 * checker reads it.
 *
 * Check it (see the handout's "Exercise"):
 *
 *   cmake --build build
 *   SHMLAB_IMPL=build/lib/libshmlab-learner.so ctest --test-dir build -L conformance -L 'alloc-'
 *   build/bin/shmlab-harness run 03-contract-alloc-interleaved --procs 2 --strategy distinct \
 *       --impl build/lib/libshmlab-learner.so
 *
 * The design. All of the allocator's state lives in the region, and every
 * reference in it is an offset or a block number, so every view agrees on
 * it. No lock is held: every change is one atomic compare-and-swap (C11
 * 7.17), so several processes may allocate at once and a process killed in
 * the middle of a call blocks nobody.
 *
 * The heap is struct learner_heap, two arrays, then npages pages of PAGE
 * bytes. Blocks come in CLASSES power-of-two sizes, UNIT << c bytes for class
 * c. A page is claimed once and for good by one class (next_page only grows)
 * and cut into blocks of that size. A block is named by its unit: the number
 * of UNIT-byte steps from the start of page 0.
 *
 * Each class has one free list, a Treiber stack. Its head is one 64-bit word:
 * the low half holds the top block's unit + 1 (0: the list is empty), the
 * high half a tag that goes up by one with every change, so that a
 * compare-and-swap fails if the head was popped and pushed back meanwhile
 * (the ABA problem). A free block's first four bytes hold the unit + 1 of the
 * block below it.
 *
 * used[u] is 1 while the block starting at unit u is handed out. free() sets
 * it from 1 to 0 with a compare-and-swap, which refuses a double free or a
 * made-up offset; alloc() sets it from 0 to 1, which catches a damaged list
 * that names a block already handed out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"

#define PAGE            SHMLAB_ALLOC_MAX        // 65536 bytes, one class's blocks
#define UNIT            SHMLAB_ALLOC_MIN        // 16 bytes, the smallest block
#define UNITS_PER_PAGE  (PAGE / UNIT)
#define CLASSES         13                      // UNIT << 0 .. UNIT << 12 == PAGE
#define MAX_PAGES       (UINT32_MAX / UNITS_PER_PAGE)   // so that unit + 1 fits 32 bits
#define HEAP_MAGIC      UINT64_C(0x3170686e7261656c)    // the bytes "learnhp1"

// A 64-bit word aligned to 8 on every ABI, as atomics on it need.
typedef uint64_t word __attribute__((aligned(8)));

// ANCHOR: heap
struct learner_heap {                   // at the offset the header's `heap` holds
	_Alignas(8) uint64_t magic;     // HEAP_MAGIC, stored last by shmlab_heap_init()
	uint32_t npages;                // pages of PAGE bytes
	uint32_t next_page;             // pages below it are claimed; only grows (CAS)
	shmlab_off pages;               // page 0: a multiple of SHMLAB_ALLOC_ALIGN
	shmlab_off classes;             // uint8_t[npages]: 0 unclaimed, else class + 1
	shmlab_off used;                // uint8_t[npages * UNITS_PER_PAGE]: 1 while the
	                                // block that starts at that unit is handed out
	word lists[CLASSES];            // free lists: tag << 32 | (top unit + 1)
};

static_assert(offsetof(struct learner_heap, npages) == 8, "heap layout is pinned");
static_assert(offsetof(struct learner_heap, pages) == 16, "heap layout is pinned");
static_assert(offsetof(struct learner_heap, used) == 32, "heap layout is pinned");
static_assert(offsetof(struct learner_heap, lists) == 40, "heap layout is pinned");
static_assert(sizeof(struct learner_heap) == 40 + CLASSES * 8, "heap layout is pinned");
// ANCHOR_END: heap

// The heap as one call sees it: its description read once from the region,
// checked, and turned into pointers into this view.
struct heap_view {
	struct learner_heap *h;
	unsigned char *pages;
	uint8_t *classes;
	uint8_t *used;
	uint32_t npages;
	uint64_t units;                 // npages * UNITS_PER_PAGE
	shmlab_off pages_off;
};

static int
fits(const struct shmlab_view *v, uint64_t off, uint64_t len)
{
	return off <= v->size && len <= v->size - off;
}

// Provided. Finds the heap of v and checks its description against the
// view. Returns 0, or -1 with errno EPROTO (no heap, or a description that
// does not fit the view), or shmlab_check()'s error.
static int
open_heap(const struct shmlab_view *v, struct heap_view *hv)
{
	struct learner_header *hdr = (struct learner_header *)v->base;
	shmlab_off at, classes, used;

	if (shmlab_check(v) < 0)
		return -1;
	at = __atomic_load_n(&hdr->heap, __ATOMIC_ACQUIRE);
	if (at == 0 || at % 8 || !fits(v, at, sizeof *hv->h))
		goto corrupt;
	hv->h = (struct learner_heap *)(v->base + at);
	if (__atomic_load_n(&hv->h->magic, __ATOMIC_ACQUIRE) != HEAP_MAGIC)
		goto corrupt;
	hv->npages = hv->h->npages;
	hv->pages_off = hv->h->pages;
	classes = hv->h->classes;
	used = hv->h->used;
	hv->units = (uint64_t)hv->npages * UNITS_PER_PAGE;
	if (hv->npages == 0 || hv->npages > MAX_PAGES || hv->pages_off % SHMLAB_ALLOC_ALIGN
	    || !fits(v, hv->pages_off, (uint64_t)hv->npages * PAGE)
	    || !fits(v, classes, hv->npages) || !fits(v, used, hv->units))
		goto corrupt;
	hv->pages = v->base + hv->pages_off;
	hv->classes = v->base + classes;
	hv->used = v->base + used;
	return 0;
corrupt:
	errno = EPROTO;
	return -1;
}

// Where a free block keeps the unit + 1 of the block below it.
static uint32_t *
link_of(const struct heap_view *hv, uint64_t unit)
{
	return (uint32_t *)(hv->pages + unit * UNIT);
}

// Makes [start, start + len) of the formatted region v a heap, and records
// its offset in the header's `heap` field. The checks come in this order:
// shmlab_check()'s errors (EPROTO: not formatted), EEXIST (the header names a
// heap already), ERANGE (start below SHMLAB_HEADER_SIZE, or the range not
// inside v: off <= size && len <= size - off, as ever), ENOSPC (no room for
// the description, the arrays and one page).
//
// Put struct learner_heap at start rounded up to 8, the classes array right
// after it, the used array after that, and page 0 at the next multiple of
// SHMLAB_ALLOC_ALIGN; take as many pages as fit (at most MAX_PAGES). Zero the
// description and the arrays, fill in the fields, store the magic with
// release, and only then the heap's offset in the header, with release too.
int
shmlab_heap_init(const struct shmlab_view *v, shmlab_off start, uint64_t len)
{
	(void)v;
	(void)start;
	(void)len;
	errno = ENOSYS;         // TODO: lay the heap out, then publish it in the header
	return -1;
}

// Hands out a block of at least size bytes, aligned to align, as an offset
// in *off. EINVAL: size 0 or over SHMLAB_ALLOC_MAX, align 0, not a power of
// two or over SHMLAB_ALLOC_ALIGN (check these first). Then open_heap()'s
// errors; ENOMEM when the class's list is empty and no page is left; EPROTO
// when the list names a block that cannot be free.
//
// The class is the smallest c with UNIT << c >= both size and align: a block
// of class c starts at a multiple of UNIT << c from page 0, which starts at a
// multiple of SHMLAB_ALLOC_ALIGN, so the offset is aligned. Pop the top block
// of list c: read the head (acquire), check its unit is below hv.units, read
// the block's link, and compare-and-swap the head to (tag + 1) << 32 | link.
// If the list is empty, claim page next_page with a compare-and-swap (none
// left: ENOMEM), store its class + 1, keep its first block and push the rest
// onto list c. Before handing the block out, check that its page's class is
// c + 1 and set used[unit] from 0 to 1 with a compare-and-swap: EPROTO if
// either fails.
int
shmlab_alloc(const struct shmlab_view *v, uint64_t size, uint64_t align, shmlab_off *off)
{
	(void)v;
	(void)size;
	(void)align;
	(void)off;
	errno = ENOSYS;         // TODO: pop from the class's list, or claim a page
	return -1;
}

// Gives the block at off back. open_heap()'s errors, then EINVAL unless off
// is the start of a block of a claimed page (inside the pages, a whole number
// of units from page 0, at a multiple of its page's block size) and used[]
// goes from 1 to 0 under your compare-and-swap: anything else is a made-up
// offset or a double free. Then push the block on its class's list: write
// the head's unit + 1 into the block's link, and compare-and-swap the head
// to (tag + 1) << 32 | (unit + 1) (release), again until it succeeds.
int
shmlab_free(const struct shmlab_view *v, shmlab_off off)
{
	(void)v;
	(void)off;
	errno = ENOSYS;         // TODO: check the offset, clear used[], push the block
	return -1;
}

// Provided. Walks list c, marking each block in seen. Every block on it must
// be a block of class c, not handed out, and on no list yet; the walk is
// bounded by the number of units, so a cycle is found, not followed forever.
static int
walk_list(const struct heap_view *hv, uint64_t head, int c, uint8_t *seen, uint64_t *count)
{
	for (uint32_t top = (uint32_t)head; top != 0; top = *link_of(hv, top - 1)) {
		uint64_t u = top - 1;
		if (u >= hv->units || hv->classes[u / UNITS_PER_PAGE] != c + 1
		    || u % ((uint64_t)1 << c) || hv->used[u] || seen[u] || ++*count > hv->units)
			return -1;
		seen[u] = 1;
	}
	return 0;
}

// Provided. Every block of a claimed page must be handed out or listed, not
// both and not neither; nothing inside a block or in an unclaimed page may be
// marked.
static int
tally_pages(const struct heap_view *hv, const uint8_t *seen, struct shmlab_heap_stats *st)
{
	uint32_t next = hv->h->next_page, claimed = next < hv->npages ? next : hv->npages;

	for (uint32_t p = 0; p < hv->npages; p++) {
		unsigned cls = hv->classes[p];
		uint64_t step = cls ? (uint64_t)1 << (cls - 1) : 1, u0 = (uint64_t)p * UNITS_PER_PAGE;
		if ((p < claimed) != (cls != 0) || cls > CLASSES)
			return -1;
		for (uint64_t u = u0; u < u0 + UNITS_PER_PAGE; u++) {
			if (u % step || cls == 0) {
				if (hv->used[u] || seen[u])
					return -1;
			} else if (hv->used[u] == seen[u] || hv->used[u] > 1) {
				return -1;      // lost (neither), or both
			}
			st->blocks_allocated += hv->used[u];
			st->blocks_free += seen[u];
			st->bytes_allocated += hv->used[u] ? step * UNIT : 0;
		}
		st->pages_used += cls != 0;
	}
	return 0;
}

// Provided: see alloc.h. Only meaningful while no process is allocating.
int
shmlab_heap_check(const struct shmlab_view *v, struct shmlab_heap_stats *st)
{
	struct heap_view hv;
	uint64_t listed = 0;
	uint8_t *seen;
	int bad = 0;

	if (open_heap(v, &hv) < 0)
		return -1;
	if ((seen = calloc(hv.units, 1)) == NULL)
		return -1;
	memset(st, 0, sizeof *st);
	st->pages = hv.npages;
	for (int c = 0; c < CLASSES && !bad; c++)
		bad = walk_list(&hv, hv.h->lists[c], c, seen, &listed) < 0;
	if (!bad)
		bad = tally_pages(&hv, seen, st) < 0;
	free(seen);
	if (bad) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}
