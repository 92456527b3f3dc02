// 06-vtable-broken: an "object" with virtual functions, laid out as C++
// compilers lay one out (the Itanium C++ ABI, section 2.5): a hidden first
// member, the vtable pointer, holds the address of a table of function
// pointers in the program's read-only data. The class's author never
// wrote a pointer, yet the object carries one.
//
// Worker 0 builds the object in the region; every worker makes the virtual
// call. In another process the vtable pointer leads into nothing: SIGSEGV
// at the table's address, before any function is called.
#include "scenario.h"
#include "shapes.h"
#include "shmlab/shared_type.h"

// ANCHOR: layout
struct shape_object {
	const struct shape_vtable *vptr;        // BROKEN: hidden in C++, an address all the same
	struct shape shape;
};
SHMLAB_SHARED_TYPE(struct shape_object);

static const struct shape_vtable square_vtable = { square_area };
// ANCHOR_END: layout

static int
construct(struct worker *w, const struct shmlab_view *v)
{
	struct shape_object *o = (struct shape_object *)v->base;

	(void)w;
	// What `new (region) Square(2.0)` does: store the vtable pointer first.
	*o = (struct shape_object){ .vptr = &square_vtable, .shape = { .kind = SQUARE, .size = 2.0 } };
	return 0;
}

// ANCHOR: call
static int
virtual_call(struct worker *w, const struct shmlab_view *v)
{
	const struct shape_object *o = (const struct shape_object *)v->base;
	double got = o->vptr->area(&o->shape);  // BROKEN: what `o->area()` compiles to

	return got == 4.0 ? 0 : fail(w, "the area of a 2 x 2 square came out %g", got);
}
// ANCHOR_END: call

const struct scenario lab06_vtable_broken = {
	.name = "06-vtable-broken",
	.summary = "an object with a hidden vtable pointer, built in the region",
	.handout = "labs/06-functions/README.md#hidden-pointers",
	.region_size = 65536,
	.flags = NEEDS_ASLR,
	.passes_under = ONLY(FORK),
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = construct,
	.run = virtual_call,
};
