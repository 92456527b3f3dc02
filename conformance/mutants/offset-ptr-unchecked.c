// Mutant: a pointer outside the view is turned into an offset anyway
// Replaces: reference/offset.c
// Caught by: 03-contract-offset-bounds
// That scenario gives ptr_to_off pointers below the view's base and past its
// end and expects ERANGE; this copy subtracts the base regardless and returns
// an offset that names something else, or nothing.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/offset.c as it stands (see README.md).
#include "shmlab/offset.h"

#define shmlab_ptr_to_off reference_ptr_to_off
#include "../../reference/offset.c"
#undef shmlab_ptr_to_off

int
shmlab_ptr_to_off(const struct shmlab_view *v, const void *p, uint64_t len, shmlab_off *out)
{
	uintptr_t base = (uintptr_t)v->base, at = (uintptr_t)p;

	(void)len;      // MUTANT: the length is never looked at
	if (p == NULL) {
		*out = SHMLAB_NULL_OFF;
		return 0;
	}
	// MUTANT: no `at < base || !in_bounds(...)` check: the pointer is trusted
	*out = at - base;
	return 0;
}
