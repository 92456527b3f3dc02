/*
 * Offsets from the base: the one kind of reference every process agrees on.
 *
 * An offset counts bytes from the start of the region, so it means the same
 * thing in every view, wherever that view was mapped. Offset 0 is the region
 * header (root.h), where no object can live, so 0 encodes NULL, and a region
 * fresh from ftruncate (all zero bytes) holds only NULL references.
 *
 * An offset read from shared memory is input from another process: it is
 * checked against the view (off <= size && len <= size - off) before it
 * becomes a pointer. A bad offset is an error, never a wild pointer.
 * Source: MapViewOfFileEx documentation ("store offsets from the base").
 */
#ifndef SHMLAB_OFFSET_H
#define SHMLAB_OFFSET_H

#include <stdint.h>
#include "shmlab/region.h"

// Aligned to 8 on every ABI: i386 would align a plain uint64_t to 4 inside
// structs, which moves every later field and splits atomic accesses.
typedef uint64_t shmlab_off __attribute__((aligned(8)));

#define SHMLAB_NULL_OFF ((shmlab_off)0)

// Turns off into a pointer to len bytes inside v. NULL_OFF gives *out = NULL.
// Returns -1 with errno ERANGE if [off, off+len) is not inside the view.
int shmlab_off_to_ptr(const struct shmlab_view *v, shmlab_off off, uint64_t len, void **out);

// The same check and sum, inline, for loops that follow offsets millions of
// times (docs/performance.md measures what the call costs). fits says
// whether [off, off+len) lies inside v, without overflow; at is the address
// of an offset that fits. Read the offset from the region once, into a
// local, then check that local and use it.
static inline int
shmlab_off_fits(const struct shmlab_view *v, shmlab_off off, uint64_t len)
{
	return off <= v->size && len <= v->size - off;
}

static inline void *
shmlab_off_at(const struct shmlab_view *v, shmlab_off off)
{
	return v->base + off;
}

// Turns p, which must point at len bytes inside v, into an offset. NULL gives
// NULL_OFF. Returns -1 with errno ERANGE for a pointer outside the view.
int shmlab_ptr_to_off(const struct shmlab_view *v, const void *p, uint64_t len, shmlab_off *out);

#endif
