// 02-region-pointers-broken: a list that lives entirely in the region, linked
// by pointers into the region. The nodes are shared; the links are not,
// because an address means something only in the view that produced it.
#include <stddef.h>

#include "list.h"
#include "scenario.h"
#include "shmlab/shared_type.h"

// ANCHOR: layout
struct node {
	struct node *next;      // BROKEN: an address inside the writer's view
	uint32_t value;
};
SHMLAB_SHARED_TYPE(struct node);

struct shared_list {
	struct node *head;      // BROKEN: the same
	struct node slots[NODES];
};
SHMLAB_SHARED_TYPE(struct shared_list);
// ANCHOR_END: layout

// ANCHOR: write
static int
write_list(struct worker *w, const struct shmlab_view *v)
{
	struct shared_list *list = (struct shared_list *)v->base;

	(void)w;
	list->head = NULL;
	for (uint32_t i = NODES; i-- > 0;) {        // push in reverse: reads 0, 1, 2...
		struct node *n = &list->slots[slot_of(i)];
		n->value = i;
		n->next = list->head;
		list->head = n;
	}
	return 0;
}
// ANCHOR_END: write

// ANCHOR: read
static int
read_list(struct worker *w, const struct shmlab_view *v)
{
	const struct shared_list *list = (const struct shared_list *)v->base;
	uint32_t expect = 0;

	for (const struct node *n = list->head; n != NULL; n = n->next, expect++)
		if (expect == NODES || n->value != expect)
			return fail(w, "the node after %u holds %u: the links lead somewhere else", expect, n->value);
	if (expect != NODES)
		return fail(w, "the list ended after %u of %u nodes", expect, NODES);
	return 0;
}
// ANCHOR_END: read

const struct scenario lab02_region_pointers_broken = {
	.name = "02-region-pointers-broken",
	.summary = "a list in the region linked by raw pointers into the region",
	.handout = "labs/02-raw-pointers/README.md#pointers-into-the-region",
	.region_size = 65536,
	.passes_under = ONLY(FORK) | ONLY(SAME),
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE),
	.tour_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(FORK) | ONLY(SAME),
	.prepare = write_list,
	.run = read_list,
};
