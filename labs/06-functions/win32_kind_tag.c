// 06-dll-kind-tag-fixed (Win32): lab 06's fix with the functions in a DLL.
// The region holds what the shape is, a number; each process fills its
// table of area functions from its own copy of the DLL, by the functions'
// names, and dispatches on the number. The number means the same in every
// build that agrees on enum shape_kind, wherever each loader put its copy.
//
// It runs under the settings that broke the pointers: worker 0 loads
// shapes.dll as it is, the odd workers take its preferred range first (the
// loader moves it), the other even workers load shapes-rebuilt.dll, linked
// at another base. The kind is input from another process: checked
// against the table before it indexes anything.
#include "win32_shapes.h"

// ANCHOR: table
static const char *const name_of_kind[NKINDS] = { [SQUARE] = "square_area", [CIRCLE] = "circle_area" };
static double (*area_of_kind[NKINDS])(const struct shape *);    // FIXED: this process's own copy's

static int
fill_table(struct worker *w, HMODULE dll)
{
	for (int k = 0; k < NKINDS; k++)
		if ((area_of_kind[k] = shapes_function(dll, name_of_kind[k])) == NULL)
			return fail(w, "this process's copy of the shapes DLL exports no %s", name_of_kind[k]);
	return 0;
}
// ANCHOR_END: table

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

static int
store_shape(struct worker *w, const struct shmlab_view *v)
{
	(void)w;
	*(struct shape *)v->base = (struct shape){ .kind = SQUARE, .size = 2.0 };   // FIXED: values only
	return 0;
}

static enum placement
placement_of(const struct worker *w)
{
	return w->index == 0 ? AT_ITS_BASE : w->index % 2 ? RELOCATED : REBUILT;
}

static int
compute_area(struct worker *w, const struct shmlab_view *v)
{
	HMODULE dll = load_shapes(w, placement_of(w));
	double got;

	if (dll == NULL || fill_table(w, dll) < 0)
		return -1;
	if (shape_area((const struct shape *)v->base, &got) < 0)
		return fail(w, "kind %u is not a shape this program knows", ((const struct shape *)v->base)->kind);
	return got == 4.0 ? 0 : fail(w, "the area of a 2 x 2 square came out %g", got);
}

const struct scenario lab06_dll_kind_tag_fixed = {
	.name = "06-dll-kind-tag-fixed",
	.summary = "the shape's kind as a number, dispatched through a table filled from each process's copy of the DLL",
	.handout = "labs/06-functions/README.md#the-fix-on-windows",
	.region_size = 65536,
	.passes_under = ALL_STRATEGIES,
	.dll = SHAPES_DLL,
	.prepare = store_shape,
	.run = compute_area,
};
