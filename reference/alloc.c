/*
 * The allocator (alloc.h says what it promises; this says how).
 *
 * The heap is a run of pages of SHMLAB_ALLOC_MAX bytes. A page is claimed,
 * once and for good, by one size class and one shard, cut into blocks of
 * that size, and the blocks go on that shard's free list for the class.
 * Pages are never given back; blocks are reused.
 *
 * Free lists are Treiber stacks. A list head is one 64-bit word: the low
 * half names the top block (its unit number + 1, so 0 is empty), the high
 * half counts changes, so a head popped and pushed back meanwhile (ABA) makes
 * the compare-and-swap fail. A free block's first four bytes name the block
 * below it the same way. Blocks are named by units of SHMLAB_ALLOC_MIN bytes
 * from the first page: offsets, so every view agrees.
 *
 * Shards keep processes apart: a process allocates from the lists of its own
 * shard (picked from its pid) and so touches its own cache lines; a free goes
 * back to the shard that owns the page. Only when its lists and the fresh
 * pages are used up does a process take blocks from other shards.
 *
 * A bitmap holds one bit per unit, set while the block starting there is
 * handed out. It lets free() refuse a double free or a made-up offset, and
 * it is what shmlab_heap_check() compares the free lists against.
 *
 * Everything read from the region is checked before it is used: the heap's
 * description once per call, and every unit number popped from a list.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmlab/alloc.h"
#include "header.h"

#define PAGE            SHMLAB_ALLOC_MAX
#define UNIT            SHMLAB_ALLOC_MIN
#define UNITS_PER_PAGE  (PAGE / UNIT)
#define WORDS_PER_PAGE  (UNITS_PER_PAGE / 64)   // bitmap words for one page
#define CLASSES         13                      // UNIT << 0 .. UNIT << 12 == PAGE
#define SHARDS          8
#define HEAP_MAGIC      UINT64_C(0x3170616568626c73)    // "slbheap1"

enum { GOT, EMPTY, CORRUPT };

// A 64-bit word aligned to 8 on every ABI, as atomics on it need (i386 would
// align a plain uint64_t to 4).
typedef uint64_t word __attribute__((aligned(8)));

struct shard {
	_Alignas(128) word head[CLASSES];   // one cache line pair per shard
};

struct heap {
	uint64_t magic;
	uint32_t npages;
	uint32_t next_page;     // pages below this have been claimed
	shmlab_off pages;       // page 0; a multiple of PAGE
	shmlab_off owners;      // uint32_t[npages]: 0 unclaimed, else class + 1 | shard << 8
	shmlab_off bitmap;      // uint64_t[npages][WORDS_PER_PAGE]
	struct shard shards[SHARDS];
};

static_assert(offsetof(struct heap, shards) == 128, "heap layout is pinned");
static_assert(sizeof(struct heap) == 128 + SHARDS * 128, "heap layout is pinned");

// The heap as this call sees it: read once from the region, then checked.
struct heap_view {
	struct heap *h;
	unsigned char *pages;
	uint32_t *owners;
	word *bits;
	uint32_t npages;
	uint64_t units;
	shmlab_off pages_off;
};

static int
fits(const struct shmlab_view *v, uint64_t off, uint64_t len)
{
	return off <= v->size && len <= v->size - off;
}

static int
open_heap(const struct shmlab_view *v, struct heap_view *hv)
{
	struct shmlab_header *hdr = (struct shmlab_header *)v->base;
	shmlab_off at, owners, bitmap;

	if (shmlab_check(v) < 0)
		return -1;
	at = __atomic_load_n(&hdr->heap, __ATOMIC_ACQUIRE);
	if (at == 0 || at % _Alignof(struct heap) != 0 || !fits(v, at, sizeof(struct heap)))
		goto corrupt;           // a peer wrote the header: misaligned is as bad as outside
	hv->h = (struct heap *)(v->base + at);
	if (__atomic_load_n(&hv->h->magic, __ATOMIC_ACQUIRE) != HEAP_MAGIC)
		goto corrupt;
	hv->npages = hv->h->npages;
	hv->pages_off = hv->h->pages;
	owners = hv->h->owners;
	bitmap = hv->h->bitmap;
	if (!fits(v, hv->pages_off, (uint64_t)hv->npages * PAGE)
	    || !fits(v, owners, (uint64_t)hv->npages * sizeof(uint32_t))
	    || !fits(v, bitmap, (uint64_t)hv->npages * WORDS_PER_PAGE * 8)
	    || hv->pages_off % PAGE || owners % 4 || bitmap % 8)
		goto corrupt;
	hv->pages = v->base + hv->pages_off;
	hv->owners = (uint32_t *)(v->base + owners);
	hv->bits = (word *)(v->base + bitmap);
	hv->units = (uint64_t)hv->npages * UNITS_PER_PAGE;
	return 0;
corrupt:
	errno = EPROTO;
	return -1;
}

static uint32_t *
link_of(const struct heap_view *hv, uint64_t unit)
{
	return (uint32_t *)(hv->pages + unit * UNIT);
}

// The class of blocks of size bytes aligned to align, or -1 (EINVAL).
static int
class_of(uint64_t size, uint64_t align)
{
	uint64_t need = size > align ? size : align;
	int c = 0;

	if (size == 0 || size > PAGE || align == 0 || (align & (align - 1)) || align > SHMLAB_ALLOC_ALIGN) {
		errno = EINVAL;
		return -1;
	}
	while (((uint64_t)UNIT << c) < need)
		c++;
	return c;
}

static int
my_shard(void)
{
	static _Thread_local int shard = -1;

	if (shard < 0)
		shard = (int)((unsigned)getpid() % SHARDS);
	return shard;
}

// Takes the top block of a list. The link is read before the CAS and may be
// stale; it is used only if the CAS proves the head did not change.
static int
pop(const struct heap_view *hv, word *list, uint64_t *unit)
{
	uint64_t head = __atomic_load_n(list, __ATOMIC_ACQUIRE), next;

	for (;;) {
		uint32_t top = (uint32_t)head;
		if (top == 0)
			return EMPTY;
		if (top - 1 >= hv->units)
			return CORRUPT;
		next = __atomic_load_n(link_of(hv, top - 1), __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(list, &head, ((head >> 32) + 1) << 32 | next, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			*unit = top - 1;
			return GOT;
		}
	}
}

// Puts the chain first .. last (already linked to each other) on a list.
static void
push(const struct heap_view *hv, word *list, uint64_t first, uint64_t last)
{
	uint64_t head = __atomic_load_n(list, __ATOMIC_RELAXED);

	do
		__atomic_store_n(link_of(hv, last), (uint32_t)head, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(list, &head, ((head >> 32) + 1) << 32 | (first + 1), 0,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

// Claims a fresh page for class c in shard s: keeps its first block for the
// caller and puts the rest on the shard's list.
static int
claim_page(const struct heap_view *hv, int s, int c, uint64_t *unit)
{
	uint32_t page = __atomic_fetch_add(&hv->h->next_page, 1, __ATOMIC_RELAXED);
	uint64_t step = (uint64_t)1 << c, first = (uint64_t)page * UNITS_PER_PAGE;
	uint64_t last = first + UNITS_PER_PAGE - step;

	if (page >= hv->npages)
		return EMPTY;
	__atomic_store_n(&hv->owners[page], (uint32_t)(c + 1) | (uint32_t)s << 8, __ATOMIC_RELEASE);
	for (uint64_t u = first + step; u < last; u += step)
		*link_of(hv, u) = (uint32_t)(u + step + 1);
	if (last > first)
		push(hv, &hv->h->shards[s].head[c], first + step, last);
	*unit = first;
	return GOT;
}

static int
take(const struct heap_view *hv, int c, uint64_t *unit)
{
	int s = my_shard(), got = pop(hv, &hv->h->shards[s].head[c], unit);

	if (got == EMPTY)
		got = claim_page(hv, s, c, unit);
	for (int k = 1; got == EMPTY && k < SHARDS; k++)
		got = pop(hv, &hv->h->shards[(s + k) % SHARDS].head[c], unit);
	return got;
}

int
shmlab_alloc(const struct shmlab_view *v, uint64_t size, uint64_t align, shmlab_off *off)
{
	struct heap_view hv;
	uint64_t unit, mask, old;
	int c, got;

	if ((c = class_of(size, align)) < 0 || open_heap(v, &hv) < 0)
		return -1;
	got = take(&hv, c, &unit);
	if (got == EMPTY) {
		errno = ENOMEM;
		return -1;
	}
	mask = (uint64_t)1 << (unit % 64);
	if (got == CORRUPT || unit % ((uint64_t)1 << c)
	    || __atomic_load_n(&hv.owners[unit / UNITS_PER_PAGE], __ATOMIC_ACQUIRE) % 256 != (uint32_t)c + 1
	    || ((old = __atomic_fetch_or(&hv.bits[unit / 64], mask, __ATOMIC_ACQ_REL)) & mask)) {
		errno = EPROTO;         // a list named a block that is not free: the heap is damaged
		return -1;
	}
	*off = hv.pages_off + unit * UNIT;
	return 0;
}

int
shmlab_free(const struct shmlab_view *v, shmlab_off off)
{
	struct heap_view hv;
	uint64_t unit, mask;
	uint32_t owner;
	int c, s;

	if (open_heap(v, &hv) < 0)
		return -1;
	if (off < hv.pages_off || (off - hv.pages_off) % UNIT || (unit = (off - hv.pages_off) / UNIT) >= hv.units)
		goto invalid;
	owner = __atomic_load_n(&hv.owners[unit / UNITS_PER_PAGE], __ATOMIC_ACQUIRE);
	c = (int)(owner % 256) - 1;
	s = (int)(owner / 256);
	if (c < 0 || c >= CLASSES || s >= SHARDS || unit % ((uint64_t)1 << c))
		goto invalid;
	mask = (uint64_t)1 << (unit % 64);
	if (!(__atomic_fetch_and(&hv.bits[unit / 64], ~mask, __ATOMIC_ACQ_REL) & mask))
		goto invalid;           // not handed out: a double free, or never allocated
	push(&hv, &hv.h->shards[s].head[c], unit, unit);
	return 0;
invalid:
	errno = EINVAL;
	return -1;
}

static uint64_t
round_up(uint64_t x, uint64_t to)
{
	return (x + to - 1) / to * to;
}

int
shmlab_heap_init(const struct shmlab_view *v, shmlab_off start, uint64_t len)
{
	struct shmlab_header *hdr = (struct shmlab_header *)v->base;
	uint64_t at = round_up(start, 128), end = start + len, per_page = PAGE + 4 + WORDS_PER_PAGE * 8;
	uint64_t owners = at + sizeof(struct heap), npages, bitmap, pages;
	struct heap *h;

	if (shmlab_check(v) < 0)
		return -1;
	if (__atomic_load_n(&hdr->heap, __ATOMIC_ACQUIRE) != 0) {
		errno = EEXIST;
		return -1;
	}
	if (!fits(v, start, len) || start < SHMLAB_HEADER_SIZE) {
		errno = ERANGE;
		return -1;
	}
	for (npages = end > owners ? (end - owners) / per_page : 0; npages > 0; npages--) {
		bitmap = round_up(owners + npages * 4, 8);
		pages = round_up(bitmap + npages * WORDS_PER_PAGE * 8, PAGE);
		if (pages + npages * PAGE <= end && npages <= UINT32_MAX / UNITS_PER_PAGE)
			break;
	}
	if (npages == 0) {
		errno = ENOSPC;
		return -1;
	}
	h = (struct heap *)(v->base + at);
	memset(h, 0, bitmap + npages * WORDS_PER_PAGE * 8 - at);
	*h = (struct heap){ .npages = (uint32_t)npages, .pages = pages, .owners = owners, .bitmap = bitmap };
	__atomic_store_n(&h->magic, HEAP_MAGIC, __ATOMIC_RELEASE);
	__atomic_store_n(&hdr->heap, at, __ATOMIC_RELEASE);
	return 0;
}

// Walks one free list, marking each block in seen. Every block on it must be
// of class c, free in the bitmap, and on no list yet; the walk is bounded by
// the number of units, so a cycle is found, not followed forever.
static int
walk_list(const struct heap_view *hv, uint64_t head, int c, uint64_t *seen, uint64_t *count)
{
	for (uint32_t top = (uint32_t)head; top != 0; top = *link_of(hv, top - 1)) {
		uint64_t u = top - 1, mask = (uint64_t)1 << (u % 64);
		if (u >= hv->units || hv->owners[u / UNITS_PER_PAGE] % 256 != (uint32_t)c + 1
		    || u % ((uint64_t)1 << c) || (hv->bits[u / 64] & mask) || (seen[u / 64] & mask)
		    || ++*count > hv->units)
			return -1;
		seen[u / 64] |= mask;
	}
	return 0;
}

// Every block of every claimed page must be allocated or listed, not both,
// not neither; unclaimed pages must have no bits set.
static int
tally_pages(const struct heap_view *hv, const uint64_t *seen, struct shmlab_heap_stats *st)
{
	uint32_t claimed = hv->h->next_page < hv->npages ? hv->h->next_page : hv->npages;

	for (uint32_t p = 0; p < hv->npages; p++) {
		uint32_t owner = hv->owners[p], class1 = owner % 256;     // read once: a peer may write it
		uint64_t step;
		if ((p < claimed) != (owner != 0) || (owner != 0 && (class1 == 0 || class1 > CLASSES)))
			return -1;
		step = owner ? (uint64_t)1 << (class1 - 1) : 1;
		for (uint64_t u = (uint64_t)p * UNITS_PER_PAGE; u < (uint64_t)(p + 1) * UNITS_PER_PAGE; u++) {
			uint64_t mask = (uint64_t)1 << (u % 64);
			int used = (hv->bits[u / 64] & mask) != 0, listed = (seen[u / 64] & mask) != 0;
			if (u % step) {
				if (used || listed)
					return -1;      // a bit inside a block, not at its start
			} else if (owner && used == listed) {
				return -1;              // lost (neither) or both
			}
			st->blocks_allocated += used;
			st->blocks_free += listed;
			st->bytes_allocated += used ? step * UNIT : 0;
		}
		st->pages_used += owner != 0;
	}
	return 0;
}

int
shmlab_heap_check(const struct shmlab_view *v, struct shmlab_heap_stats *st)
{
	struct heap_view hv;
	uint64_t *seen, listed = 0;
	int bad = 0;

	if (open_heap(v, &hv) < 0)
		return -1;
	if ((seen = calloc(hv.units / 64 + 1, sizeof *seen)) == NULL)
		return -1;
	memset(st, 0, sizeof *st);
	st->pages = hv.npages;
	for (int s = 0; s < SHARDS && !bad; s++)
		for (int c = 0; c < CLASSES && !bad; c++)
			bad = walk_list(&hv, hv.h->shards[s].head[c], c, seen, &listed) < 0;
	if (!bad)
		bad = tally_pages(&hv, seen, st) < 0;
	free(seen);
	if (bad) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}
