/*
 * A process-shared allocator that returns offsets, never pointers.
 *
 * Several processes may allocate and free in one heap at once, each with the
 * region mapped at its own address: all the allocator's state lives in the
 * region, every link in it is an offset, and every change is a single atomic
 * compare-and-swap, so no lock is held and a process killed in the middle of
 * a call blocks nobody. It can leave a block, or the blocks of one page it was
 * claiming, on no list and handed out to nobody: shmlab_heap_recover() puts
 * them back.
 *
 * Blocks come in power-of-two sizes from SHMLAB_ALLOC_MIN to SHMLAB_ALLOC_MAX
 * bytes. An offset from shmlab_alloc() is aligned to the requested alignment
 * relative to the start of the region; since every view starts on a page
 * boundary, the pointer is aligned too for any alignment up to 4096.
 *
 * shmlab_free() checks what it is given: an offset that is not a block
 * handed out by this heap, or one already freed, is refused with EINVAL,
 * never followed.
 */
#ifndef SHMLAB_ALLOC_H
#define SHMLAB_ALLOC_H

#include <stdint.h>
#include "shmlab/offset.h"

#define SHMLAB_ALLOC_MIN    16u
#define SHMLAB_ALLOC_MAX    65536u          // one page of the heap
#define SHMLAB_ALLOC_ALIGN  4096u           // the largest alignment accepted

// Makes [start, start + len) of the region (formatted, see root.h) a heap and
// records it in the header. Call once, before other processes allocate.
// Errors: EPROTO (not formatted), EEXIST (already has a heap), ERANGE (the
// range is not inside the region), ENOSPC (too small for one page).
int shmlab_heap_init(const struct shmlab_view *v, shmlab_off start, uint64_t len);

// Allocates size bytes aligned to align (a power of two, at most
// SHMLAB_ALLOC_ALIGN) and stores the block's offset in *off. The block's
// contents are undefined. Errors: EINVAL (size 0 or over SHMLAB_ALLOC_MAX, a
// bad alignment), ENOMEM (heap full), EPROTO (no heap, or its state is
// corrupt).
int shmlab_alloc(const struct shmlab_view *v, uint64_t size, uint64_t align, shmlab_off *off);

// Returns the block at off to the heap. Errors: EINVAL (not a block of this
// heap, or not allocated: a double free), EPROTO (no heap).
int shmlab_free(const struct shmlab_view *v, shmlab_off off);

struct shmlab_heap_stats {
	uint64_t pages, pages_used;
	uint64_t blocks_allocated, blocks_free;
	uint64_t bytes_allocated;
};

// Walks the whole heap and checks that every block is either allocated or on
// exactly one free list, and that the lists hold nothing else. Only
// meaningful while no process is allocating. Returns 0 and fills *stats, or
// -1 with errno EPROTO if the heap is inconsistent (a block lost, listed
// twice, or listed while allocated).
int shmlab_heap_check(const struct shmlab_view *v, struct shmlab_heap_stats *stats);

struct shmlab_heap_recovery {
	uint64_t blocks;        // blocks found on no list and handed out to nobody, listed again
	uint64_t pages;         // claimed pages with no owner, made free blocks
};

// Repairs what processes killed inside shmlab_alloc() or shmlab_free() left:
// a block a dead process had taken off a list or was putting back, or the
// blocks of a page it was claiming, are on no list and handed out to nobody;
// they are listed again. A block already handed out is the caller's: the
// heap cannot tell a dead caller from a live one. Call it only while no other
// process is in the heap, for instance first thing after a crash: a block a
// live process is between two steps with looks lost too. Returns 0 and what
// it did in *rec, or -1 with errno EPROTO if the heap is damaged in a way no
// killed process explains (a block listed twice, or listed and handed out).
int shmlab_heap_recover(const struct shmlab_view *v, struct shmlab_heap_recovery *rec);

#endif
