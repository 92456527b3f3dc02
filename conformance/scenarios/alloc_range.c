/*
 * A heap keeps to the range it was given (alloc.h: heap_init makes
 * [start, start + len) a heap).
 *
 * 03-contract-heap-range: worker 0 makes a heap of each range of the table
 * below in turn, in a region wiped (all zero, as fresh from ftruncate) and
 * formatted again for each: starts one byte past a multiple of 128, odd, 8
 * past one; lengths that are no multiple of anything; a range to the
 * region's end, one in its middle. Before heap_init it fills the range with
 * a non-zero byte, since heap_init must work whatever the range held, and
 * the rest of the region after the header with a canary. Then:
 *
 *   - a block of SHMLAB_ALLOC_MAX: a range this long is not too small for
 *     one page, so heap_init did not say ENOSPC and the block is there;
 *   - with that one block live, free of every other multiple of 8 in the
 *     region, 8 up to its size, is refused with EINVAL: inside the block,
 *     in the heap's own bookkeeping, on memory never handed out, at the
 *     range's end, outside the range;
 *   - blocks of several sizes, one of each in turn, until every size says
 *     ENOMEM: each inside the range and aligned, and filled with a tag;
 *   - every other block freed; the rest still hold their tags, and the
 *     canary is intact: the heap wrote nothing outside its range.
 *
 * Every worker then finds the canary around the last range intact through
 * each of its views. Nothing depends on the seed or on any layout: which
 * heaps these ranges give is the library's business.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

#define SIZE     (1024u << 10)
#define PAGE     SHMLAB_ALLOC_MAX
#define FILL     0xa5           // what a range holds before heap_init
#define MAXB     (SIZE / 16)    // more blocks than any range can hold

struct range {
	shmlab_off start;
	uint64_t len;
};

static const struct range ranges[] = {
	{ SHMLAB_HEADER_SIZE + 1, SIZE - SHMLAB_HEADER_SIZE - 1 - 77 },
	{ SHMLAB_HEADER_SIZE + 129, 5 * PAGE + 1000 },
	{ SHMLAB_HEADER_SIZE + 8, 3 * PAGE + 4104 },
	{ SIZE / 2 + 24, SIZE / 2 - 24 - 520 },
	{ 3 * PAGE - 1, 4 * PAGE + 3 },
	{ 2 * PAGE + 4096 + 200, 6 * PAGE + 40 },
};

#define NRANGES (sizeof ranges / sizeof ranges[0])

static const uint64_t sizes[] = { 16, 48, 200, 1000, 4096, 20000, PAGE };

#define NSIZES (sizeof sizes / sizeof sizes[0])

struct block {
	shmlab_off off;
	uint64_t size;
};

static struct block blocks[MAXB];
static int nblocks;

static unsigned char
canary(uint64_t at)
{
	return (unsigned char)(at * 7 + 0x11) | 1;     // never 0: zeroing shows
}

static unsigned char
tag(shmlab_off off, uint64_t i)
{
	return (unsigned char)(off * 13 + i * 7 + 1);
}

static int
outside(const struct range *r, uint64_t at)
{
	return at < r->start || at - r->start >= r->len;
}

// Zeroes the region, formats it, fills the range and the canary around it.
static int
fresh_region(struct worker *w, const struct shmlab_view *v, const struct range *r)
{
	memset(v->base, 0, v->size);
	if (SUCCEEDS(w, w->impl->format(v), "format") < 0)
		return -1;
	for (uint64_t at = SHMLAB_HEADER_SIZE; at < v->size; at++)
		v->base[at] = outside(r, at) ? canary(at) : FILL;
	return 0;
}

static int
canary_intact(struct worker *w, const struct shmlab_view *v, const struct range *r)
{
	for (uint64_t at = SHMLAB_HEADER_SIZE; at < v->size; at++)
		if (outside(r, at) && v->base[at] != canary(at))
			return fail(w, "heap of [%#llx, %#llx): the byte at %#llx, outside it, is %#x, expected %#x: the "
			    "heap wrote outside its range", (unsigned long long)r->start,
			    (unsigned long long)(r->start + r->len), (unsigned long long)at, v->base[at], canary(at));
	return 0;
}

// Allocates one block of size; 1 if the heap is full (ENOMEM), 0, or -1.
static int
allocate(struct worker *w, const struct shmlab_view *v, const struct range *r, uint64_t size)
{
	struct block *b = &blocks[nblocks];
	char what[96];
	void *p;
	int rc;

	snprintf(what, sizeof what, "heap of [%#llx, %#llx): alloc(%llu)", (unsigned long long)r->start,
	    (unsigned long long)(r->start + r->len), (unsigned long long)size);
	errno = 0;
	if ((rc = w->impl->alloc(v, size, 8, &b->off)) == -1 && errno == ENOMEM)
		return 1;
	if (succeeded(w, rc, errno, what) < 0)
		return -1;
	if (outside(r, b->off) || size > r->start + r->len - b->off || b->off % 8)
		return fail(w, "%s gave offset %#llx: the block is not inside the range, or not aligned", what,
		    (unsigned long long)b->off);
	if (nblocks == MAXB - 1)
		return fail(w, "%s: more blocks than fit in the range", what);
	if (SUCCEEDS(w, w->impl->off_to_ptr(v, b->off, size, &p), "off_to_ptr of a new block") < 0)
		return -1;
	b->size = size;
	for (uint64_t i = 0; i < size; i++)
		v->base[b->off + i] = tag(b->off, i);
	nblocks++;
	return 0;
}

// With blocks[0] the only block live, every other offset is refused.
static int
no_other_block(struct worker *w, const struct shmlab_view *v, const struct range *r)
{
	char what[96];

	for (shmlab_off off = 8; off <= v->size; off += 8) {
		if (off == blocks[0].off)
			continue;
		errno = 0;
		check_rc = w->impl->free(v, off);
		if (check_rc != -1 || errno != EINVAL) {
			snprintf(what, sizeof what, "heap of [%#llx, %#llx) with one block, at %#llx: free(%#llx)",
			    (unsigned long long)r->start, (unsigned long long)(r->start + r->len),
			    (unsigned long long)blocks[0].off, (unsigned long long)off);
			return refused(w, check_rc, errno, EINVAL, what);
		}
	}
	return 0;
}

// One block of each size in turn, until each says ENOMEM.
static int
fill(struct worker *w, const struct shmlab_view *v, const struct range *r)
{
	int full[NSIZES] = { 0 }, left = (int)NSIZES;

	while (left > 0)
		for (size_t k = 0; k < NSIZES; k++) {
			int rc = full[k] ? 0 : allocate(w, v, r, sizes[k]);
			if (rc < 0)
				return -1;
			if (rc == 1)
				full[k] = 1, left--;
		}
	return 0;
}

static int
every_other_freed(struct worker *w, const struct shmlab_view *v)
{
	for (int i = 1; i < nblocks; i += 2)
		if (SUCCEEDS(w, w->impl->free(v, blocks[i].off), "free of a block of a full heap") < 0)
			return -1;
	for (int i = 0; i < nblocks; i += 2)
		for (uint64_t k = 0; k < blocks[i].size; k++)
			if (v->base[blocks[i].off + k] != tag(blocks[i].off, k))
				return fail(w, "byte %llu of the live block at %#llx (%llu bytes) changed",
				    (unsigned long long)k, (unsigned long long)blocks[i].off,
				    (unsigned long long)blocks[i].size);
	return 0;
}

static int
one_range(struct worker *w, const struct shmlab_view *v, const struct range *r)
{
	char what[96];

	snprintf(what, sizeof what, "heap_init(%#llx, %llu) of a range filled with %#x", (unsigned long long)r->start,
	    (unsigned long long)r->len, FILL);
	nblocks = 0;
	if (fresh_region(w, v, r) < 0 || SUCCEEDS(w, w->impl->heap_init(v, r->start, r->len), what) < 0)
		return -1;
	switch (allocate(w, v, r, PAGE)) {
	case 1:
		return fail(w, "%s: alloc(%u) said ENOMEM: the range holds a page", what, PAGE);
	case -1:
		return -1;
	}
	if (no_other_block(w, v, r) < 0 || fill(w, v, r) < 0 || every_other_freed(w, v) < 0)
		return -1;
	return canary_intact(w, v, r);
}

static int
every_range(struct worker *w, const struct shmlab_view *v)
{
	for (size_t i = 0; i < NRANGES; i++)
		if (one_range(w, v, &ranges[i]) < 0)
			return -1;
	return 0;
}

static int
canary_seen(struct worker *w, const struct shmlab_view *v)
{
	return canary_intact(w, v, &ranges[NRANGES - 1]);
}

const struct scenario contract_heap_range = {
	.name = "03-contract-heap-range",
	.summary = "a heap uses only the range it was given, whatever it held, at any start and length",
	.handout = "labs/03-offsets/README.md#exercise",
	.rule = "heap-range",
	.region_size = SIZE,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.prepare = every_range,
	.run = canary_seen,
};
