// 02-heap-pointers-broken: the region holds only the head of a list whose
// nodes live on the writer's private heap. No other process can see that
// heap, whatever address its view of the region has.
#include <stdlib.h>

#include "list.h"
#include "scenario.h"
#include "shmlab/shared_type.h"

// ANCHOR: layout
struct node {
	struct node *next;      // BROKEN: an address in the writer's own heap
	uint32_t value;
};
SHMLAB_SHARED_TYPE(struct node);

struct shared_list {
	struct node *head;      // BROKEN: the same
};
SHMLAB_SHARED_TYPE(struct shared_list);
// ANCHOR_END: layout

static struct node *heap_nodes;    // kept reachable: the writer never frees them

// ANCHOR: write
static int
write_list(struct worker *w, const struct shmlab_view *v)
{
	struct shared_list *list = (struct shared_list *)v->base;

	heap_nodes = calloc(NODES, sizeof *heap_nodes);
	if (heap_nodes == NULL)
		return fail(w, "out of memory");
	list->head = NULL;
	for (uint32_t i = NODES; i-- > 0;) {
		struct node *n = &heap_nodes[slot_of(i)];
		n->value = i;
		n->next = list->head;
		list->head = n;
	}
	return 0;
}
// ANCHOR_END: write

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

const struct scenario lab02_heap_pointers_broken = {
	.name = "02-heap-pointers-broken",
	.summary = "the region points at nodes on the writer's private heap",
	.handout = "labs/02-raw-pointers/README.md#pointers-to-private-memory",
	.region_size = 65536,
	.passes_under = ONLY(FORK),
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = write_list,
	.run = read_list,
};
