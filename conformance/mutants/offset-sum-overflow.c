// Mutant: the bounds check adds off + len, which wraps around for a huge len
// Replaces: reference/offset.c
// Caught by: 03-contract-offset-bounds
// That scenario asks for a length so large that off + len overflows to a
// small number, which passes `off + len <= size`; the rule's form
// (off <= size && len <= size - off) cannot overflow and gives ERANGE.
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
	if (off == SHMLAB_NULL_OFF) {
		*out = NULL;
		return 0;
	}
	// MUTANT: the textbook check, which overflows: off + len may wrap to 0
	if (off + len > v->size) {
		errno = ERANGE;
		return -1;
	}
	*out = v->base + off;
	return 0;
}
