/*
 * The region header of the independent implementation, and what its files
 * share. Written from conformance/CONTRACT.md and the public headers alone,
 * not from the reference: the layout below is this library's own.
 *
 * The first SHMLAB_HEADER_SIZE bytes of a formatted region:
 *
 *   0    magic "INDP" and layout number      (tell a formatted region)
 *   8    size of the region                  (shmlab_check compares it)
 *   16   lock word: 0, or a tag and the tid of the holder (lock.c)
 *   20   heap state: none, ready, damaged
 *   24   busy: 1 while the lock holder rewrites the heap's blocks
 *   32   the heap's geometry: bitmap, arena start and end (offsets)
 *   56   IND_BINS free-list heads, one per size class (offsets, 0 = empty)
 *   384  IND_ROOTS root slots: state, offset, name
 *
 * Fixed-width fields only, each aligned to its size, so i386 and x86-64
 * processes read the same bytes the same way; the asserts below pin it.
 * Every field is read from the region once, into a local, and checked
 * against the view before it is used: another process may have written it.
 */
#ifndef INDEPENDENT_LAYOUT_H
#define INDEPENDENT_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "shmlab.h"

#define IND_MAGIC       UINT32_C(0x50444e49)    // "INDP" in a little-endian dump
#define IND_LAYOUT      UINT32_C(1)
#define IND_EXACT       25                      // bins of one block size each: 32, 48, .., 416
#define IND_BINS        41                      // then powers of two, up to 2^23 and over
#define IND_ROOTS       16                      // SHMLAB_ROOTS: a 17th is ENOSPC

enum ind_heap_state { HEAP_NONE = 0, HEAP_READY = 1, HEAP_DAMAGED = 2 };
enum ind_root_state { ROOT_FREE = 0, ROOT_PUBLISHED = 1 };

struct ind_root {
	uint32_t state;                 // ROOT_PUBLISHED once name and off are written (release)
	uint32_t pad;
	shmlab_off off;
	char name[SHMLAB_ROOT_NAME];    // NUL-terminated once published; checked anyway
};

struct ind_header {
	uint32_t magic;
	uint32_t layout;
	uint64_t size __attribute__((aligned(8)));
	uint32_t lock;
	uint32_t heap_state;
	uint32_t busy;
	uint32_t pad;
	shmlab_off bitmap;              // one bit per 16 bytes of the arena: "a block's payload starts here"
	shmlab_off arena_start;         // first block; == 8 (mod 16), so payloads are 16-aligned
	shmlab_off arena_end;           // one past the last block; == 8 (mod 16)
	shmlab_off bin[IND_BINS];
	struct ind_root root[IND_ROOTS];
};

_Static_assert(offsetof(struct ind_header, size) == 8, "size at 8");
_Static_assert(offsetof(struct ind_header, lock) == 16, "lock at 16");
_Static_assert(offsetof(struct ind_header, bitmap) == 32, "heap geometry at 32");
_Static_assert(offsetof(struct ind_header, bin) == 56, "bins at 56");
_Static_assert(offsetof(struct ind_header, root) == 384, "roots at 384");
_Static_assert(sizeof(struct ind_root) == 40, "a root slot is 40 bytes");
_Static_assert(sizeof(struct ind_header) <= SHMLAB_HEADER_SIZE, "the header fits its bytes");
_Static_assert(IND_ROOTS >= SHMLAB_ROOTS, "at least SHMLAB_ROOTS roots");

// The library's own functions, not exported: the contract is the 19 of shmlab.h.
#define IND_INTERNAL __attribute__((visibility("hidden")))

// The header of a view that holds this layout and whose size is the view's;
// NULL with errno EPROTO otherwise (root.c).
IND_INTERNAL struct ind_header *ind_header_of(const struct shmlab_view *v);

// The region's one lock (lock.c): 0 when held, -1 with errno when the wait
// was given up (EPROTO: the word is no holder's, or a live holder kept it
// past the bound).
#define IND_LOCK_HELD   UINT32_C(0x5a800000)     // lock.c's tag of a held lock word
IND_INTERNAL int ind_lock(uint32_t *word);
IND_INTERNAL void ind_unlock(uint32_t *word);

#endif
