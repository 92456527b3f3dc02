// 05-gdi-handle-broken and 05-gdi-description-fixed (Win32): a GDI object
// is not a user object. "GDI objects are private: only the process that
// created the object can use the object handle" (Microsoft docs, "GDI
// Objects"). Worker 0 makes a brush and stores its handle; each reader has
// made a brush of its own first, as any program drawing anything has, and
// its first brush gets the same value worker 0's did. So the stored value
// names the reader's own brush: the wrong colour, and no error.
//
// The fix stores what the brush is (its colour) and lets every process make
// its own.
#include "win32_names.h"

#define WORKER0_COLOR RGB(0x12, 0x34, 0x56)
#define READER_COLOR  RGB(0x99, 0x99, 0x99)

static int
make_brush(struct worker *w, const struct shmlab_view *v)
{
	struct names *n = (struct names *)v->base;
	HBRUSH brush = CreateSolidBrush(WORKER0_COLOR);

	if (brush == NULL)
		return fail(w, "CreateSolidBrush: error %lu", (unsigned long)GetLastError());
	n->brush = (uint32_t)(uintptr_t)brush;  // BROKEN: a GDI handle, worker 0's alone
	n->color = WORKER0_COLOR;               // FIXED: what it looks like
	return 0;
}

// Each reader's own brush, made once, as a program that draws has.
static void
own_brush(struct worker *w)
{
	static HBRUSH mine;

	if (w->index != 0 && mine == NULL)
		mine = CreateSolidBrush(READER_COLOR);
}

// ANCHOR: use
static int
use_stored_brush(struct worker *w, const struct shmlab_view *v)
{
	const struct names *n = (const struct names *)v->base;
	HBRUSH brush = (HBRUSH)(intptr_t)(int32_t)n->brush;    // BROKEN: a number from another process
	LOGBRUSH lb = { 0 };

	own_brush(w);
	if (GetObjectA(brush, sizeof lb, &lb) != sizeof lb)
		return fail(w, "brush %#x is no brush in this process (GetObject: error %lu): GDI handles "
		    "are private to their process", n->brush, (unsigned long)GetLastError());
	if (lb.lbColor != n->color)
		return fail(w, "brush %#x in this process is colour %06lx, not worker 0's %06lx: it names "
		    "this process's own brush", n->brush, (unsigned long)lb.lbColor, (unsigned long)n->color);
	return 0;
}
// ANCHOR_END: use

// ANCHOR: remake
static int
remake_brush(struct worker *w, const struct shmlab_view *v)
{
	const struct names *n = (const struct names *)v->base;
	HBRUSH brush = CreateSolidBrush(n->color);     // FIXED: this process's own brush
	LOGBRUSH lb = { 0 };
	int ok;

	own_brush(w);
	ok = brush && GetObjectA(brush, sizeof lb, &lb) == sizeof lb && lb.lbColor == n->color;
	DeleteObject(brush);
	return ok ? 0 : fail(w, "cannot make a brush of colour %06lx", (unsigned long)n->color);
}
// ANCHOR_END: remake

const struct scenario lab05_gdi_handle_broken = {
	.name = "05-gdi-handle-broken",
	.summary = "a GDI brush handle stored in the region",
	.handout = "labs/05-global-names/README.md#gdi-handles-do-not-travel",
	.region_size = 65536,
	.passes_under = 0,
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = make_brush,
	.run = use_stored_brush,
};

const struct scenario lab05_gdi_description_fixed = {
	.name = "05-gdi-description-fixed",
	.summary = "the brush's colour stored in the region; each process makes its own brush",
	.handout = "labs/05-global-names/README.md#gdi-handles-do-not-travel",
	.region_size = 65536,
	.passes_under = ALL_STRATEGIES,
	.prepare = make_brush,
	.run = remake_brush,
};
