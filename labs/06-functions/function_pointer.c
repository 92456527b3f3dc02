// 06-function-pointer-broken and 06-other-build-broken: a shape in the
// region carries the function that computes its area, as a pointer. Worker
// 0 stores the address of its square_area; every worker calls through it.
//
// A function's address is a place in one program's code, as loaded in one
// process. Under address randomization each exec'd process loads the same
// program at another address, so the pointer leads nowhere (SIGSEGV at the
// pointer itself). With randomization off it works, by accident, for the
// same program only: another build of the same sources (shmlab-worker-other)
// has other code at that address, and calls it.
#include <stdint.h>

#include "scenario.h"
#include "shapes.h"
#include "shmlab/shared_type.h"

// ANCHOR: layout
struct shape_with_area {
	struct shape shape;
	double (*area)(const struct shape *);   // BROKEN: an address in worker 0's code
};
SHMLAB_SHARED_TYPE(struct shape_with_area);
// ANCHOR_END: layout

static int
store_shape(struct worker *w, const struct shmlab_view *v)
{
	struct shape_with_area *s = (struct shape_with_area *)v->base;

	(void)w;
	s->shape = (struct shape){ .kind = SQUARE, .size = 2.0 };
	s->area = square_area;          // BROKEN: the pointer goes into the region
	return 0;
}

// ANCHOR: call
static int
call_area(struct worker *w, const struct shmlab_view *v)
{
	const struct shape_with_area *s = (const struct shape_with_area *)v->base;
	double (*area)(const struct shape *) = s->area;
	double got = area(&s->shape);   // BROKEN: jumps to worker 0's address in this process

	if (got != 4.0)
		return fail(w, "the area of a 2 x 2 square came out %g: the stored pointer %p is %s in this "
		    "program, not square_area (%p)", got, (void *)(uintptr_t)area, function_name(area),
		    (void *)(uintptr_t)square_area);
	return 0;
}
// ANCHOR_END: call

const struct scenario lab06_function_pointer_broken = {
	.name = "06-function-pointer-broken",
	.summary = "a function pointer stored in the region, called by other processes",
	.handout = "labs/06-functions/README.md#what-goes-wrong",
	.region_size = 65536,
	.flags = NEEDS_ASLR,
	.passes_under = ONLY(FORK),
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.tour_under = ONLY(DISTINCT) | ONLY(FORK),
	.prepare = store_shape,
	.run = call_area,
};

const struct scenario lab06_other_build_broken = {
	.name = "06-other-build-broken",
	.summary = "the same pointer, randomization off, called from another build of the same program",
	.handout = "labs/06-functions/README.md#another-build",
	.region_size = 65536,
	.flags = OTHER_BUILD,
	.passes_under = ONLY(FORK),
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = store_shape,
	.run = call_area,
};
