/*
 * The reference's region header: the first bytes of every region it formats.
 *
 * The layout is pinned: fixed-width fields only, explicit padding, sizes and
 * offsets asserted at compile time, so a 32-bit and a 64-bit process read the
 * same bytes the same way (lab 01).
 *
 * Publication: a root's name is written before its state becomes PUBLISHED
 * (release); a reader that sees PUBLISHED (acquire) sees the name and offset.
 */
#ifndef SHMLAB_REFERENCE_HEADER_H
#define SHMLAB_REFERENCE_HEADER_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include "shmlab/root.h"

#define SHMLAB_MAGIC        UINT64_C(0x31626c6d68730a53)   // "S\nshmlb1"
#define SHMLAB_LAYOUT       1u

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
	shmlab_off heap;                // the allocator's state (alloc.h); 0: none
	struct shmlab_root roots[SHMLAB_ROOTS];
};

static_assert(sizeof(struct shmlab_root) == 40, "root slot layout is pinned");
static_assert(offsetof(struct shmlab_root, off) == 32, "root slot layout is pinned");
static_assert(offsetof(struct shmlab_header, heap) == 24, "header layout is pinned");
static_assert(offsetof(struct shmlab_header, roots) == 32, "header layout is pinned");
static_assert(sizeof(struct shmlab_header) <= SHMLAB_HEADER_SIZE, "header fits its reserve");

#endif
