// 03-self-relative-fixed: the list linked by self-relative references, each
// the distance from the link itself to the next node. Both ends move together
// when the view moves, so the distance never changes.
#include "../02-raw-pointers/list.h"
#include "scenario.h"
#include "shmlab.h"
#include "shmlab/shared_type.h"

// ANCHOR: layout
struct node {
	shmlab_rel next;        // FIXED: distance from this field to the next node
	uint32_t value;
	uint32_t pad;
};
SHMLAB_SHARED_TYPE(struct node);

struct list_head {
	shmlab_rel first;       // FIXED: distance from this field to the first node
};
SHMLAB_SHARED_TYPE(struct list_head);
// ANCHOR_END: layout

static void *
at_offset(const struct shmlab_view *v, shmlab_off off, uint64_t len)
{
	void *p;

	return shmlab_off_to_ptr(v, off, len, &p) < 0 ? NULL : p;
}

static int
write_list(struct worker *w, const struct shmlab_view *v)
{
	shmlab_off head_at = SHMLAB_HEADER_SIZE;
	struct list_head *head = at_offset(v, head_at, sizeof *head);
	struct node *slots = at_offset(v, head_at + 64, NODES * sizeof *slots);

	if (shmlab_format(v) < 0 || head == NULL || slots == NULL)
		return fail(w, "the region is too small for the list");
	shmlab_rel_set(v, &head->first, NULL);
	for (uint32_t i = NODES; i-- > 0;) {
		struct node *n = &slots[slot_of(i)], *first;
		if (shmlab_rel_get(v, &head->first, sizeof *first, (void **)&first) < 0
		    || shmlab_rel_set(v, &n->next, first) < 0 || shmlab_rel_set(v, &head->first, n) < 0)
			return fail(w, "cannot link node %u", i);
		n->value = i;
	}
	return shmlab_root_set(v, "list", head_at) < 0 ? fail(w, "cannot publish the root") : 0;
}

// ANCHOR: read
static int
read_list(struct worker *w, const struct shmlab_view *v)
{
	const shmlab_rel *link;
	struct list_head *head;
	struct node *n;
	shmlab_off head_at;
	uint32_t expect = 0;

	if (shmlab_check(v) < 0 || shmlab_root_get(v, "list", &head_at) < 0
	    || (head = at_offset(v, head_at, sizeof *head)) == NULL)
		return fail(w, "no list root in the region");
	for (link = &head->first;; link = &n->next, expect++) {
		if (shmlab_rel_get(v, link, sizeof *n, (void **)&n) < 0)
			return fail(w, "link %u leads out of the region", expect);
		if (n == NULL)
			break;
		if (expect == NODES || n->value != expect)
			return fail(w, "node %u holds %u: the links lead somewhere else", expect, n->value);
	}
	return expect == NODES ? 0 : fail(w, "the list ended after %u of %u nodes", expect, NODES);
}
// ANCHOR_END: read

const struct scenario lab03_self_relative_fixed = {
	.name = "03-self-relative-fixed",
	.summary = "the list linked by self-relative references",
	.handout = "labs/03-offsets/README.md#self-relative-references",
	.region_size = 65536,
	.passes_under = ALL_STRATEGIES,
	.tour_under = ONLY(DOUBLE),
	.prepare = write_list,
	.run = read_list,
};
