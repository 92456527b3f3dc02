/*
 * Your implementation of the shmlab contract (conformance/CONTRACT.md).
 *
 * The labs' exercises together form one library, libshmlab-learner.so, that
 * exports every function the contract names:
 *
 *   lab 01  01-values-and-structs/exercise.c  the region header and its roots
 *   lab 02  02-raw-pointers/exercise.c        regions and views
 *   lab 03  03-offsets/exercise.c             offsets and self-relative references
 *           03-offsets/exercise_alloc.c       the allocator
 *   lab 04  04-handles/exercise.c             descriptors given through the region
 *   lab 05  05-global-names/exercise.c        mailboxes named by global ids
 *   lab 06  06-functions/exercise.c           functions called by name
 *   lab 07  07-locks/exercise.c               a lock and a counter in the region
 *
 * This header holds what more than one of them needs: the layout of the
 * region header. It is lab 01's rule applied. Every field has a fixed width,
 * the padding is written out, and the compiler checks the size and every
 * offset, so a 32-bit and a 64-bit process read the same bytes the same way.
 * The contract says what the functions do, not what the first
 * SHMLAB_HEADER_SIZE bytes hold: this layout is this library's own (the
 * reference's differs), and the handout shows it, so keep it as it is.
 */
#ifndef SHMLAB_LEARNER_H
#define SHMLAB_LEARNER_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "shmlab.h"
#include "shmlab/shared_type.h"

// ANCHOR: header
#define LEARNER_MAGIC   UINT64_C(0x316e7261656c0a53)   // the bytes "S\nlearn1"
#define LEARNER_LAYOUT  1u      // change it whenever the layout below changes

enum { ROOT_FREE = 0, ROOT_CLAIMED = 1, ROOT_PUBLISHED = 2 };

struct learner_root {
	char name[SHMLAB_ROOT_NAME];    // NUL-terminated by the writer; never trusted to be
	uint32_t state;                 // ROOT_*: read and written only with atomics
	uint32_t pad;                   // explicit, so that no padding is the ABI's choice
	shmlab_off off;                 // what the root names
};
SHMLAB_SHARED_TYPE(struct learner_root);   // shmlab-check finds it (docs/shmlab-check.md)

struct learner_header {
	_Alignas(8) uint64_t magic;     // LEARNER_MAGIC, written last by shmlab_format()
	uint32_t layout;                // LEARNER_LAYOUT
	uint32_t pad;
	_Alignas(8) uint64_t size;      // the region's size in bytes
	shmlab_off heap;                // the allocator's state (lab 03); 0: no heap
	struct learner_root roots[SHMLAB_ROOTS];
};
SHMLAB_SHARED_TYPE(struct learner_header);   // shmlab-check finds it (docs/shmlab-check.md)

static_assert(sizeof(struct learner_root) == 40, "a root slot is 40 bytes on every ABI");
static_assert(offsetof(struct learner_root, state) == 24, "root slot layout is pinned");
static_assert(offsetof(struct learner_root, pad) == 28, "root slot layout is pinned");
static_assert(offsetof(struct learner_root, off) == 32, "root slot layout is pinned");
static_assert(offsetof(struct learner_header, layout) == 8, "header layout is pinned");
static_assert(offsetof(struct learner_header, pad) == 12, "header layout is pinned");
static_assert(offsetof(struct learner_header, size) == 16, "header layout is pinned");
static_assert(offsetof(struct learner_header, heap) == 24, "header layout is pinned");
static_assert(offsetof(struct learner_header, roots) == 32, "header layout is pinned");
static_assert(sizeof(struct learner_header) == 32 + SHMLAB_ROOTS * 40, "header layout is pinned");
static_assert(sizeof(struct learner_header) <= SHMLAB_HEADER_SIZE, "the header fits its reserve");
// ANCHOR_END: header

// Time, for the waits of labs 04 and 05: every wait in the region is
// bounded, and a deadline on CLOCK_MONOTONIC, which never jumps, bounds a
// loop of waits however often it wakes.

// The moment timeout_ms milliseconds from now; a negative timeout_ms gives
// a moment passed already.
static inline struct timespec
deadline_after(int timeout_ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += timeout_ms / 1000;
	t.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	} else if (t.tv_nsec < 0) {
		t.tv_sec--;
		t.tv_nsec += 1000000000L;
	}
	return t;
}

// 1 once the deadline has passed.
static inline int
passed(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec
	    || (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

#endif
