/*
 * Offsets from the base of a view.
 *
 * An offset is checked with off <= size && len <= size - off, a form in
 * which no sum can wrap past 2^64. Offset 0 is NULL whatever the length: it
 * is the header's first byte, where no object lives. A pointer is turned
 * back into an offset by integer arithmetic on uintptr_t, never by
 * comparing pointers into different objects.
 */
#include <errno.h>

#include "layout.h"

int
shmlab_off_to_ptr(const struct shmlab_view *v, shmlab_off off, uint64_t len, void **out)
{
	if (off == SHMLAB_NULL_OFF) {
		*out = NULL;
		return 0;
	}
	if (!(off <= v->size && len <= v->size - off)) {
		errno = ERANGE;
		return -1;
	}
	*out = v->base + off;
	return 0;
}

int
shmlab_ptr_to_off(const struct shmlab_view *v, const void *p, uint64_t len, shmlab_off *out)
{
	uintptr_t at = (uintptr_t)p, base = (uintptr_t)v->base;
	uint64_t off;

	if (p == NULL) {
		*out = SHMLAB_NULL_OFF;
		return 0;
	}
	if (at < base) {
		errno = ERANGE;
		return -1;
	}
	off = (uint64_t)(at - base);
	if (!(off <= v->size && len <= v->size - off)) {
		errno = ERANGE;
		return -1;
	}
	*out = off;
	return 0;
}
