// 03-offsets-fixed: the list of lab 02, linked by offsets from the region's
// base, through the reference library. The reader finds the list by a named
// root and turns each offset into a pointer only after checking it.
#include "../02-raw-pointers/list.h"
#include "scenario.h"
#include "shmlab.h"
#include "shmlab/shared_type.h"

// ANCHOR: layout
struct node {
	shmlab_off next;        // FIXED: bytes from the start of the region
	uint32_t value;
	uint32_t pad;
};
// ANCHOR_END: layout
SHMLAB_SHARED_TYPE(struct node);

static shmlab_off
slot_offset(uint32_t slot)
{
	return SHMLAB_HEADER_SIZE + (shmlab_off)slot * sizeof(struct node);
}

// ANCHOR: write
static int
write_list(struct worker *w, const struct shmlab_view *v)
{
	shmlab_off head = SHMLAB_NULL_OFF;
	struct node *n;

	if (shmlab_format(v) < 0)
		return fail(w, "cannot format the region");
	for (uint32_t i = NODES; i-- > 0;) {
		shmlab_off at = slot_offset(slot_of(i));
		if (shmlab_off_to_ptr(v, at, sizeof *n, (void **)&n) < 0)
			return fail(w, "slot %u does not fit the region", slot_of(i));
		n->value = i;
		n->next = head;
		head = at;
	}
	return shmlab_root_set(v, "list", head) < 0 ? fail(w, "cannot publish the root") : 0;
}
// ANCHOR_END: write

// ANCHOR: read
static int
read_list(struct worker *w, const struct shmlab_view *v)
{
	shmlab_off at;
	uint32_t expect = 0;
	struct node *n;

	if (shmlab_check(v) < 0 || shmlab_root_get(v, "list", &at) < 0)
		return fail(w, "no list root in the region");
	for (; at != SHMLAB_NULL_OFF; at = n->next, expect++) {
		if (expect == NODES)
			return fail(w, "more than %u nodes: the links form a cycle", NODES);
		if (shmlab_off_to_ptr(v, at, sizeof *n, (void **)&n) < 0)
			return fail(w, "offset %#llx leaves the region", (unsigned long long)at);
		if (n->value != expect)
			return fail(w, "node at offset %#llx holds %u, expected %u",
			    (unsigned long long)at, n->value, expect);
	}
	return expect == NODES ? 0 : fail(w, "the list ended after %u of %u nodes", expect, NODES);
}
// ANCHOR_END: read

const struct scenario lab03_offsets_fixed = {
	.name = "03-offsets-fixed",
	.summary = "the list linked by checked offsets from the base",
	.handout = "labs/03-offsets/README.md#offsets-from-the-base",
	.region_size = 65536,
	.passes_under = ALL_STRATEGIES,
	.prepare = write_list,
	.run = read_list,
};
