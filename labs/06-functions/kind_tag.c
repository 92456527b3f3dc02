// 06-kind-tag-fixed: the region holds what the shape is, a number; each
// process finds the function for that number in a table of its own. The
// table is compiled into every program, so each has its own addresses in it,
// all correct where they are used. The number is input from another process:
// checked against the table before it indexes anything.
//
// It runs with another build as the odd workers and randomization off (the
// setting under which 06-other-build-broken calls the wrong code): a number
// means the same in every build that agrees on the enum.
#include "scenario.h"
#include "shapes.h"

// ANCHOR: dispatch
static double (*const area_of_kind[NKINDS])(const struct shape *) = {
	[SQUARE] = square_area,         // FIXED: this process's own addresses
	[CIRCLE] = circle_area,
};

// Returns 0 with the area in *area, or -1 if kind is not a kind this
// program knows.
static int
shape_area(const struct shape *s, double *area)
{
	uint32_t kind = s->kind;        // read once: another process may change it

	if (kind >= NKINDS)
		return -1;
	*area = area_of_kind[kind](s);
	return 0;
}
// ANCHOR_END: dispatch

static int
store_shape(struct worker *w, const struct shmlab_view *v)
{
	(void)w;
	*(struct shape *)v->base = (struct shape){ .kind = SQUARE, .size = 2.0 };   // FIXED: values only
	return 0;
}

static int
compute_area(struct worker *w, const struct shmlab_view *v)
{
	double got;

	if (shape_area((const struct shape *)v->base, &got) < 0)
		return fail(w, "kind %u is not a shape this program knows", ((const struct shape *)v->base)->kind);
	return got == 4.0 ? 0 : fail(w, "the area of a 2 x 2 square came out %g", got);
}

const struct scenario lab06_kind_tag_fixed = {
	.name = "06-kind-tag-fixed",
	.summary = "the shape's kind stored as a number, dispatched through each process's own table",
	.handout = "labs/06-functions/README.md#the-fix",
	.region_size = 65536,
	.flags = OTHER_BUILD,
	.passes_under = ALL_STRATEGIES,
	.prepare = store_shape,
	.run = compute_area,
};
