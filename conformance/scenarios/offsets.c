/*
 * Offsets from the base (offset.h), as lab 03 teaches them.
 *
 * 03-contract-offset-bounds: [off, off+len) must lie inside the view, and
 * the check must not overflow: off == size with len 0 is the end of the view
 * and fine, one byte more is ERANGE, and so is an off + len that wraps past
 * 2^64. A pointer becomes an offset only if it lies inside the view. The
 * pointer an offset gives is this view's base plus the offset: the base of
 * the view passed in, not one remembered from another.
 *
 * 03-contract-null-encoding: 0 encodes NULL both ways, so memory fresh from ftruncate
 * (all zero bytes) holds only NULL references, offsets and self-relative
 * ones alike; offset 0 never resolves to the base, while the base itself
 * converts to offset 0 (plain arithmetic, so NULL_OFF: the header holds no
 * object); and a self-relative field cannot name itself (EINVAL).
 *
 * 03-contract-offsets-across-views: worker 0 builds a list in the region with the
 * allocator, linked by offsets, and publishes it under a root; every worker
 * follows it through each of its views, with every offset checked.
 */
#include <stdio.h>

#include "check.h"

// ---------------------------------------------------------------- bounds

struct span { uint64_t off, len; int ok; };

static int
off_to_ptr_case(struct worker *w, const struct shmlab_view *v, const struct span *c)
{
	char what[120];
	void *p = NULL;

	snprintf(what, sizeof what, "off_to_ptr(off %#llx, len %#llx) in a view of %#llx bytes",
	    (unsigned long long)c->off, (unsigned long long)c->len, (unsigned long long)v->size);
	if (!c->ok)
		return REFUSES(w, ERANGE, w->impl->off_to_ptr(v, c->off, c->len, &p), what);
	if (SUCCEEDS(w, w->impl->off_to_ptr(v, c->off, c->len, &p), what) < 0)
		return -1;
	if (p != v->base + c->off)
		return fail(w, "%s: expected %p (this view's base %p + off), got %p", what,
		    (void *)(v->base + c->off), (void *)v->base, p);
	return 0;
}

static int
ptr_to_off_case(struct worker *w, const struct shmlab_view *v, uintptr_t at, uint64_t len, int ok)
{
	char what[140];
	shmlab_off off = 0;

	snprintf(what, sizeof what, "ptr_to_off(%#lx, len %#llx) in a view at %p of %#llx bytes",
	    (unsigned long)at, (unsigned long long)len, (void *)v->base, (unsigned long long)v->size);
	if (!ok)
		return REFUSES(w, ERANGE, w->impl->ptr_to_off(v, (const void *)at, len, &off), what);
	if (SUCCEEDS(w, w->impl->ptr_to_off(v, (const void *)at, len, &off), what) < 0)
		return -1;
	if (off != at - (uintptr_t)v->base)
		return fail(w, "%s: expected offset %#llx, got %#llx", what,
		    (unsigned long long)(at - (uintptr_t)v->base), (unsigned long long)off);
	return 0;
}

static int
round_trip(struct worker *w, const struct shmlab_view *v, shmlab_off off)
{
	shmlab_off back = 0;
	void *p = NULL;

	if (SUCCEEDS(w, w->impl->off_to_ptr(v, off, 8, &p), "off_to_ptr (round trip)") < 0
	    || SUCCEEDS(w, w->impl->ptr_to_off(v, p, 8, &back), "ptr_to_off (round trip)") < 0)
		return -1;
	if (p != v->base + off || back != off)
		return fail(w, "offset %#llx -> pointer %p -> offset %#llx; expected %p (base %p) and back",
		    (unsigned long long)off, p, (unsigned long long)back, (void *)(v->base + off), (void *)v->base);
	return 0;
}

static int
bounds(struct worker *w, const struct shmlab_view *v)
{
	uint64_t size = v->size;
	const struct span cases[] = {
		{ 0x10, 16, 1 }, { SHMLAB_HEADER_SIZE, 8, 1 }, { size - 1, 1, 1 }, { size, 0, 1 },
		{ 1, size - 1, 1 }, { 0x10, size - 0x10, 1 },
		{ size, 1, 0 }, { size + 1, 0, 0 }, { size - 8, 9, 0 }, { 1, size, 0 }, { 0x10, size - 0xf, 0 },
		{ 8, UINT64_MAX, 0 }, { 8, UINT64_MAX - 7, 0 }, { UINT64_MAX, 1, 0 }, { UINT64_MAX, 0, 0 },
		{ (UINT64_C(1) << 32) + 0x10, 16, 0 }, { UINT64_C(1) << 63, 8, 0 }, { size << 1, 0, 0 },
	};
	uintptr_t base = (uintptr_t)v->base, end = base + (uintptr_t)size;
	uint64_t local = 0;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (off_to_ptr_case(w, v, &cases[i]) < 0)
			return -1;
	if (ptr_to_off_case(w, v, base + 16, 16, 1) < 0 || ptr_to_off_case(w, v, end, 0, 1) < 0
	    || ptr_to_off_case(w, v, end - 8, 8, 1) < 0 || ptr_to_off_case(w, v, base + 1, size - 1, 1) < 0
	    || ptr_to_off_case(w, v, end, 1, 0) < 0 || ptr_to_off_case(w, v, end + 1, 0, 0) < 0
	    || ptr_to_off_case(w, v, end - 8, 9, 0) < 0 || ptr_to_off_case(w, v, base - 1, 0, 0) < 0
	    || ptr_to_off_case(w, v, base - 4096, 16, 0) < 0 || ptr_to_off_case(w, v, base + 16, UINT64_MAX, 0) < 0
	    || ptr_to_off_case(w, v, (uintptr_t)&local, 8, 0) < 0 || ptr_to_off_case(w, v, UINTPTR_MAX, 0, 0) < 0)
		return -1;
	for (uint64_t k = 0; k < 64; k++)
		if (round_trip(w, v, 8 + mix64(w->seed + k) % (size - 16) / 8 * 8) < 0)
			return -1;
	return round_trip(w, v, size - 8);
}

// ---------------------------------------------------------------- NULL

#define SLOT(w)  (SHMLAB_HEADER_SIZE + (uint64_t)((w)->index * 2 + (w)->view) * 64)

// The base itself is offset 0 (contract 1.3): ptr_to_off is p - base for
// every p in the view, so the base gives SHMLAB_NULL_OFF, not ERANGE; the
// round trip of the base is NULL, since no object lives in the header.
static int
base_is_null_off(struct worker *w, const struct shmlab_view *v)
{
	const uint64_t lens[] = { 0, 8, SHMLAB_HEADER_SIZE, v->size };
	shmlab_off off = 1;
	char what[80];

	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		snprintf(what, sizeof what, "ptr_to_off(base, len %#llx)", (unsigned long long)lens[i]);
		if (SUCCEEDS(w, w->impl->ptr_to_off(v, v->base, lens[i], &off), what) < 0)
			return -1;
		if (off != SHMLAB_NULL_OFF)
			return fail(w, "%s: expected offset 0 (SHMLAB_NULL_OFF), got %#llx", what,
			    (unsigned long long)off);
	}
	return REFUSES(w, ERANGE, w->impl->ptr_to_off(v, v->base, v->size + 1, &off),
	    "ptr_to_off(base, len size + 1)");
}

static int
null_offsets(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	// NULL whatever the length, even one no view could hold.
	const uint64_t lens[] = { 0, 8, 16, v->size + 8, UINT64_MAX };
	shmlab_off off = 1;
	void *p = v->base;

	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		if (SUCCEEDS(w, im->ptr_to_off(v, NULL, lens[i], &off), "ptr_to_off(NULL)") < 0)
			return -1;
		if (off != SHMLAB_NULL_OFF)
			return fail(w, "ptr_to_off(NULL, len %llu): expected SHMLAB_NULL_OFF (0), got %#llx",
			    (unsigned long long)lens[i], (unsigned long long)off);
		if (SUCCEEDS(w, im->off_to_ptr(v, SHMLAB_NULL_OFF, lens[i], &p), "off_to_ptr(SHMLAB_NULL_OFF)") < 0)
			return -1;
		if (p != NULL)
			return fail(w, "off_to_ptr(0, len %llu): expected NULL, got %p%s", (unsigned long long)lens[i], p,
			    p == (void *)v->base ? " (the base: offset 0 must encode NULL)" : "");
	}
	return base_is_null_off(w, v);
}

// The second half of the region is never written: every offset and every
// self-relative field in it is a zero, so NULL.
static int
zeros_are_null(struct worker *w, const struct shmlab_view *v)
{
	for (uint64_t at = v->size / 2; at < v->size; at += 8) {
		shmlab_off *off = (shmlab_off *)(v->base + at);
		void *p = v->base, *q = v->base;
		if (*off != 0)
			return fail(w, "offset %#llx of a fresh region holds %#llx, expected 0",
			    (unsigned long long)at, (unsigned long long)*off);
		if (SUCCEEDS(w, w->impl->off_to_ptr(v, *off, 8, &p), "off_to_ptr of a zero offset") < 0
		    || SUCCEEDS(w, w->impl->rel_get(v, (shmlab_rel *)off, 8, &q), "rel_get of a zero field") < 0)
			return -1;
		if (p != NULL || q != NULL)
			return fail(w, "zero bytes at offset %#llx: off_to_ptr gave %p, rel_get gave %p; "
			    "expected NULL from both%s", (unsigned long long)at, p, q,
			    q == (void *)off ? " (rel_get named the field itself)" : "");
	}
	return 0;
}

static int
null_rel(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	shmlab_rel *field = (shmlab_rel *)(v->base + SLOT(w));
	void *p = NULL;

	if (REFUSES(w, EINVAL, im->rel_set(v, field, field), "rel_set of a field to its own address") < 0)
		return -1;
	if (SUCCEEDS(w, im->rel_set(v, field, (char *)field + 1), "rel_set to the next byte") < 0
	    || SUCCEEDS(w, im->rel_get(v, field, 1, &p), "rel_get") < 0)
		return -1;
	if (p != (char *)field + 1)
		return fail(w, "rel_set(field, field + 1) then rel_get gave %p, expected %p", p, (void *)((char *)field + 1));
	if (SUCCEEDS(w, im->rel_set(v, field, NULL), "rel_set(field, NULL)") < 0
	    || SUCCEEDS(w, im->rel_get(v, field, 8, &p), "rel_get of a NULL field") < 0)
		return -1;
	if (*field != 0 || p != NULL)
		return fail(w, "rel_set(field, NULL) stored %lld and rel_get gave %p: expected 0 and NULL",
		    (long long)*field, p);
	return 0;
}

static int
null_encoding(struct worker *w, const struct shmlab_view *v)
{
	if (null_offsets(w, v) < 0 || zeros_are_null(w, v) < 0)
		return -1;
	return null_rel(w, v);
}

// ---------------------------------------------------------------- a list

#define NODES   3000u
#define ROOT    "contract-list"

struct node {
	shmlab_off next;
	uint32_t value;
	uint32_t check;         // derived from the value and the seed
};

static uint32_t
node_check(const struct worker *w, uint32_t value)
{
	return (uint32_t)mix64(w->seed ^ ((uint64_t)value << 20));
}

// Formats the region and makes all of it after the header a heap.
int
contract_heap(struct worker *w, const struct shmlab_view *v)
{
	if (SUCCEEDS(w, w->impl->format(v), "format") < 0)
		return -1;
	return SUCCEEDS(w, w->impl->heap_init(v, SHMLAB_HEADER_SIZE, v->size - SHMLAB_HEADER_SIZE),
	    "heap_init(after the header, to the end)");
}

static int
write_list(struct worker *w, const struct shmlab_view *v)
{
	static shmlab_off at[NODES];
	struct node *n;

	if (contract_heap(w, v) < 0)
		return -1;
	// Allocated in a scattered order, in sizes of several classes.
	for (uint32_t k = 0; k < NODES; k++) {
		uint32_t i = (k * 7919u) % NODES;
		if (SUCCEEDS(w, w->impl->alloc(v, sizeof *n + (i % 4) * 24, 8, &at[i]), "alloc of a list node") < 0)
			return -1;
	}
	for (uint32_t i = 0; i < NODES; i++) {
		if (SUCCEEDS(w, w->impl->off_to_ptr(v, at[i], sizeof *n, (void **)&n),
		    "off_to_ptr of an offset alloc gave") < 0)
			return -1;
		n->next = i + 1 < NODES ? at[i + 1] : SHMLAB_NULL_OFF;
		n->value = i;
		n->check = node_check(w, i);
	}
	return SUCCEEDS(w, w->impl->root_set(v, ROOT, at[0]), "root_set(\"" ROOT "\")");
}

static int
read_list(struct worker *w, const struct shmlab_view *v)
{
	shmlab_off at = SHMLAB_NULL_OFF, back;
	uint32_t expect = 0;
	struct node *n;

	if (SUCCEEDS(w, w->impl->check(v), "check") < 0
	    || SUCCEEDS(w, w->impl->root_get(v, ROOT, &at), "root_get(\"" ROOT "\")") < 0)
		return -1;
	for (; at != SHMLAB_NULL_OFF; expect++) {
		if (expect == NODES)
			return fail(w, "more than %u nodes along the links: a cycle", NODES);
		if (w->impl->off_to_ptr(v, at, sizeof *n, (void **)&n) < 0)
			return fail(w, "node %u: its offset %#llx does not resolve in view %d (base %p, %#llx bytes): %s",
			    expect, (unsigned long long)at, w->view, (void *)v->base,
			    (unsigned long long)v->size, errname(errno));
		if ((unsigned char *)n != v->base + at)
			return fail(w, "node %u: offset %#llx resolved to %p, expected %p (this view's base %p + offset)",
			    expect, (unsigned long long)at, (void *)n, (void *)(v->base + at), (void *)v->base);
		if (n->value != expect || n->check != node_check(w, expect))
			return fail(w, "node at offset %#llx holds value %u (check %#x), expected %u (check %#x)",
			    (unsigned long long)at, n->value, n->check, expect, node_check(w, expect));
		if (SUCCEEDS(w, w->impl->ptr_to_off(v, n, sizeof *n, &back), "ptr_to_off of a node") < 0)
			return -1;
		if (back != at)
			return fail(w, "node %u: pointer %p gave offset %#llx, expected %#llx", expect, (void *)n,
			    (unsigned long long)back, (unsigned long long)at);
		at = __atomic_load_n(&n->next, __ATOMIC_RELAXED);      // read once
	}
	return expect == NODES ? 0 : fail(w, "the list ended after %u of %u nodes", expect, NODES);
}

const struct scenario contract_offset_bounds = {
	.name = "03-contract-offset-bounds",
	.summary = "off_to_ptr and ptr_to_off at the edges: end of view, overflow, outside pointers",
	.handout = "labs/03-offsets/README.md#an-offset-is-input",
	.rule = "offset-bounds",
	.region_size = 65536,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.run = bounds,
};

const struct scenario contract_null_encoding = {
	.name = "03-contract-null-encoding",
	.summary = "0 encodes NULL both ways; zero-filled memory holds only NULL references",
	.handout = "labs/03-offsets/README.md#offsets-from-the-base",
	.rule = "null-encoding",
	.region_size = 65536,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.run = null_encoding,
};

const struct scenario contract_offsets_across_views = {
	.name = "03-contract-offsets-across-views",
	.summary = "a list of allocated nodes linked by offsets, read through every view",
	.handout = "labs/03-offsets/README.md#offsets-from-the-base",
	.rule = "offsets-across-views",
	.region_size = 4 * MiB,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.prepare = write_list,
	.run = read_list,
};
