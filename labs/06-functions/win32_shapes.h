// Lab 06 on Windows: a shape in the region with the two pointers a C++
// class defined in a DLL gives it, and the way a worker gets its copy of
// that DLL.
//
// shapes.dll is shapes.c built as a DLL, with the square's vtable in its
// data (win32_shapes_dll.c); shapes-rebuilt.dll is the same sources linked
// at another preferred base (cmake/win32/CMakeLists.txt). Every process
// loads its own copy: where, is its loader's choice. Each worker loads it
// once, by full path from the worker's own folder, and keeps it loaded, so
// a pointer into it stays valid in that process until it exits.
#ifndef SHMLAB_LAB06_WIN32_SHAPES_H
#define SHMLAB_LAB06_WIN32_SHAPES_H

#include "scenario.h"           // <windows.h> first, then struct worker
#include "shapes.h"
#include "shmlab/shared_type.h"

// ANCHOR: layout
struct plugin_shape {
	const struct shape_vtable *vptr;        // BROKEN: hidden in C++: the class's vtable, in its module
	struct shape shape;
	double (*area)(const struct shape *);   // BROKEN: a function of worker 0's copy of the module
};
SHMLAB_SHARED_TYPE(struct plugin_shape);
// ANCHOR_END: layout

#define SHAPES_DLL "shapes.dll"
#define SHAPES_REBUILT_DLL "shapes-rebuilt.dll"

// How a worker gets its copy of the shapes DLL.
enum placement {
	AT_ITS_BASE,    // shapes.dll, loaded as it is
	RELOCATED,      // shapes.dll, its preferred range reserved first: the loader must move it
	REBUILT,        // shapes-rebuilt.dll: the same sources, linked at another base
};

// Loads this process's copy of the shapes DLL, placed as how says, the
// first time; later calls return the same module. Returns it, or NULL
// after fail() (w->message says why).
HMODULE load_shapes(struct worker *w, enum placement how);

// The export name of the DLL loaded by load_shapes, as the type it has;
// NULL if it has no such export.
double (*shapes_function(HMODULE dll, const char *name))(const struct shape *);
const struct shape_vtable *shapes_vtable(HMODULE dll, const char *name);

#endif
