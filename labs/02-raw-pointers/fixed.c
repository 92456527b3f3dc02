// 02-index-links-fixed: the same list, each link the index of the next node
// in the region's array. An index counts nodes from the start of the array,
// so it means the same thing in every view: the first, simplest offset.
#include "list.h"
#include "scenario.h"
#include "shmlab/shared_type.h"

#define END UINT32_MAX          // "no next node"; never a valid index

// ANCHOR: layout
struct node {
	uint32_t next;          // FIXED: which slot, not where in memory
	uint32_t value;
};
SHMLAB_SHARED_TYPE(struct node);

struct shared_list {
	uint32_t head;
	uint32_t pad;
	struct node slots[NODES];
};
SHMLAB_SHARED_TYPE(struct shared_list);
// ANCHOR_END: layout

static int
write_list(struct worker *w, const struct shmlab_view *v)
{
	struct shared_list *list = (struct shared_list *)v->base;

	(void)w;
	list->head = END;
	for (uint32_t i = NODES; i-- > 0;) {
		uint32_t s = slot_of(i);
		list->slots[s].value = i;
		list->slots[s].next = list->head;
		list->head = s;
	}
	return 0;
}

// ANCHOR: read
static int
read_list(struct worker *w, const struct shmlab_view *v)
{
	const struct shared_list *list = (const struct shared_list *)v->base;
	uint32_t expect = 0;

	for (uint32_t s = list->head; s != END; s = list->slots[s].next, expect++) {
		if (s >= NODES || expect == NODES)     // an index is checked like any input
			return fail(w, "link %u is not a slot of the array", s);
		if (list->slots[s].value != expect)
			return fail(w, "slot %u holds %u, expected %u", s, list->slots[s].value, expect);
	}
	if (expect != NODES)
		return fail(w, "the list ended after %u of %u nodes", expect, NODES);
	return 0;
}
// ANCHOR_END: read

const struct scenario lab02_index_links_fixed = {
	.name = "02-index-links-fixed",
	.summary = "the same list linked by array indexes: survives any mapping address",
	.handout = "labs/02-raw-pointers/README.md#the-fix",
	.region_size = 65536,
	.passes_under = ALL_STRATEGIES,
	.prepare = write_list,
	.run = read_list,
};
