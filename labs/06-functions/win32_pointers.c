// Lab 06 on Windows: worker 0 stores a function pointer and a vtable
// pointer (struct plugin_shape), every worker calls through both.
//
//   06-exe-pointers-hidden    into the .exe: worker 0's own square_area and
//                             a vtable in its data
//   06-dll-pointers-hidden    into shapes.dll, which every worker loads
//   06-relocated-dll-broken   the odd workers take shapes.dll's preferred
//                             range first, so their loader moves it
//   06-rebuilt-dll-broken     the odd workers load shapes-rebuilt.dll, the
//                             same sources linked at another base
//
// The first two pass under Wine: Wine 8 loads an .exe and a DLL at their
// preferred bases when the range is free (measured), so every worker has
// its code where worker 0 has it. That is the bug hidden, not absent:
// Windows moves an .exe at each load, and a DLL at each boot or when its
// range is taken (Windows Internals, "Address Space Layout
// Randomization"; labs/06-functions/README.md, "On Windows"). The last two
// are what Windows does on another day, made to happen here: the stored
// pointers lead into worker 0's copy of shapes.dll, which is not in the
// odd workers' address space: an access violation there.
#include <stdint.h>

#include "win32_shapes.h"

static const struct shape_vtable exe_square_vtable = { square_area };    // in the .exe's data

static int
store_exe_pointers(struct worker *w, const struct shmlab_view *v)
{
	(void)w;
	*(struct plugin_shape *)v->base = (struct plugin_shape){ .vptr = &exe_square_vtable,
		.shape = { .kind = SQUARE, .size = 2.0 }, .area = square_area };
	return 0;
}

// ANCHOR: store
static int
store_dll_pointers(struct worker *w, const struct shmlab_view *v)
{
	HMODULE dll = load_shapes(w, AT_ITS_BASE);
	struct plugin_shape *s = (struct plugin_shape *)v->base;

	if (dll == NULL)
		return -1;
	s->vptr = shapes_vtable(dll, "square_vtable");          // BROKEN: what `new Square` stores
	s->shape = (struct shape){ .kind = SQUARE, .size = 2.0 };
	s->area = shapes_function(dll, "square_area");          // BROKEN: an address in worker 0's copy
	return s->vptr && s->area ? 0 : fail(w, "shapes.dll exports no square_area or square_vtable");
}
// ANCHOR_END: store

// ANCHOR: call
static int
call_both(struct worker *w, const struct shmlab_view *v)
{
	const struct plugin_shape *s = (const struct plugin_shape *)v->base;
	double by_pointer = s->area(&s->shape);         // BROKEN: jumps to worker 0's address
	double by_vtable = s->vptr->area(&s->shape);    // BROKEN: what `s->area()` compiles to

	if (by_pointer != 4.0 || by_vtable != 4.0)
		return fail(w, "the area of a 2 x 2 square came out %g through the pointer, %g through the "
		    "vtable", by_pointer, by_vtable);
	return 0;
}
// ANCHOR_END: call

// Each worker loads its copy first, as a program that uses the DLL has.
static int
load_and_call(struct worker *w, const struct shmlab_view *v, enum placement how)
{
	return load_shapes(w, how) ? call_both(w, v) : -1;
}

static int
call_at_its_base(struct worker *w, const struct shmlab_view *v)
{
	return load_and_call(w, v, AT_ITS_BASE);
}

static int
call_relocated(struct worker *w, const struct shmlab_view *v)
{
	return load_and_call(w, v, w->index % 2 ? RELOCATED : AT_ITS_BASE);
}

static int
call_rebuilt(struct worker *w, const struct shmlab_view *v)
{
	return load_and_call(w, v, w->index % 2 ? REBUILT : AT_ITS_BASE);
}

// The predictions of the first two are Wine 8's, measured: they pass
// because it hides the bug. Windows would catch the first at once, and the
// second after a reboot (a DLL's base is chosen once per boot).
const struct scenario lab06_exe_pointers_hidden = {
	.name = "06-exe-pointers-hidden",
	.summary = "a function pointer and a vtable pointer into the .exe, called by other processes",
	.handout = "labs/06-functions/README.md#on-windows-where-the-bug-hides",
	.region_size = 65536,
	.passes_under = ALL_STRATEGIES,
	.prepare = store_exe_pointers,
	.run = call_both,
};

const struct scenario lab06_dll_pointers_hidden = {
	.name = "06-dll-pointers-hidden",
	.summary = "a function pointer and a vtable pointer into shapes.dll, called by other processes",
	.handout = "labs/06-functions/README.md#on-windows-where-the-bug-hides",
	.region_size = 65536,
	.passes_under = ALL_STRATEGIES,
	.dll = SHAPES_DLL,
	.prepare = store_dll_pointers,
	.run = call_at_its_base,
};

const struct scenario lab06_relocated_dll_broken = {
	.name = "06-relocated-dll-broken",
	.summary = "the same pointers, called where the loader had to move shapes.dll",
	.handout = "labs/06-functions/README.md#making-it-show",
	.region_size = 65536,
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.dll = SHAPES_DLL,
	.prepare = store_dll_pointers,
	.run = call_relocated,
};

const struct scenario lab06_rebuilt_dll_broken = {
	.name = "06-rebuilt-dll-broken",
	.summary = "the same pointers, called where a rebuild of shapes.dll, linked at another base, is loaded",
	.handout = "labs/06-functions/README.md#making-it-show",
	.region_size = 65536,
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.dll = SHAPES_DLL,
	.prepare = store_dll_pointers,
	.run = call_rebuilt,
};
