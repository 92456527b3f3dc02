/*
 * The address map of a run as SVG: one bar a worker (its address space, low
 * addresses left), a box where each of its views of the region lies, and a
 * red mark where a fault landed, joined to the view it fell in. The scale is
 * linear between the lowest and highest address of interest, with a minimum
 * width for boxes so that a 64 KiB region is visible in a 100 TiB span.
 */
#include <stdio.h>

#include "report.h"

#define WIDTH 900
#define LEFT 150
#define ROW 56

static uintptr_t lo, hi;

static double
x_of(uintptr_t a)
{
	return LEFT + (double)(a - lo) / (double)(hi - lo) * (WIDTH - LEFT - 20);
}

static void
span(const struct run *r)
{
	lo = UINTPTR_MAX;
	hi = 0;
	for (int i = 0; i < r->procs; i++) {
		for (int v = 0; v < r->w[i].nviews; v++) {
			uintptr_t b = r->w[i].base[v];
			lo = b < lo ? b : lo;
			hi = b + r->sc->region_size > hi ? b + r->sc->region_size : hi;
		}
		if (r->w[i].has_fault) {
			lo = r->w[i].fault < lo ? r->w[i].fault : lo;
			hi = r->w[i].fault > hi ? r->w[i].fault : hi;
		}
	}
	if (lo >= hi) {
		lo = 0;
		hi = 1;
	}
	uintptr_t pad = (hi - lo) / 20 + 1;
	lo = lo > pad ? lo - pad : 0;
	hi += pad;
}

static void
draw_worker(FILE *f, const struct run *r, int i)
{
	const struct worker_record *w = &r->w[i];
	int y = 40 + i * ROW;

	fprintf(f, "<text x='8' y='%d'>worker %d (%s)</text>\n", y + 18, i, outcome_name(w->outcome));
	fprintf(f, "<rect x='%d' y='%d' width='%d' height='24' fill='#eee' stroke='#999'/>\n", LEFT, y, WIDTH - LEFT - 20);
	for (int v = 0; v < w->nviews; v++) {
		double x0 = x_of(w->base[v]), x1 = x_of(w->base[v] + r->sc->region_size);
		fprintf(f, "<rect x='%.1f' y='%d' width='%.1f' height='24' fill='#4a8'><title>view %d at %#lx</title></rect>\n",
		    x0, y, x1 - x0 < 6 ? 6 : x1 - x0, v, (unsigned long)w->base[v]);
		fprintf(f, "<text x='%.1f' y='%d' font-size='10' text-anchor='%s'>view %d %#lx</text>\n", x0, y + 36,
		    x0 > WIDTH - 160 ? "end" : "start", v, (unsigned long)w->base[v]);
	}
	if (w->outcome == SIGNALED && w->has_fault) {
		double x = x_of(w->fault);
		fprintf(f, "<path d='M%.1f %d l-6 -10 h12 z' fill='#d22'><title>fault at %#lx</title></path>\n",
		    x, y, (unsigned long)w->fault);
		fprintf(f, "<text x='%.1f' y='%d' font-size='10' fill='#d22' text-anchor='%s'>fault %#lx</text>\n",
		    x > WIDTH - 160 ? x - 8 : x + 8, y - 4, x > WIDTH - 160 ? "end" : "start", (unsigned long)w->fault);
	}
}

int
report_svg(const char *path, const struct run *r)
{
	FILE *f = fopen(path, "w");
	int height = 60 + r->procs * ROW;

	if (f == NULL)
		return -1;
	span(r);
	fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='monospace' font-size='12'>\n",
	    WIDTH, height);
	fprintf(f, "<text x='8' y='20' font-weight='bold'>%s, strategy %s, seed %llu: %s</text>\n", r->sc->name,
	    strategy_name(r->strategy), (unsigned long long)r->seed, result_name(r->result));
	for (int i = 0; i < r->procs; i++)
		draw_worker(f, r, i);
	fprintf(f, "<text x='%d' y='%d' font-size='10'>%#lx</text><text x='%d' y='%d' font-size='10' text-anchor='end'>%#lx</text>\n",
	    LEFT, height - 6, (unsigned long)lo, WIDTH - 20, height - 6, (unsigned long)hi);
	fprintf(f, "</svg>\n");
	return fclose(f);
}
