/*
 * The region header and its named roots.
 *
 * A second process that maps a region needs one place to start from. The
 * first SHMLAB_HEADER_SIZE bytes of every region hold a header: a magic
 * number, the layout version, the region size, where the allocator keeps its
 * state (if the region has one), and a small table of named roots, each an
 * offset. Everything else is reached from a root by offsets.
 *
 * The header is pinned: fixed-width fields only, explicit padding, sizes and
 * offsets asserted at compile time, so a 32-bit and a 64-bit process read the
 * same bytes the same way.
 *
 * Publication: a root's name is written before its state becomes PUBLISHED
 * (release); a reader that sees PUBLISHED (acquire) sees the name and offset.
 * Slots are claimed with a compare-and-swap, so two processes may add roots
 * at once; two processes adding the same name at once may both succeed, so
 * give each root one creator. Roots are never removed.
 */
#ifndef SHMLAB_ROOT_H
#define SHMLAB_ROOT_H

#include <stdint.h>
#include "shmlab/offset.h"

#define SHMLAB_ROOT_NAME    24      // bytes, including the terminating NUL
#define SHMLAB_ROOTS        16      // roots a region can hold, at least
#define SHMLAB_HEADER_SIZE  1024u   // bytes at the start of a region that are the
                                    // implementation's; data may start here

// Writes a fresh header into v (which must be at least SHMLAB_HEADER_SIZE
// bytes; EINVAL otherwise). Call once, before any other process uses it.
int shmlab_format(const struct shmlab_view *v);

// Checks that v holds a header of this layout whose size matches the view.
// Returns -1 with errno EPROTO (not formatted, or another layout) or EINVAL
// (size mismatch).
int shmlab_check(const struct shmlab_view *v);

// Publishes off under name. Errors: ENAMETOOLONG, EEXIST (name taken),
// ENOSPC (table full), ERANGE (off outside the region), EPROTO (no header).
int shmlab_root_set(const struct shmlab_view *v, const char *name, shmlab_off off);

// Looks name up. Errors: ENOENT, EPROTO, ERANGE (a stored offset outside the
// region: the header was overwritten).
int shmlab_root_get(const struct shmlab_view *v, const char *name, shmlab_off *off);

#endif
