// The two area functions of lab 06, placed at known spots in the program.
//
// Each sits in a section of its own with a name that the linker sorts
// (.text.sorted.*, kept in name order by GNU ld's default script), 64-byte
// aligned, before the rest of the code. The ordinary build puts square_area
// first; shmlab-worker-other, built from the same sources with
// SHMLAB_OTHER_BUILD, puts circle_area first. Everything else is the same,
// so with address randomization off the two programs load at one address
// and each function sits where the other build has the other one: a
// function pointer from one build calls the wrong code in the other.
#include "shapes.h"

#ifdef SHMLAB_OTHER_BUILD
#define SQUARE_SLOT ".text.sorted.shmlab_lab06_b"
#define CIRCLE_SLOT ".text.sorted.shmlab_lab06_a"
#else
#define SQUARE_SLOT ".text.sorted.shmlab_lab06_a"
#define CIRCLE_SLOT ".text.sorted.shmlab_lab06_b"
#endif

__attribute__((section(SQUARE_SLOT), aligned(64), noinline)) double
square_area(const struct shape *s)
{
	return s->size * s->size;
}

__attribute__((section(CIRCLE_SLOT), aligned(64), noinline)) double
circle_area(const struct shape *s)
{
	return 3.14159265358979323846 * s->size * s->size;
}

const char *
function_name(double (*fn)(const struct shape *))
{
	return fn == square_area ? "square_area" : fn == circle_area ? "circle_area" : "no function of this program";
}
