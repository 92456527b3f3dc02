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
 *
 * No lock is ever held, so a process killed in the middle of a call blocks
 * nobody. What it can leave behind is a block, or one page's blocks, that is
 * on no list and not handed out either: each call is a few atomic steps, and
 * the kill points (kill_point.h) name the gaps between them. Such blocks are
 * lost, not corrupt: shmlab_heap_recover() finds them and lists them again.
 * A block already handed out belongs to the caller, dead or alive; the
 * allocator cannot tell it from a block a live process holds.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmlab/alloc.h"
#include "header.h"
#include "kill_point.h"

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

static_assert(SHARDS == 1 << 3, "my_shard takes the hash's top 3 bits");

static int
my_shard(void)
{
	static _Thread_local int shard = -1;

	// The pid's bits mixed (Fibonacci hashing), not its low bits: Windows
	// process ids are multiples of 4, which would leave 6 of 8 shards unused.
	if (shard < 0)
		shard = (int)(((uint32_t)getpid() * UINT32_C(2654435769)) >> 29);
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
		KILL_POINT(KILL_POP_READ);
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
	KILL_POINT(KILL_PAGE_COUNTED);
	__atomic_store_n(&hv->owners[page], (uint32_t)(c + 1) | (uint32_t)s << 8, __ATOMIC_RELEASE);
	KILL_POINT(KILL_PAGE_OWNED);
	for (uint64_t u = first + step; u < last; u += step)
		*link_of(hv, u) = (uint32_t)(u + step + 1);
	if (last > first)
		push(hv, &hv->h->shards[s].head[c], first + step, last);
	KILL_POINT(KILL_PAGE_LISTED);
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
	KILL_POINT(KILL_TAKEN);
	mask = (uint64_t)1 << (unit % 64);
	if (got == CORRUPT || unit % ((uint64_t)1 << c)
	    || __atomic_load_n(&hv.owners[unit / UNITS_PER_PAGE], __ATOMIC_ACQUIRE) % 256 != (uint32_t)c + 1
	    || ((old = __atomic_fetch_or(&hv.bits[unit / 64], mask, __ATOMIC_ACQ_REL)) & mask)) {
		errno = EPROTO;         // a list named a block that is not free: the heap is damaged
		return -1;
	}
	KILL_POINT(KILL_MARKED);
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
	KILL_POINT(KILL_UNMARKED);
	push(&hv, &hv.h->shards[s].head[c], unit, unit);
	KILL_POINT(KILL_FREED);
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

// What a survey of the pages found besides the stats: blocks on no list and
// not handed out, and claimed pages whose owner was never written. A process
// killed between two steps of a call leaves these (alloc.c's essay).
struct lost {
	uint64_t blocks, pages;
};

// A claimed page nobody owns: its claimer died before writing the owner, so
// no block of it was ever listed or handed out. Made one free block of the
// largest class, in shard 0.
static void
adopt_page(const struct heap_view *hv, uint32_t p)
{
	uint64_t first = (uint64_t)p * UNITS_PER_PAGE;

	__atomic_store_n(&hv->owners[p], (uint32_t)CLASSES, __ATOMIC_RELEASE);
	push(hv, &hv->h->shards[0].head[CLASSES - 1], first, first);
}

// The bits of bitmap word w that mark the start of a block of step units.
static uint64_t
starts_in(uint64_t w, uint64_t step)
{
	uint64_t m = 0;

	if (step > 64)
		return w * 64 % step == 0;
	for (uint64_t i = 0; i < 64; i += step)
		m |= (uint64_t)1 << i;
	return m;
}

// Every block of every claimed page must be allocated or listed, not both;
// unclaimed pages and the inside of blocks must have no bits set. A block
// that is neither, or a claimed page with no owner, is counted in *lost and,
// with repair set, listed again; repair is for a heap at rest only. Works a
// bitmap word (64 units) at a time.
static int
survey_pages(const struct heap_view *hv, const uint64_t *seen, struct shmlab_heap_stats *st, struct lost *lost,
    int repair)
{
	uint32_t claimed = hv->h->next_page < hv->npages ? hv->h->next_page : hv->npages;

	for (uint32_t p = 0; p < hv->npages; p++) {
		uint32_t owner = hv->owners[p], class1 = owner % 256;     // read once: a peer may write it
		uint64_t step;
		if ((p >= claimed && owner != 0) || (owner != 0 && (class1 == 0 || class1 > CLASSES || owner / 256 >= SHARDS)))
			return -1;
		step = owner ? (uint64_t)1 << (class1 - 1) : 1;
		for (uint64_t w = (uint64_t)p * WORDS_PER_PAGE; w < (uint64_t)(p + 1) * WORDS_PER_PAGE; w++) {
			uint64_t used = hv->bits[w], listed = seen[w], starts = owner ? starts_in(w, step) : 0;
			uint64_t missing = starts & ~used & ~listed;    // on no list, handed out to nobody
			if ((used | listed) & ~starts || (used & listed))
				return -1;      // inside a block or a page nobody owns; or handed out and free at once
			st->blocks_allocated += (uint64_t)__builtin_popcountll(used);
			st->blocks_free += (uint64_t)__builtin_popcountll(listed);
			st->bytes_allocated += (uint64_t)__builtin_popcountll(used) * step * UNIT;
			lost->blocks += (uint64_t)__builtin_popcountll(missing);
			for (; repair && missing; missing &= missing - 1) {
				uint64_t u = w * 64 + (uint64_t)__builtin_ctzll(missing);
				push(hv, &hv->h->shards[owner / 256].head[class1 - 1], u, u);
			}
		}
		if (p < claimed && !owner) {
			lost->pages++;
			if (repair)
				adopt_page(hv, p);
		}
		st->pages_used += p < claimed;
	}
	return 0;
}

// Walks the free lists (walk_list), then surveys the pages. Returns 0, or -1
// with errno EPROTO when the heap is damaged in a way no killed process
// explains: a block listed twice or listed while handed out, a cycle.
static int
walk_heap(const struct shmlab_view *v, struct shmlab_heap_stats *st, struct lost *lost, int repair)
{
	struct heap_view hv;
	uint64_t *seen, listed = 0;
	int bad = 0;

	if (open_heap(v, &hv) < 0)
		return -1;
	if ((seen = calloc(hv.units / 64 + 1, sizeof *seen)) == NULL)
		return -1;
	memset(st, 0, sizeof *st);
	*lost = (struct lost){ 0, 0 };
	st->pages = hv.npages;
	for (int s = 0; s < SHARDS && !bad; s++)
		for (int c = 0; c < CLASSES && !bad; c++)
			bad = walk_list(&hv, hv.h->shards[s].head[c], c, seen, &listed) < 0;
	if (!bad)
		bad = survey_pages(&hv, seen, st, lost, 0) < 0;
	if (!bad && repair && (lost->blocks || lost->pages)) {
		struct lost again = { 0, 0 };           // the same walk again, now mending
		memset(st, 0, sizeof *st);
		st->pages = hv.npages;
		survey_pages(&hv, seen, st, &again, 1);
	}
	free(seen);
	if (bad) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int
shmlab_heap_check(const struct shmlab_view *v, struct shmlab_heap_stats *st)
{
	struct lost lost;

	if (walk_heap(v, st, &lost, 0) < 0)
		return -1;
	if (lost.blocks || lost.pages) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int
shmlab_heap_recover(const struct shmlab_view *v, struct shmlab_heap_recovery *rec)
{
	struct shmlab_heap_stats st;
	struct lost lost;

	if (walk_heap(v, &st, &lost, 1) < 0)
		return -1;
	rec->blocks = lost.blocks;
	rec->pages = lost.pages;
	return 0;
}
