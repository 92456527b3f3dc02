// 03-exercise: a stack of records linked by offsets, written by a peer you do
// not trust. Implement sum_stack() so that it adds up every record's amount,
// following the links with shmlab_off_to_ptr(), and returns -1 (without
// crashing and without looping forever) when a link is bad. The peer here
// plants one bad link at the bottom of the stack: a correct sum_stack()
// returns -1 there, and the scenario passes. See the README's "Exercise".
#include "scenario.h"
#include "shmlab.h"

#define RECORDS 200u

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
{
	(void)v;
	(void)top;
	(void)max;
	*sum = 0;
	return 0;               // TODO: follow the links, checking each one
}

static int
write_stack(struct worker *w, const struct shmlab_view *v)
{
	struct record *r = (struct record *)(v->base + SHMLAB_HEADER_SIZE);
	shmlab_off below = v->size - 4;     // the bad peer: a link that overlaps the end

	if (shmlab_format(v) < 0)
		return fail(w, "cannot format the region");
	for (uint32_t i = 0; i < RECORDS; i++) {
		r[i].below = below;
		r[i].amount = i + 1;
		below = SHMLAB_HEADER_SIZE + (shmlab_off)i * sizeof *r;
	}
	return shmlab_root_set(v, "stack", below) < 0 ? fail(w, "cannot publish the root") : 0;
}

static int
check_sum(struct worker *w, const struct shmlab_view *v)
{
	shmlab_off top;
	uint64_t sum = 0;

	if (shmlab_root_get(v, "stack", &top) < 0)
		return fail(w, "no stack root in the region");
	if (sum_stack(v, top, RECORDS + 1, &sum) == 0)
		return fail(w, "sum_stack() accepted a link that leaves the region (sum %llu); "
		    "it should return -1", (unsigned long long)sum);
	return 0;
}

const struct scenario lab03_exercise = {
	.name = "03-exercise",
	.summary = "your turn: sum a peer's stack, refusing its bad link",
	.handout = "labs/03-offsets/README.md#exercise",
	.region_size = 65536,
	.prepare = write_stack,
	.run = check_sum,
};
