/*
 * Lab 03 exercise, second half: an allocator that hands out offsets.
 *
 * The labs' exercises together form your implementation of the shmlab
 * contract (conformance/CONTRACT.md), built into libshmlab-learner.so. This
 * file is the allocator of reference/include/shmlab/alloc.h:
 * shmlab_heap_init(), shmlab_alloc(), shmlab_free() and shmlab_heap_check(),
 * each a stub marked TODO that fails with ENOSYS.
 *
 * The design is yours: the data structure, where it lives in the heap's
 * range, how a block is found and given back. What is given is what must
 * hold, below, and the tests that check it (the handout's "Exercise" lists
 * them). Answer the handout's questions before you write a line.
 *
 * Check it:
 *
 *   ./tour check 03
 *   build/bin/shmlab-harness run 03-contract-alloc-interleaved --procs 2 --strategy distinct \
 *       --impl build/lib/libshmlab-learner.so
 *
 * What must hold (CONTRACT.md, "Several processes, several addresses"):
 *
 *   - Offsets only. Every byte of the allocator's state lives in the
 *     region, inside the range heap_init was given, but for the header's
 *     `heap` field (learner.h), which says where it starts. Nothing in it is
 *     an address: each process maps the region at an address of its own, so
 *     every reference is an offset or an index, in a fixed-width field, laid
 *     out the same on i386 and x86-64 (lab 01), and every view agrees on it.
 *   - Processes at once. Several processes allocate and free in one heap at
 *     the same moment, each through its own view. No block is handed out
 *     twice; none is lost, whichever process freed it: once everything is
 *     freed, any one process fits as many blocks of a size as fitted before.
 *   - Nobody waits on a dead process. A process may be killed in the middle
 *     of any call. The others must go on: either every change is one atomic
 *     operation on a word of the region (C11 7.17, GCC's __atomic builtins),
 *     lock-free, or a lock whose holder's death is seen and undone. A
 *     pthread mutex does not qualify: its layout differs between i386 and
 *     x86-64, and a region is shared by both. What a death may cost is
 *     capacity, never correctness or progress.
 *   - The region is input. Whatever you read from it may have been written
 *     by a buggy or hostile process a moment ago: check every offset and
 *     count against the view before you use it (off <= size && len <= size -
 *     off), read a shared word once, and fail with EPROTO rather than crash,
 *     loop forever or hand out a block outside the heap.
 *   - free() refuses what it did not hand out. A second free of a block, an
 *     offset inside a block, in the header, past the end: EINVAL, with the
 *     heap unchanged.
 *   - Aligned as asked, relative to the start of the region (views start on
 *     a page boundary, so the pointer is aligned too), for every alignment up
 *     to SHMLAB_ALLOC_ALIGN and every size up to SHMLAB_ALLOC_MAX.
 */
#include <errno.h>
#include <string.h>

#include "learner.h"

// Makes [start, start + len) of the formatted region v a heap, whatever the
// range held before, and records where its state starts in the header's
// `heap` field, last, with a release store, so that a process that sees it
// sees a finished heap. The checks come in this order: shmlab_check()'s
// EPROTO (not formatted), EEXIST (the header names a heap already), ERANGE
// (start below SHMLAB_HEADER_SIZE, or the range not inside v), ENOSPC (no
// room for your state and one block of SHMLAB_ALLOC_MAX bytes aligned to
// SHMLAB_ALLOC_ALIGN; the empty range at the end of the region is inside it,
// so ENOSPC). Nothing outside the range is written but the `heap` field.
int
shmlab_heap_init(const struct shmlab_view *v, shmlab_off start, uint64_t len)
{
	(void)v;
	(void)start;
	(void)len;
	errno = ENOSYS;         // TODO: lay your heap out in the range, then publish it
	return -1;
}

// Hands out a block of at least size bytes whose offset is a multiple of
// align, in *off. EINVAL first: size 0 or over SHMLAB_ALLOC_MAX, align 0, not
// a power of two or over SHMLAB_ALLOC_ALIGN. Then EPROTO: no heap, or state
// that does not check out against the view. ENOMEM: no block of that size
// is free.
int
shmlab_alloc(const struct shmlab_view *v, uint64_t size, uint64_t align, shmlab_off *off)
{
	(void)v;
	(void)size;
	(void)align;
	(void)off;
	errno = ENOSYS;         // TODO: find a free block and take it, atomically
	return -1;
}

// Gives the block at off back. EPROTO: no heap. EINVAL: off is not the start
// of a block handed out and not yet freed (a double free, a made-up offset,
// inside the heap's range or not); the heap is then unchanged.
int
shmlab_free(const struct shmlab_view *v, shmlab_off off)
{
	(void)v;
	(void)off;
	errno = ENOSYS;         // TODO: check that off is a live block, then give it back, atomically
	return -1;
}

// Not part of the contract, and no contract test calls it: your own check
// of your design, for your tests and for debugging. While no process is
// allocating, walk the whole heap: every block is either handed out or free,
// never both and never neither, and the structure holds nothing else (no
// free block listed twice, no cycle followed forever, nothing outside the
// range). Fill *st (alloc.h: pages, pages_used, blocks_allocated,
// blocks_free, bytes_allocated, in whatever units your design has) and
// return 0, or -1 with EPROTO if the heap is inconsistent.
int
shmlab_heap_check(const struct shmlab_view *v, struct shmlab_heap_stats *st)
{
	(void)v;
	(void)st;
	errno = ENOSYS;         // TODO: walk your structure and count
	return -1;
}
