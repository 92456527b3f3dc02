// Offsets from the base, with the bounds check that makes them safe to read
// from memory another process can write.
#include <errno.h>

#include "shmlab/offset.h"

// True if [off, off+len) lies inside a region of size bytes. Written so that
// no sum can overflow: off + len may wrap, size - off may not.
static int
in_bounds(uint64_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

int
shmlab_off_to_ptr(const struct shmlab_view *v, shmlab_off off, uint64_t len, void **out)
{
	if (off == SHMLAB_NULL_OFF) {
		*out = NULL;
		return 0;
	}
	if (!in_bounds(v->size, off, len)) {
		errno = ERANGE;
		return -1;
	}
	*out = v->base + off;
	return 0;
}

int
shmlab_ptr_to_off(const struct shmlab_view *v, const void *p, uint64_t len, shmlab_off *out)
{
	uintptr_t base = (uintptr_t)v->base, at = (uintptr_t)p;

	if (p == NULL) {
		*out = SHMLAB_NULL_OFF;
		return 0;
	}
	if (at < base || !in_bounds(v->size, at - base, len)) {
		errno = ERANGE;
		return -1;
	}
	*out = at - base;
	return 0;
}
