// Mutant: one base per process: the first view's base is remembered and used for every view
// Replaces: reference/offset.c
// Caught by: 03-contract-offsets-across-views
// Under `double` each worker follows the list through two views of the
// region, one at a time with the other made inaccessible; resolving through
// the second view with the first view's base lands in the inaccessible one.
// Under `distinct` every process has one view, so this bug hides there.
// Killed under: double
//
// Everything else is reference/offset.c as it stands (see README.md).
#include "shmlab/offset.h"

#define shmlab_off_to_ptr reference_off_to_ptr
#include "../../reference/offset.c"
#undef shmlab_off_to_ptr

int
shmlab_off_to_ptr(const struct shmlab_view *v, shmlab_off off, uint64_t len, void **out)
{
	// MUTANT: "the region is mapped once per process", so its base is kept
	// from the first call instead of being taken from the view each time
	static unsigned char *base;

	if (base == NULL)
		base = v->base;
	if (off == SHMLAB_NULL_OFF) {
		*out = NULL;
		return 0;
	}
	if (!in_bounds(v->size, off, len)) {
		errno = ERANGE;
		return -1;
	}
	*out = base + off;
	return 0;
}
