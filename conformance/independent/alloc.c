/*
 * A segregated-fit allocator with boundary tags, under the region's lock.
 *
 * The heap [start, start + len) holds a bitmap, then the arena: blocks laid
 * end to end. A block is an 8-byte tag, its payload, and the same tag again
 * at its end (the footer), so a freed block finds both neighbours in O(1)
 * and merges with those that are free: no two free blocks are ever
 * adjacent. A tag is the block's size (a multiple of 16, at least
 * MIN_BLOCK) with bit 0 set while the block is allocated. Blocks start at
 * 8 mod 16, so every payload is 16-aligned relative to the region; a larger
 * alignment is had by splitting a free fragment off the front.
 *
 * Free blocks are on one of IND_BINS doubly linked lists, by the power of
 * two of their size; the links (next, prev: block offsets, 0 = none) live in
 * the free payload, the heads in the header. alloc walks the lists from the
 * class of the request up and takes the first block that fits (first fit);
 * what is left over is split off as a free block of its own.
 *
 * The bitmap has one bit per 16 bytes of the arena, set exactly for the
 * blocks handed out. free() trusts nothing else: an offset whose bit is
 * clear (never handed out, inside a block, freed already) is EINVAL, and
 * nothing in the region is followed to decide that.
 *
 * Concurrency and crashes: every call runs under the one lock (lock.c).
 * Each call first checks everything it will touch (the geometry, the block,
 * its neighbours and their links), then sets `busy`, rewrites, clears it.
 * A process killed between the two leaves `busy` set; the next holder sees
 * it and marks the heap damaged: every later alloc and free says EPROTO,
 * nobody hangs and nothing half-written is handed out. Corruption found by
 * the checks (a peer scribbled over the blocks) is EPROTO too.
 */
#include <errno.h>
#include <string.h>

#include "layout.h"

#define UNIT            16u
#define MIN_BLOCK       32u     // tag, 16 bytes of payload (room for the links), footer
#define OVERHEAD        16u     // tag and footer
#define USED            UINT64_C(1)
#define EXACT_LIMIT     (MIN_BLOCK + UNIT * IND_EXACT)  // 432: sizes below have a list each
#define FIRST_LOOKS     16u     // blocks of the request's own list looked at before larger lists

struct heap {
	const struct shmlab_view *v;
	struct ind_header *h;
	uint64_t bitmap, start, end;    // checked against the view (geometry_ok)
	uint64_t steps;                 // list steps left in this call: a cycle ends, not loops
};


static uint64_t
round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static uint64_t *
word(const struct heap *hp, uint64_t off)
{
	return (uint64_t *)(void *)(hp->v->base + off);
}

// The list of a free block of this size: one size each below EXACT_LIMIT,
// then one per power of two.
static unsigned
bin_of(uint64_t size)
{
	unsigned k = IND_EXACT;

	if (size < EXACT_LIMIT)
		return size < MIN_BLOCK ? 0 : (unsigned)((size - MIN_BLOCK) / UNIT);
	for (size >>= 9; size && k < IND_BINS - 1; size >>= 1)
		k++;
	return k;
}

static uint64_t
bitmap_bytes(uint64_t arena)
{
	return round_up(arena / UNIT / 8 + 1, 8);
}

static int
fail(int e)
{
	errno = e;
	return -1;
}

// Reads the geometry once and checks it against the view.
static int
geometry_ok(struct heap *hp)
{
	struct ind_header *h = hp->h;
	uint64_t bm = h->bitmap, s = h->arena_start, e = h->arena_end, size = hp->v->size;

	if (bm < SHMLAB_HEADER_SIZE || bm % 8 || bm >= s || s % UNIT != 8 || e % UNIT != 8 || s >= e || e > size
	    || s - bm < bitmap_bytes(e - s))
		return fail(EPROTO);
	hp->bitmap = bm, hp->start = s, hp->end = e;
	hp->steps = (e - s) / MIN_BLOCK + IND_BINS + FIRST_LOOKS;
	return 0;
}

// Under the lock: a heap that is ready and whole, or EPROTO.
static int
enter(struct heap *hp, const struct shmlab_view *v, struct ind_header *h)
{
	hp->v = v, hp->h = h;
	if (__atomic_load_n(&h->heap_state, __ATOMIC_ACQUIRE) != HEAP_READY)
		return fail(EPROTO);
	if (h->busy) {          // the last holder died mid-change
		__atomic_store_n(&h->heap_state, HEAP_DAMAGED, __ATOMIC_RELEASE);
		return fail(EPROTO);
	}
	return geometry_ok(hp);
}

// The tag of the block at b if it is one (in the arena, its footer agreeing),
// else 0.
static uint64_t
tag_of(const struct heap *hp, uint64_t b)
{
	uint64_t tag, size;

	if (b < hp->start || b >= hp->end || (b - hp->start) % UNIT)
		return 0;
	tag = *word(hp, b);
	size = tag & ~(uint64_t)(UNIT - 1);
	if ((tag & (UNIT - 1) & ~USED) || size < MIN_BLOCK || size > hp->end - b || *word(hp, b + size - 8) != tag)
		return 0;
	return tag;
}

static int
bit(const struct heap *hp, uint64_t b)
{
	uint64_t i = (b - hp->start) / UNIT;

	return hp->v->base[hp->bitmap + i / 8] >> (i % 8) & 1;
}

static void
set_bit(const struct heap *hp, uint64_t b, int on)
{
	uint64_t i = (b - hp->start) / UNIT;
	unsigned char *byte = &hp->v->base[hp->bitmap + i / 8];

	*byte = (unsigned char)(on ? *byte | 1u << (i % 8) : *byte & ~(1u << (i % 8)));
}

// Checks that b is a free block and that its neighbours on its list link
// back to it, before anything changes.
static int
linked_ok(const struct heap *hp, uint64_t b)
{
	uint64_t tag = tag_of(hp, b), next, prev;

	if (tag == 0 || (tag & USED))
		return fail(EPROTO);
	next = *word(hp, b + 8);
	prev = *word(hp, b + 16);
	if (next && (!tag_of(hp, next) || (tag_of(hp, next) & USED) || *word(hp, next + 16) != b))
		return fail(EPROTO);
	if (prev ? !tag_of(hp, prev) || (tag_of(hp, prev) & USED) || *word(hp, prev + 8) != b
	         : hp->h->bin[bin_of(tag)] != b)
		return fail(EPROTO);
	return 0;
}

// Whether a block could start at b: what a link must be before it is
// written through (a peer may scribble between a check and its use).
static int
in_arena(const struct heap *hp, uint64_t b)
{
	return b >= hp->start && b < hp->end && hp->end - b >= MIN_BLOCK && (b - hp->start) % UNIT == 0;
}

// Takes the free block b of size size (linked_ok) off its list. Its links
// are read now, not when it was checked, since an unlink in between may have
// changed them; each is read once and written through only if it lies in
// the arena.
static void
unlink_block(const struct heap *hp, uint64_t b, uint64_t size)
{
	uint64_t next = *word(hp, b + 8), prev = *word(hp, b + 16);

	if (prev && in_arena(hp, prev))
		*word(hp, prev + 8) = next;
	else if (!prev)
		hp->h->bin[bin_of(size)] = next;
	if (next && in_arena(hp, next))
		*word(hp, next + 16) = prev;
}

static void
write_block(const struct heap *hp, uint64_t b, uint64_t tag)
{
	*word(hp, b) = tag;
	*word(hp, b + (tag & ~USED) - 8) = tag;
}

// Makes [b, b + size) a free block at the head of its list. The head, if
// any, is a free block: every list holds only those (linked_ok checks).
static void
push_free(const struct heap *hp, uint64_t b, uint64_t size)
{
	shmlab_off *head = &hp->h->bin[bin_of(size)];
	uint64_t first = *head;

	if (first && !in_arena(hp, first))
		first = 0;      // a scribbled head: the list is lost, nothing is written through it
	write_block(hp, b, size);
	*word(hp, b + 8) = first;
	*word(hp, b + 16) = 0;
	if (first)
		*word(hp, first + 16) = b;
	*head = b;
}

struct fit { uint64_t free_block, free_size, block, size; };

// Where a block of payload need aligned to a could go in the free block f
// of size fs: 0 and *fit, or -1.
static int
fits(uint64_t f, uint64_t fs, uint64_t need, uint64_t a, struct fit *fit)
{
	uint64_t payload = round_up(f + 8, a), lead, rest;

	if (payload != f + 8 && payload - (f + 8) < MIN_BLOCK)
		payload = round_up(f + 8 + MIN_BLOCK, a);       // room for a free fragment in front
	lead = payload - 8 - f;
	if (lead > fs || fs - lead < need + OVERHEAD)
		return -1;
	rest = fs - lead - need - OVERHEAD;
	*fit = (struct fit){ f, fs, payload - 8, rest >= MIN_BLOCK ? need + OVERHEAD : fs - lead };
	return 0;
}

// The first block of list k where the request fits, looking at most at
// *looks blocks (each checked); ENOMEM when none of those fit.
static int
first_fit(struct heap *hp, unsigned k, uint64_t need, uint64_t a, uint64_t looks, struct fit *fit)
{
	for (uint64_t f = hp->h->bin[k]; f && looks--; f = *word(hp, f + 8)) {
		uint64_t tag = tag_of(hp, f);
		if (hp->steps-- == 0 || tag == 0 || (tag & USED))
			return fail(EPROTO);
		if (fits(f, tag, need, a, fit) == 0)
			return 0;
	}
	return fail(ENOMEM);
}

// Segregated fit: a few blocks of the request's own list (where every block
// fits, up to EXACT_LIMIT and for alignments up to 16), then the first block
// of a larger list that fits, then the rest of the own list. A list of
// fragments too small for the request is so walked once, not every time.
static int
find_fit(struct heap *hp, uint64_t need, uint64_t a, struct fit *fit)
{
	unsigned own = bin_of(need + OVERHEAD);
	int rc;

	if ((rc = first_fit(hp, own, need, a, FIRST_LOOKS, fit)) == 0 || errno != ENOMEM)
		return rc;
	for (unsigned k = own + 1; k < IND_BINS; k++)
		if ((rc = first_fit(hp, k, need, a, UINT64_MAX, fit)) == 0 || errno != ENOMEM)
			return rc;
	return first_fit(hp, own, need, a, UINT64_MAX, fit);
}

static int
take(struct heap *hp, uint64_t need, uint64_t a, shmlab_off *off)
{
	struct fit fit;
	uint64_t lead, tail;

	if (find_fit(hp, need, a, &fit) < 0 || linked_ok(hp, fit.free_block) < 0)
		return -1;
	lead = fit.block - fit.free_block;
	tail = fit.free_size - lead - fit.size;
	hp->h->busy = 1;
	unlink_block(hp, fit.free_block, fit.free_size);
	if (lead)
		push_free(hp, fit.free_block, lead);
	if (tail)
		push_free(hp, fit.block + fit.size, tail);
	write_block(hp, fit.block, fit.size | USED);
	set_bit(hp, fit.block, 1);
	__atomic_store_n(&hp->h->busy, 0, __ATOMIC_RELEASE);
	*off = fit.block + 8;
	return 0;
}

// Gives the block at b back, merged with its free neighbours.
static int
give_back(struct heap *hp, uint64_t b)
{
	uint64_t tag = tag_of(hp, b), size = tag & ~USED, next = b + size, next_size = 0, prev_size = 0;

	if (tag == 0 || !(tag & USED))
		return fail(EPROTO);    // the bitmap says handed out; the tags disagree
	if (next < hp->end && !((next_size = tag_of(hp, next)) & USED)) {
		if (next_size == 0 || linked_ok(hp, next) < 0)
			return fail(EPROTO);
	} else
		next_size = 0;
	if (b > hp->start && !((prev_size = *word(hp, b - 8)) & USED)) {
		if (prev_size > b - hp->start || tag_of(hp, b - prev_size) != prev_size || linked_ok(hp, b - prev_size) < 0)
			return fail(EPROTO);
	} else
		prev_size = 0;
	hp->h->busy = 1;
	set_bit(hp, b, 0);
	if (next_size)
		unlink_block(hp, next, next_size);
	if (prev_size)
		unlink_block(hp, b - prev_size, prev_size);
	push_free(hp, b - prev_size, prev_size + size + next_size);
	__atomic_store_n(&hp->h->busy, 0, __ATOMIC_RELEASE);
	return 0;
}

// The arena of [start, start + len): *as, *ae, and the bitmap at *bm.
static int
layout_of(uint64_t start, uint64_t len, uint64_t *bm, uint64_t *as, uint64_t *ae)
{
	uint64_t end = start + len;

	*bm = round_up(start, 8);
	if (end < *bm + 64)
		return fail(ENOSPC);
	*as = round_up(*bm + bitmap_bytes(end - *bm), UNIT) + 8;
	if (*as > end || end - *as < SHMLAB_ALLOC_MAX + OVERHEAD)
		return fail(ENOSPC);
	*ae = *as + ((end - *as) & ~(uint64_t)(UNIT - 1));
	return 0;
}

int
shmlab_heap_init(const struct shmlab_view *v, shmlab_off start, uint64_t len)
{
	struct ind_header *h = ind_header_of(v);
	struct heap hp = { .v = v, .h = h };
	uint64_t bm, as, ae;
	int rc = -1;

	if (h == NULL || ind_lock(&h->lock) < 0)
		return -1;
	if (__atomic_load_n(&h->heap_state, __ATOMIC_ACQUIRE) != HEAP_NONE)
		errno = EEXIST;
	else if (start < SHMLAB_HEADER_SIZE || start > v->size || len > v->size - start)
		errno = ERANGE;
	else if (layout_of(start, len, &bm, &as, &ae) == 0) {
		memset(v->base + bm, 0, as - bm);
		memset(h->bin, 0, sizeof h->bin);
		hp.bitmap = bm, hp.start = as, hp.end = ae;
		push_free(&hp, as, ae - as);
		h->bitmap = bm, h->arena_start = as, h->arena_end = ae, h->busy = 0;
		__atomic_store_n(&h->heap_state, HEAP_READY, __ATOMIC_RELEASE);
		rc = 0;
	}
	ind_unlock(&h->lock);
	return rc;
}

// The header of a view with a heap, or NULL with errno EPROTO.
static struct ind_header *
heap_header(const struct shmlab_view *v)
{
	struct ind_header *h = ind_header_of(v);

	if (h && __atomic_load_n(&h->heap_state, __ATOMIC_ACQUIRE) != HEAP_READY) {
		errno = EPROTO;
		return NULL;
	}
	return h;
}

int
shmlab_alloc(const struct shmlab_view *v, uint64_t size, uint64_t align, shmlab_off *off)
{
	struct ind_header *h;
	struct heap hp;
	int rc;

	if (size == 0 || size > SHMLAB_ALLOC_MAX || align == 0 || (align & (align - 1)) || align > SHMLAB_ALLOC_ALIGN)
		return fail(EINVAL);
	if ((h = heap_header(v)) == NULL || ind_lock(&h->lock) < 0)
		return -1;
	rc = enter(&hp, v, h) < 0 ? -1 : take(&hp, round_up(size, UNIT), align < UNIT ? UNIT : align, off);
	ind_unlock(&h->lock);
	return rc;
}

int
shmlab_free(const struct shmlab_view *v, shmlab_off off)
{
	struct ind_header *h;
	struct heap hp;
	int rc = -1;

	if ((h = heap_header(v)) == NULL || ind_lock(&h->lock) < 0)
		return -1;
	if (enter(&hp, v, h) == 0) {
		if (off < hp.start + 8 || off >= hp.end || (off - 8 - hp.start) % UNIT || !bit(&hp, off - 8))
			errno = EINVAL;
		else
			rc = give_back(&hp, off - 8);
	}
	ind_unlock(&h->lock);
	return rc;
}
