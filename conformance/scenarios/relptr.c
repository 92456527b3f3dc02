/*
 * Self-relative references (relptr.h), as lab 03 teaches them.
 *
 * 03-contract-self-relative: worker 0 links a list of allocated nodes with
 * rel_set; every worker follows it with rel_get through each of its views.
 * What is stored is exactly the distance from the field to its target, so
 * the same bytes mean the same node in every view. A value a peer wrote is
 * input: one that points before the base, past the end or anywhere at all
 * (INT64_MIN, INT64_MAX) is ERANGE, never a pointer; so is a field or a
 * target outside the view. One past the end is a target (for 0 bytes).
 */
#include <stdio.h>

#include "check.h"

#define NODES   3000u
#define LIST    "contract-rel-list"
#define SCRATCH "contract-rel-slots"    // SLOT bytes for each worker and view
#define SLOT    64

struct node {
	shmlab_rel next;
	uint32_t value;
	uint32_t check;
};

static uint32_t
node_check(const struct worker *w, uint32_t value)
{
	return (uint32_t)mix64(~w->seed ^ ((uint64_t)value << 24));
}

static int
write_list(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	static struct node *node[NODES];
	shmlab_off at, head = 0, slots;

	if (contract_heap(w, v) < 0)
		return -1;
	for (uint32_t k = 0; k < NODES; k++) {
		uint32_t i = (k * 7919u) % NODES;
		if (SUCCEEDS(w, im->alloc(v, sizeof *node[i] + (i % 3) * 40, 8, &at), "alloc of a list node") < 0
		    || SUCCEEDS(w, im->off_to_ptr(v, at, sizeof *node[i], (void **)&node[i]),
		    "off_to_ptr of an offset alloc gave") < 0)
			return -1;
		if (i == 0)
			head = at;
	}
	for (uint32_t i = 0; i < NODES; i++) {
		node[i]->value = i;
		node[i]->check = node_check(w, i);
		if (SUCCEEDS(w, im->rel_set(v, &node[i]->next, i + 1 < NODES ? node[i + 1] : NULL), "rel_set of a link") < 0)
			return -1;
	}
	if (SUCCEEDS(w, im->alloc(v, 64 * SLOT, 64, &slots), "alloc of the scratch slots") < 0
	    || SUCCEEDS(w, im->root_set(v, SCRATCH, slots), "root_set(\"" SCRATCH "\")") < 0)
		return -1;
	return SUCCEEDS(w, im->root_set(v, LIST, head), "root_set(\"" LIST "\")");
}

// The stored value must be the distance from the field to the target.
static int
distance_is(struct worker *w, const struct shmlab_view *v, const shmlab_rel *field, const void *target)
{
	int64_t want = (int64_t)((const unsigned char *)target - (const unsigned char *)field);
	int64_t got = __atomic_load_n(field, __ATOMIC_RELAXED);

	if (got != want)
		return fail(w, "the field at offset %#llx stores %lld; expected %lld, the distance from the field "
		    "to its target at offset %#llx", (unsigned long long)((const unsigned char *)field - v->base),
		    (long long)got, (long long)want,
		    (unsigned long long)((const unsigned char *)target - v->base));
	return 0;
}

static int
read_list(struct worker *w, const struct shmlab_view *v, struct node **first)
{
	const struct impl *im = w->impl;
	shmlab_off head = 0;
	struct node *n, *next;
	uint32_t expect = 0;

	if (SUCCEEDS(w, im->root_get(v, LIST, &head), "root_get(\"" LIST "\")") < 0
	    || SUCCEEDS(w, im->off_to_ptr(v, head, sizeof *n, (void **)&n), "off_to_ptr of the list root") < 0)
		return -1;
	*first = n;
	for (; n != NULL; n = next, expect++) {
		if (expect == NODES)
			return fail(w, "more than %u nodes along the links: a cycle", NODES);
		if (n->value != expect || n->check != node_check(w, expect))
			return fail(w, "node at offset %#llx holds value %u (check %#x), expected %u (check %#x)",
			    (unsigned long long)((unsigned char *)n - v->base), n->value, n->check, expect,
			    node_check(w, expect));
		if (im->rel_get(v, &n->next, sizeof *n, (void **)&next) < 0)
			return fail(w, "node %u at offset %#llx: rel_get of its link (stored %lld) failed in view %d "
			    "(base %p): %s", expect, (unsigned long long)((unsigned char *)n - v->base),
			    (long long)n->next, w->view, (void *)v->base, errname(errno));
		if (next && distance_is(w, v, &n->next, next) < 0)
			return -1;
	}
	return expect == NODES ? 0 : fail(w, "the list ended after %u of %u nodes", expect, NODES);
}

// A stored value that leads outside the view must be refused.
static int
hostile(struct worker *w, const struct shmlab_view *v, shmlab_rel *field, int64_t value, uint64_t len,
    const char *what)
{
	char call[160];
	void *p = NULL;

	__atomic_store_n(field, value, __ATOMIC_RELAXED);
	snprintf(call, sizeof call, "rel_get of a field holding %lld (%s), len %llu", (long long)value, what,
	    (unsigned long long)len);
	if (REFUSES(w, ERANGE, w->impl->rel_get(v, field, len, &p), call) < 0) {
		if (check_rc == 0)
			return fail(w, "%s: expected -1 with ERANGE, got the pointer %p (view %p, %#llx bytes)", call,
			    p, (void *)v->base, (unsigned long long)v->size);
		return -1;
	}
	return 0;
}

static int
refuses_hostile(struct worker *w, const struct shmlab_view *v, shmlab_rel *field)
{
	int64_t from = (int64_t)((unsigned char *)field - v->base), size = (int64_t)v->size;

	return hostile(w, v, field, INT64_MIN, 8, "INT64_MIN") < 0
	    || hostile(w, v, field, INT64_MAX, 8, "INT64_MAX") < 0
	    || hostile(w, v, field, size - from, 8, "8 bytes at the end of the view") < 0
	    || hostile(w, v, field, size - from + 1, 0, "one past the end") < 0
	    || hostile(w, v, field, size - from - 4, 8, "8 bytes across the end") < 0
	    || hostile(w, v, field, -from - 1, 1, "one byte before the base") < 0
	    || hostile(w, v, field, -from - 4096, 8, "a page before the base") < 0
	    || hostile(w, v, field, INT64_C(1) << 32, 8, "2^32: the field itself, were it truncated to 32 bits") < 0
	    || hostile(w, v, field, -(INT64_C(1) << 40), 8, "far before the base") < 0 ? -1 : 0;
}

// Fields and targets outside the view are refused, by rel_set and rel_get.
static int
refuses_outside(struct worker *w, const struct shmlab_view *v, shmlab_rel *field)
{
	const struct impl *im = w->impl;
	shmlab_rel local = 0;
	void *p = NULL;

	if (REFUSES(w, ERANGE, im->rel_set(v, &local, field), "rel_set of a field outside the view") < 0
	    || REFUSES(w, ERANGE, im->rel_get(v, &local, 8, &p), "rel_get of a field outside the view") < 0
	    || REFUSES(w, ERANGE, im->rel_get(v, (shmlab_rel *)(v->base + v->size - 4), 0, &p),
	    "rel_get of a field across the end of the view") < 0
	    || REFUSES(w, ERANGE, im->rel_set(v, field, &local), "rel_set to a target outside the view") < 0
	    || REFUSES(w, ERANGE, im->rel_set(v, field, v->base + v->size + 4096),
	    "rel_set to a target a page past the end") < 0)
		return -1;
	return 0;
}

// One past the end (contract 1.3) is a target, as in C (C11 6.5.6p8): rel_set
// stores the distance to base + size; rel_get gives it back for 0 bytes and
// refuses any byte there. One more byte is outside the view.
static int
one_past_the_end(struct worker *w, const struct shmlab_view *v, shmlab_rel *field)
{
	const struct impl *im = w->impl;
	unsigned char *end = v->base + v->size;
	int64_t want = (int64_t)(end - (unsigned char *)field);
	void *p = NULL;

	if (SUCCEEDS(w, im->rel_set(v, field, end), "rel_set to one past the end of the view") < 0)
		return -1;
	if (*field != want)
		return fail(w, "rel_set to one past the end stored %lld, expected %lld", (long long)*field,
		    (long long)want);
	if (SUCCEEDS(w, im->rel_get(v, field, 0, &p), "rel_get, len 0, of a field naming one past the end") < 0)
		return -1;
	if (p != end)
		return fail(w, "rel_get, len 0, of a field naming one past the end gave %p, expected %p", p, (void *)end);
	if (REFUSES(w, ERANGE, im->rel_get(v, field, 1, &p), "rel_get, len 1, of a field naming one past the end") < 0
	    || REFUSES(w, ERANGE, im->rel_set(v, field, end + 1), "rel_set to two past the end") < 0)
		return -1;
	return 0;
}

// A field at a view's first byte, and a target there, are inside the view:
// the slot seen as a view of its own, SLOT bytes from the field.
static int
at_the_base(struct worker *w, shmlab_rel *field)
{
	const struct impl *im = w->impl;
	struct shmlab_view slot = { .base = (unsigned char *)field, .size = SLOT };
	shmlab_rel *second = field + 1;
	void *p = NULL;

	if (SUCCEEDS(w, im->rel_set(&slot, field, second), "rel_set of a field at the view's first byte") < 0
	    || SUCCEEDS(w, im->rel_get(&slot, field, sizeof *second, &p), "rel_get of a field at the view's first byte") < 0)
		return -1;
	if (p != second)
		return fail(w, "rel_get of a field at the view's first byte gave %p, expected %p", p, (void *)second);
	if (SUCCEEDS(w, im->rel_set(&slot, second, field), "rel_set to a target at the view's first byte") < 0
	    || SUCCEEDS(w, im->rel_get(&slot, second, 1, &p), "rel_get of a field naming the view's first byte") < 0)
		return -1;
	if (p != field)
		return fail(w, "rel_get of a field naming the view's first byte gave %p, expected %p", p, (void *)field);
	return 0;
}

static int
read_and_probe(struct worker *w, const struct shmlab_view *v)
{
	const struct impl *im = w->impl;
	struct node *first = NULL;
	shmlab_off slots = 0;
	shmlab_rel *field;
	void *p = NULL;

	if (read_list(w, v, &first) < 0)
		return -1;
	if (SUCCEEDS(w, im->root_get(v, SCRATCH, &slots), "root_get(\"" SCRATCH "\")") < 0
	    || SUCCEEDS(w, im->off_to_ptr(v, slots + (uint64_t)(w->index * 2 + w->view) * SLOT, SLOT, (void **)&field),
	    "off_to_ptr of this worker's slot") < 0)
		return -1;
	if (refuses_hostile(w, v, field) < 0 || refuses_outside(w, v, field) < 0 || one_past_the_end(w, v, field) < 0
	    || at_the_base(w, field) < 0)
		return -1;
	// Set in this view, the field names the first node; read back, the same.
	if (SUCCEEDS(w, im->rel_set(v, field, first), "rel_set to the first node") < 0
	    || distance_is(w, v, field, first) < 0
	    || SUCCEEDS(w, im->rel_get(v, field, sizeof *first, &p), "rel_get of the field just set") < 0)
		return -1;
	if (p != first)
		return fail(w, "rel_set(field, %p) then rel_get gave %p", (void *)first, p);
	return 0;
}

const struct scenario contract_self_relative = {
	.name = "03-contract-self-relative",
	.summary = "a list linked by self-relative references, read through every view; hostile values refused",
	.handout = "labs/03-offsets/README.md#self-relative-references",
	.rule = "self-relative",
	.region_size = 4 * MiB,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.prepare = write_list,
	.run = read_and_probe,
};
