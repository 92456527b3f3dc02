/*
 * The region header and its named roots.
 *
 * A second process that maps a region needs one place to start from. The
 * first SHMLAB_HEADER_SIZE bytes of every region hold a header: a magic
 * number, the layout version, the region size, and a small table of named
 * roots, each an offset. Everything else is reached from a root by offsets.
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

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include "shmlab/offset.h"

#define SHMLAB_MAGIC        UINT64_C(0x31626c6d68730a53)   // "S\nshmlb1"
#define SHMLAB_LAYOUT       1u
#define SHMLAB_ROOT_NAME    24      // bytes, including the terminating NUL
#define SHMLAB_ROOTS        16
#define SHMLAB_HEADER_SIZE  1024u   // first offset free for data

enum { SHMLAB_ROOT_FREE = 0, SHMLAB_ROOT_CLAIMED = 1, SHMLAB_ROOT_PUBLISHED = 2 };

struct shmlab_root {
	char name[SHMLAB_ROOT_NAME];
	uint32_t state;                 // SHMLAB_ROOT_*; changed only atomically
	uint32_t pad;
	shmlab_off off;
};

struct shmlab_header {
	_Alignas(8) uint64_t magic;
	uint32_t layout;
	uint32_t pad;
	_Alignas(8) uint64_t size;
	struct shmlab_root roots[SHMLAB_ROOTS];
};

static_assert(sizeof(struct shmlab_root) == 40, "root slot layout is pinned");
static_assert(offsetof(struct shmlab_root, off) == 32, "root slot layout is pinned");
static_assert(offsetof(struct shmlab_header, roots) == 24, "header layout is pinned");
static_assert(sizeof(struct shmlab_header) <= SHMLAB_HEADER_SIZE, "header fits its reserve");

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
