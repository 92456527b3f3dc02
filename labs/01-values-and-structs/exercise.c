// 01-exercise: a sensor sample shared between a 64-bit writer and a 32-bit
// reader. Rewrite struct sample so that both read the same bytes the same
// way: exact-width types, explicit padding, and static_asserts for its size
// and every offset. The values written and checked must stay as they are.
// The README's "Exercise" section says how to run it.
#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"

struct sample {                 // TODO: pin this layout
	unsigned short sensor;
	bool calibrated;
	long long timestamp;
	unsigned long readings;
	double value;
};

static int
write_sample(struct worker *w, const struct shmlab_view *v)
{
	struct sample *s = (struct sample *)v->base;

	(void)w;
	*s = (struct sample){ .sensor = 7, .calibrated = 1, .timestamp = 1700000000123LL,
	    .readings = 3000000000u, .value = 21.5 };
	return 0;
}

static int
check_sample(struct worker *w, const struct shmlab_view *v)
{
	const struct sample *s = (const struct sample *)v->base;

	if (s->sensor != 7 || !s->calibrated || s->timestamp != 1700000000123LL
	    || s->readings != 3000000000u || s->value != 21.5)
		return fail(w, "read sensor=%u timestamp=%lld readings=%llu value=%g; "
		    "expected 7, 1700000000123, 3000000000, 21.5 (this reader: %zu-byte struct)",
		    (unsigned)s->sensor, (long long)s->timestamp, (unsigned long long)s->readings,
		    s->value, sizeof *s);
	return 0;
}

const struct scenario lab01_exercise = {
	.name = "01-exercise",
	.summary = "your turn: pin the layout of a sensor sample",
	.handout = "labs/01-values-and-structs/README.md#exercise",
	.region_size = 65536,
	.flags = MIXED_ABI,
	.prepare = write_sample,
	.run = check_sample,
};
