/*
 * Self-relative references: the distance from the reference to its target.
 *
 * A field that holds (target address - own address) survives any mapping
 * address, because both ends move together. It needs no base, so it also
 * works between two regions mapped at a fixed distance, but it must be
 * written and read in place: copying the field elsewhere changes its meaning.
 *
 * Encoding: 0 is NULL, so zero-filled memory holds only NULL references. The
 * price is that a reference cannot name its own address (rel_set gives
 * EINVAL); Boost's offset_ptr pays instead with the value 1.
 *
 * Both functions check the field and the target against the view: a value a
 * peer wrote is input, read once into a local, checked, then used.
 */
#ifndef SHMLAB_RELPTR_H
#define SHMLAB_RELPTR_H

#include <stdint.h>
#include "shmlab/region.h"

typedef int64_t shmlab_rel __attribute__((aligned(8)));    // see shmlab_off

// Stores in *field (inside v) the distance to target (inside v, or NULL).
// Returns -1 with errno ERANGE if either lies outside v, EINVAL if
// target == field.
int shmlab_rel_set(const struct shmlab_view *v, shmlab_rel *field, const void *target);

// Resolves *field into a pointer to len bytes inside v; NULL stays NULL.
// Returns -1 with errno ERANGE if the field or [target, target+len) is not
// inside the view.
int shmlab_rel_get(const struct shmlab_view *v, const shmlab_rel *field, uint64_t len, void **out);

#endif
