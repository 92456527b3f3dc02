// 03-unchecked-offset-broken and 03-checked-offset-fixed: an offset read from
// shared memory was written by another process, which may be buggy or
// hostile. Here the writer corrupts one link so it points past the end of the
// region. The unchecked reader adds it to its base and reads whatever lies
// there; the checked reader refuses it and reports the error.
#include "../02-raw-pointers/list.h"
#include "scenario.h"
#include "shmlab.h"
#include "shmlab/shared_type.h"

#define CORRUPT_AT 500u         // the node whose link the bad peer breaks

struct node {
	shmlab_off next;
	uint32_t value;
	uint32_t pad;
};
SHMLAB_SHARED_TYPE(struct node);

static int
write_corrupt_list(struct worker *w, const struct shmlab_view *v)
{
	struct node *slots = (struct node *)(v->base + SHMLAB_HEADER_SIZE);
	shmlab_off head = SHMLAB_NULL_OFF;

	if (shmlab_format(v) < 0)
		return fail(w, "cannot format the region");
	for (uint32_t i = NODES; i-- > 0;) {
		struct node *n = &slots[slot_of(i)];
		n->value = i;
		n->next = i == CORRUPT_AT ? v->size + (16u << 20) : head;     // 16 MiB past the end
		head = SHMLAB_HEADER_SIZE + (shmlab_off)slot_of(i) * sizeof *n;
	}
	return shmlab_root_set(v, "list", head) < 0 ? fail(w, "cannot publish the root") : 0;
}

// ANCHOR: unchecked
static int
unchecked_read(struct worker *w, const struct shmlab_view *v)
{
	shmlab_off at;
	uint32_t expect = 0;

	if (shmlab_root_get(v, "list", &at) < 0)
		return fail(w, "no list root in the region");
	for (; at != SHMLAB_NULL_OFF && expect < NODES; expect++) {
		const struct node *n = (const struct node *)(v->base + at);    // BROKEN: unchecked
		if (n->value != expect)
			return fail(w, "node %u holds %u: read from outside the region", expect, n->value);
		at = n->next;
	}
	return expect == NODES ? 0 : fail(w, "the list ended after %u of %u nodes", expect, NODES);
}
// ANCHOR_END: unchecked

// ANCHOR: checked
static int
checked_read(struct worker *w, const struct shmlab_view *v)
{
	shmlab_off at;
	uint32_t expect = 0;
	struct node *n;

	if (shmlab_root_get(v, "list", &at) < 0)
		return fail(w, "no list root in the region");
	for (; at != SHMLAB_NULL_OFF && expect < NODES; expect++) {
		if (shmlab_off_to_ptr(v, at, sizeof *n, (void **)&n) < 0)
			break;                          // FIXED: refused, not followed
		if (n->value != expect)
			return fail(w, "node %u holds %u", expect, n->value);
		at = n->next;
	}
	// The lesson passes when the bad link is caught exactly where it is.
	if (expect != CORRUPT_AT + 1)
		return fail(w, "expected to refuse the link after node %u; stopped after %u", CORRUPT_AT, expect);
	return 0;
}
// ANCHOR_END: checked

const struct scenario lab03_unchecked_offset_broken = {
	.name = "03-unchecked-offset-broken",
	.summary = "a peer's bad offset followed without a bounds check",
	.handout = "labs/03-offsets/README.md#an-offset-is-input",
	.region_size = 65536,
	.caught_under = ALL_STRATEGIES,
	.prepare = write_corrupt_list,
	.run = unchecked_read,
};

const struct scenario lab03_checked_offset_fixed = {
	.name = "03-checked-offset-fixed",
	.summary = "the same bad offset refused by a bounds check",
	.handout = "labs/03-offsets/README.md#an-offset-is-input",
	.region_size = 65536,
	.passes_under = ALL_STRATEGIES,
	.prepare = write_corrupt_list,
	.run = checked_read,
};
