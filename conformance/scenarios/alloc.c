/*
 * The allocator (alloc.h), one process at a time.
 *
 * 03-contract-alloc-basic: worker 0 checks, before the others start, the
 * errors of heap_init (EPROTO in a region never formatted, -1 exactly; the
 * empty range at the region's end is inside it, so ENOSPC, not ERANGE), that
 * every size from 1 to SHMLAB_ALLOC_MAX and every alignment up to
 * SHMLAB_ALLOC_ALIGN is honoured (the offset and the pointer both aligned),
 * that live blocks never overlap (each is filled with a tag and checked
 * again later), that a freed block can be had again, and that what was not
 * handed out is refused with EINVAL: a double free, an offset inside a block
 * or never allocated, a size of 0 or over the maximum. A full heap says
 * ENOMEM and damages nothing, and once everything is freed, as many blocks
 * fit again: none was lost. Every worker then reads the blocks left
 * allocated through each of its views.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

#define MAXBLOCKS 4096
#define TABLE   "contract-blocks"

struct block {
	shmlab_off off;
	uint64_t size;
	uint64_t tag;           // what the block is filled with (byte_of)
};

static struct block live[MAXBLOCKS];
static int nlive;

static unsigned char
byte_of(const struct block *b, uint64_t i)
{
	return (unsigned char)(b->tag + i * 7);
}

static int
tag_block(struct worker *w, const struct shmlab_view *v, struct block *b, uint64_t tag)
{
	unsigned char *p;

	b->tag = tag;
	if (SUCCEEDS(w, w->impl->off_to_ptr(v, b->off, b->size, (void **)&p),
	    "off_to_ptr of a block alloc handed out") < 0)
		return -1;
	for (uint64_t i = 0; i < b->size; i++)
		p[i] = byte_of(b, i);
	return 0;
}

static int
tag_intact(struct worker *w, const struct shmlab_view *v, const struct block *b)
{
	unsigned char *p;

	if (SUCCEEDS(w, w->impl->off_to_ptr(v, b->off, b->size, (void **)&p), "off_to_ptr of a live block") < 0)
		return -1;
	for (uint64_t i = 0; i < b->size; i++)
		if (p[i] != byte_of(b, i))
			return fail(w, "byte %llu of the %llu-byte block at offset %#llx is %#x, expected %#x: something "
			    "else was given the same memory", (unsigned long long)i, (unsigned long long)b->size,
			    (unsigned long long)b->off, p[i], byte_of(b, i));
	return 0;
}

static int
by_offset(const void *a, const void *b)
{
	const struct block *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

// No two of the n blocks overlap, and every one is intact (sorts them).
static int
no_overlap(struct worker *w, const struct shmlab_view *v, struct block *b, int n)
{
	qsort(b, (size_t)n, sizeof *b, by_offset);
	for (int i = 0; i < n; i++) {
		if (i > 0 && b[i - 1].off + b[i - 1].size > b[i].off)
			return fail(w, "live blocks overlap: [%#llx, +%llu) and [%#llx, +%llu)",
			    (unsigned long long)b[i - 1].off, (unsigned long long)b[i - 1].size,
			    (unsigned long long)b[i].off, (unsigned long long)b[i].size);
		if (tag_intact(w, v, &b[i]) < 0)
			return -1;
	}
	return 0;
}

static int
allocate(struct worker *w, const struct shmlab_view *v, uint64_t size, uint64_t align, struct block *b)
{
	char what[80];
	void *p;

	snprintf(what, sizeof what, "alloc(size %llu, align %llu)", (unsigned long long)size, (unsigned long long)align);
	b->size = size;
	if (SUCCEEDS(w, w->impl->alloc(v, size, align, &b->off), what) < 0)
		return -1;
	if (b->off < SHMLAB_HEADER_SIZE || b->off > v->size || size > v->size - b->off)
		return fail(w, "%s gave offset %#llx: the block is not inside the heap [%#x, %#llx)", what,
		    (unsigned long long)b->off, SHMLAB_HEADER_SIZE, (unsigned long long)v->size);
	if (SUCCEEDS(w, w->impl->off_to_ptr(v, b->off, size, &p), "off_to_ptr of a new block") < 0)
		return -1;
	if (b->off % align || (uintptr_t)p % align)
		return fail(w, "%s gave offset %#llx, pointer %p: not aligned to %llu", what,
		    (unsigned long long)b->off, p, (unsigned long long)align);
	return 0;
}

static int
no_heap_yet(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	shmlab_off off;

	if (REFUSES(w, EPROTO, im->alloc(v, 16, 8, &off), "alloc in a region never formatted") < 0
	    || REFUSES(w, EPROTO, im->free(v, 4096), "free in a region never formatted") < 0
	    || REFUSES(w, EPROTO, im->heap_init(v, SHMLAB_HEADER_SIZE, v->size - SHMLAB_HEADER_SIZE),
	    "heap_init in a region never formatted") < 0
	    || SUCCEEDS(w, im->format(v), "format") < 0
	    || REFUSES(w, EPROTO, im->alloc(v, 16, 8, &off), "alloc before heap_init") < 0
	    || REFUSES(w, EPROTO, im->free(v, 4096), "free before heap_init") < 0
	    || REFUSES(w, ERANGE, im->heap_init(v, v->size - 4096, 8192), "heap_init past the end") < 0
	    || REFUSES(w, ENOSPC, im->heap_init(v, SHMLAB_HEADER_SIZE, 1024), "heap_init of 1024 bytes") < 0
	    || REFUSES(w, ENOSPC, im->heap_init(v, v->size, 0), "heap_init of the empty range at the end") < 0
	    || SUCCEEDS(w, im->heap_init(v, SHMLAB_HEADER_SIZE, v->size - SHMLAB_HEADER_SIZE), "heap_init") < 0
	    || REFUSES(w, EEXIST, im->heap_init(v, SHMLAB_HEADER_SIZE, v->size - SHMLAB_HEADER_SIZE),
	    "heap_init a second time") < 0)
		return -1;
	return 0;
}

static int
bad_requests(struct worker *w, const struct shmlab_view *v)
{
	static const uint64_t sizes[] = { 0, SHMLAB_ALLOC_MAX + 1, UINT64_MAX };
	static const uint64_t aligns[] = { 0, 3, 24, SHMLAB_ALLOC_ALIGN * 2, UINT64_C(1) << 63 };
	char what[80];
	shmlab_off off;

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		snprintf(what, sizeof what, "alloc(size %llu)", (unsigned long long)sizes[i]);
		if (REFUSES(w, EINVAL, w->impl->alloc(v, sizes[i], 8, &off), what) < 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
		snprintf(what, sizeof what, "alloc(size 16, align %llu)", (unsigned long long)aligns[i]);
		if (REFUSES(w, EINVAL, w->impl->alloc(v, 16, aligns[i], &off), what) < 0)
			return -1;
	}
	return 0;
}

// Sizes 1 to 17, then around every power of two up to the maximum.
static int
next_size(int k, uint64_t *size)
{
	if (k < 17) {
		*size = (uint64_t)k + 1;
		return 1;
	}
	k -= 17;
	*size = (UINT64_C(32) << k / 3) + (uint64_t)(k % 3) - 1;
	return *size <= SHMLAB_ALLOC_MAX;
}

static int
every_size_and_alignment(struct worker *w, const struct shmlab_view *v)
{
	uint64_t size;

	for (int k = 0; next_size(k, &size); k++)
		for (uint64_t align = 1; align <= SHMLAB_ALLOC_ALIGN; align *= 2) {
			struct block *b = &live[nlive];
			if (nlive == MAXBLOCKS / 2)
				return fail(w, "too many blocks for this scenario's table");
			if (allocate(w, v, size, align, b) < 0 || tag_block(w, v, b, mix64(w->seed ^ (uint64_t)nlive)) < 0)
				return -1;
			nlive++;
		}
	return no_overlap(w, v, live, nlive);
}

// Frees every other block (a second free of each is EINVAL), then allocates
// the same sizes again.
static int
free_and_reuse(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	char what[80];

	for (int i = 0; i < nlive; i += 2) {
		snprintf(what, sizeof what, "free of the block at %#llx", (unsigned long long)live[i].off);
		if (SUCCEEDS(w, im->free(v, live[i].off), what) < 0)
			return -1;
		snprintf(what, sizeof what, "a second free of the block at %#llx", (unsigned long long)live[i].off);
		if (REFUSES(w, EINVAL, im->free(v, live[i].off), what) < 0)
			return -1;
	}
	for (int i = 0; i < nlive; i += 2)
		if (allocate(w, v, live[i].size, 8, &live[i]) < 0 || tag_block(w, v, &live[i], ~live[i].tag) < 0)
			return -1;
	return no_overlap(w, v, live, nlive);
}

static int
is_live(shmlab_off off)
{
	for (int i = 0; i < nlive; i++)
		if (live[i].off == off)
			return 1;
	return 0;
}

// Offsets that were never handed out: inside live blocks, in the header,
// at the end, past the end.
static int
bad_frees(struct worker *w, const struct shmlab_view *v)
{
	shmlab_off bad[64];
	char what[80];
	int n = 0;

	for (int i = 0; i < nlive && n < 48; i += 7)
		if (live[i].size >= 32) {
			bad[n++] = live[i].off + 8;
			bad[n++] = live[i].off + 16;
		}
	bad[n++] = 0x10;
	bad[n++] = SHMLAB_HEADER_SIZE - 16;
	bad[n++] = v->size - 16;
	bad[n++] = v->size;
	bad[n++] = v->size + SHMLAB_ALLOC_MAX;
	bad[n++] = UINT64_MAX - 15;
	for (int i = 0; i < n; i++) {
		if (is_live(bad[i]))
			continue;
		snprintf(what, sizeof what, "free(%#llx), never handed out", (unsigned long long)bad[i]);
		if (REFUSES(w, EINVAL, w->impl->free(v, bad[i]), what) < 0)
			return -1;
	}
	return no_overlap(w, v, live, nlive);
}

// A thousand rounds of alloc and free of the largest block: a free that
// kept the block would run the heap out of memory.
static int
churn(struct worker *w, const struct shmlab_view *v)
{
	shmlab_off off;

	for (int i = 0; i < 1000; i++)
		if (SUCCEEDS(w, w->impl->alloc(v, SHMLAB_ALLOC_MAX, 8, &off), "alloc of a block just freed again") < 0
		    || SUCCEEDS(w, w->impl->free(v, off), "free") < 0)
			return -1;
	return 0;
}

// Allocates the largest blocks until ENOMEM; returns how many, or -1.
static int
fill_heap(struct worker *w, const struct shmlab_view *v, struct block *b)
{
	int n = 0, most = (int)(v->size / SHMLAB_ALLOC_MAX);

	for (;; n++) {
		b[n].size = SHMLAB_ALLOC_MAX;
		errno = 0;
		if (w->impl->alloc(v, SHMLAB_ALLOC_MAX, 8, &b[n].off) < 0)
			break;
		if (n == most || nlive + n >= MAXBLOCKS - 1)
			return fail(w, "alloc handed out %d blocks of %u bytes from a region of %llu bytes", n + 1,
			    SHMLAB_ALLOC_MAX, (unsigned long long)v->size);
		if (tag_block(w, v, &b[n], mix64(w->seed + 77 + (uint64_t)n)) < 0)
			return -1;
	}
	if (errno != ENOMEM)
		return fail(w, "alloc in a full heap (after %d blocks of %u bytes): expected ENOMEM, got %s", n,
		    SHMLAB_ALLOC_MAX, errname(errno));
	return n;
}

static int
exhaustion(struct worker *w, const struct shmlab_view *v)
{
	int first, again, total, largest = 0;

	if ((first = fill_heap(w, v, &live[nlive])) < 0 || no_overlap(w, v, live, nlive + first) < 0)
		return -1;
	// Frees every block of the largest size, those of the earlier checks too.
	total = nlive + first;
	nlive = 0;
	for (int i = 0; i < total; i++) {
		if (live[i].size != SHMLAB_ALLOC_MAX)
			live[nlive++] = live[i];
		else if (largest++, SUCCEEDS(w, w->impl->free(v, live[i].off), "free of a block of a full heap") < 0)
			return -1;
	}
	if ((again = fill_heap(w, v, &live[nlive])) < 0)
		return -1;
	if (again < largest)
		return fail(w, "%d blocks of %u bytes were live in a full heap; after freeing them, only %d fit: "
		    "blocks were lost", largest, SHMLAB_ALLOC_MAX, again);
	for (int i = 0; i < again; i++)
		if (SUCCEEDS(w, w->impl->free(v, live[nlive + i].off), "free") < 0)
			return -1;
	return no_overlap(w, v, live, nlive);
}

// Publishes the blocks left allocated, for the other workers to read.
static int
publish(struct worker *w, const struct shmlab_view *v)
{
	struct block *table;
	shmlab_off at;

	if (SUCCEEDS(w, w->impl->alloc(v, (uint64_t)(nlive + 1) * sizeof *table, 8, &at), "alloc of the table") < 0
	    || SUCCEEDS(w, w->impl->off_to_ptr(v, at, (uint64_t)(nlive + 1) * sizeof *table, (void **)&table),
	    "off_to_ptr of the table") < 0)
		return -1;
	table[0] = (struct block){ .size = (uint64_t)nlive };
	for (int i = 0; i < nlive; i++)
		table[i + 1] = live[i];
	return SUCCEEDS(w, w->impl->root_set(v, TABLE, at), "root_set(\"" TABLE "\")");
}

static int
basic(struct worker *w, const struct shmlab_view *v)
{
	if (no_heap_yet(w, v) < 0 || bad_requests(w, v) < 0 || every_size_and_alignment(w, v) < 0
	    || free_and_reuse(w, v) < 0 || bad_frees(w, v) < 0 || churn(w, v) < 0 || exhaustion(w, v) < 0)
		return -1;
	return publish(w, v);
}

static int
read_blocks(struct worker *w, const struct shmlab_view *v)
{
	struct block *table;
	shmlab_off at;
	uint64_t n;

	if (SUCCEEDS(w, w->impl->root_get(v, TABLE, &at), "root_get(\"" TABLE "\")") < 0
	    || SUCCEEDS(w, w->impl->off_to_ptr(v, at, sizeof *table, (void **)&table), "off_to_ptr of the table") < 0)
		return -1;
	n = table[0].size;
	if (n > MAXBLOCKS || SUCCEEDS(w, w->impl->off_to_ptr(v, at, (n + 1) * sizeof *table, (void **)&table),
	    "off_to_ptr of the whole table") < 0)
		return n > MAXBLOCKS ? fail(w, "the table says %llu blocks", (unsigned long long)n) : -1;
	for (uint64_t i = 1; i <= n; i++)
		if (tag_intact(w, v, &table[i]) < 0)
			return -1;
	return 0;
}

const struct scenario contract_alloc_basic = {
	.name = "03-contract-alloc-basic",
	.summary = "every size and alignment, no overlap, EINVAL for what was not handed out, ENOMEM, nothing lost",
	.handout = "labs/03-offsets/README.md#exercise",
	.rule = "alloc-basic",
	.region_size = 16 * MiB,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.prepare = basic,
	.run = read_blocks,
};
