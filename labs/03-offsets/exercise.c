// 03-exercise: stacks of records linked by offsets, written by a peer you do
// not trust. Implement sum_stack() so that it adds up every record's amount,
// following the links with shmlab_off_to_ptr(), and returns -1 (without
// crashing and without looping forever) when a link is bad. The peer
// publishes a good stack, one with a link past the end and one that goes
// round in a circle; the scenario passes when sum_stack() gets all three
// right. See the README's "Exercise".
#include "scenario.h"
#include "shmlab.h"

#define RECORDS 200u

// ANCHOR: signature
struct record {
	shmlab_off below;       // the next record down; NULL_OFF at the bottom
	uint32_t amount;
	uint32_t pad;
};

// Adds up the amounts from the record at offset top down to the bottom.
// Returns 0 with the total in *sum, or -1 if a link leaves the region or the
// chain is longer than max records.
static int
sum_stack(const struct shmlab_view *v, shmlab_off top, uint32_t max, uint64_t *sum)
// ANCHOR_END: signature
{
	(void)v;
	(void)top;
	(void)max;
	*sum = 0;
	return 0;               // TODO: follow the links, checking each one
}

// Lays out count records at offset at, each linked to the one before it; the
// first links to bottom. Returns the offset of the top record.
static shmlab_off
lay_stack(const struct shmlab_view *v, shmlab_off at, uint32_t count, shmlab_off bottom)
{
	struct record *r = (struct record *)(v->base + at);
	shmlab_off below = bottom;

	for (uint32_t i = 0; i < count; i++) {
		r[i].below = below;
		r[i].amount = i + 1;
		below = at + (shmlab_off)i * sizeof *r;
	}
	return below;
}

// The peer publishes three stacks: a good one, one whose bottom link
// overlaps the end of the region, and one whose links go round in a circle.
static int
write_stacks(struct worker *w, const struct shmlab_view *v)
{
	shmlab_off good, bad, circle, circle_bottom = SHMLAB_HEADER_SIZE + 8192;
	struct record *first;

	if (shmlab_format(v) < 0)
		return fail(w, "cannot format the region");
	good = lay_stack(v, SHMLAB_HEADER_SIZE, RECORDS, SHMLAB_NULL_OFF);
	bad = lay_stack(v, SHMLAB_HEADER_SIZE + 4096, RECORDS, v->size - 4);
	circle = lay_stack(v, circle_bottom, 3, SHMLAB_NULL_OFF);
	first = (struct record *)(v->base + circle_bottom);
	first->below = circle;          // the bottom record links back to the top
	if (shmlab_root_set(v, "good", good) < 0 || shmlab_root_set(v, "bad", bad) < 0
	    || shmlab_root_set(v, "circle", circle) < 0)
		return fail(w, "cannot publish the roots");
	return 0;
}

static int
check_sums(struct worker *w, const struct shmlab_view *v)
{
	shmlab_off good, bad, circle;
	uint64_t sum = 0;

	if (shmlab_root_get(v, "good", &good) < 0 || shmlab_root_get(v, "bad", &bad) < 0
	    || shmlab_root_get(v, "circle", &circle) < 0)
		return fail(w, "no stack roots in the region");
	if (sum_stack(v, good, RECORDS, &sum) < 0 || sum != RECORDS * (RECORDS + 1) / 2)
		return fail(w, "TODO: sum_stack() of the good stack gave %llu, expected %u",
		    (unsigned long long)sum, RECORDS * (RECORDS + 1) / 2);
	if (sum_stack(v, bad, RECORDS + 1, &sum) == 0)
		return fail(w, "sum_stack() accepted a link that overlaps the end of the region; "
		    "it should return -1");
	if (sum_stack(v, circle, RECORDS, &sum) == 0)
		return fail(w, "sum_stack() went round a circle of links and returned 0; "
		    "it should stop after max records and return -1");
	return 0;
}

const struct scenario lab03_exercise = {
	.name = "03-exercise",
	.summary = "your turn: sum a peer's stack, refusing its bad link",
	.handout = "labs/03-offsets/README.md#exercise",
	.region_size = 65536,
	.prepare = write_stacks,
	.run = check_sums,
};
