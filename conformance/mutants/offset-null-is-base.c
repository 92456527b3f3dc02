// Mutant: the NULL offset collides with a valid one: offset 0 resolves to the base
// Replaces: reference/offset.c
// Caught by: 03-contract-null-encoding
// That scenario turns NULL_OFF into a pointer and expects NULL, so that a
// zero-filled region holds only NULL references; this copy forgot that 0 is
// NULL and returns the view's base, the region header.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/offset.c as it stands (see README.md).
#include "shmlab/offset.h"

#define shmlab_off_to_ptr reference_off_to_ptr
#include "../../reference/offset.c"
#undef shmlab_off_to_ptr

int
shmlab_off_to_ptr(const struct shmlab_view *v, shmlab_off off, uint64_t len, void **out)
{
	// MUTANT: no `off == SHMLAB_NULL_OFF` case: 0 is in bounds, so it becomes base + 0
	if (!in_bounds(v->size, off, len)) {
		errno = ERANGE;
		return -1;
	}
	*out = v->base + off;
	return 0;
}
