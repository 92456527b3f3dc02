// Lab 06's shapes: a struct of plain values and the functions that take it.
// The struct may live in the region; the functions live in each program's
// code, at addresses that are that program's own.
#ifndef SHMLAB_LAB06_SHAPES_H
#define SHMLAB_LAB06_SHAPES_H

#include <stdint.h>
#include "shmlab/shared_type.h"

// ANCHOR: shape
enum shape_kind { SQUARE, CIRCLE, NKINDS };

struct shape {                  // plain data: fine in the region
	uint32_t kind;          // an enum shape_kind, as 4 bytes
	uint32_t pad;
	double size;            // the side of a square, the radius of a circle
};
SHMLAB_SHARED_TYPE(struct shape);

double square_area(const struct shape *s);
double circle_area(const struct shape *s);
// ANCHOR_END: shape

// ANCHOR: vtable
struct shape_vtable {                           // one per class, in the data of its module
	double (*area)(const struct shape *);
};
// ANCHOR_END: vtable

// The name of the function of this program at address fn, or "no function
// of this program" if there is none there.
const char *function_name(double (*fn)(const struct shape *));

#endif
