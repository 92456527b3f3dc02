/*
 * Lab 07 exercise: a lock and a counter that live in the region.
 *
 * The labs' exercises together form your implementation of the shmlab
 * contract (conformance/CONTRACT.md), built into libshmlab-learner.so. This
 * file is lab 07's part, the feature set sync (SHMLAB_FEATURE_SYNC):
 * shmlab_lock_init(), _acquire(), _consistent(), _release() and
 * shmlab_counter_add(), as reference/include/shmlab/sync.h specifies them,
 * each a stub marked TODO that fails with ENOSYS. The lock's layout is
 * yours to design: SHMLAB_LOCK_SIZE bytes at an offset aligned to 8.
 *
 * Check it (see the handout's "Exercise"):
 *
 *   ./tour check 07            the rules of labs 01 to 07, a table of what passes
 *   ./tour check 07 --hint     and a hint for the first rule that fails
 *   ./tour watch 07            again at every save
 *
 * The rules are sync-exclusion, sync-wakeup, sync-owner-died and
 * sync-counter.
 *
 * The rule. A lock in the region is data like any other: nothing in it may
 * mean something in one process only. So never a pthread_mutex_t (its size
 * differs between i386 and x86-64, and its waiters sleep on a futex private
 * to one process unless it was made PTHREAD_PROCESS_SHARED); fixed-width
 * words of your own, changed with atomics, and a futex without
 * FUTEX_PRIVATE_FLAG to sleep on, so a release in one process wakes a
 * waiter in another. The owner is a process, and it may die holding the
 * lock: write into the lock what lets another process ask the kernel
 * whether the holder still lives (a pid alone is reused), and take a dead
 * holder's lock over with one compare-and-swap. Every wait is bounded.
 */
#include <errno.h>

#include "learner.h"

// Makes the lock at offset lock, free; once: EEXIST if one is there
// already, which stays as it is, held or not. ERANGE (the null offset 0,
// or its SHMLAB_LOCK_SIZE bytes not inside the view), EINVAL (not aligned
// to 8).
int
shmlab_lock_init(const struct shmlab_view *v, shmlab_off lock)
{
	(void)v;
	(void)lock;
	errno = ENOSYS;         // TODO: check, claim the lock with one compare-and-swap, make it free
	return -1;
}

// ANCHOR: acquire
// Takes the lock for this process, asleep for at most timeout_ms: 0, or
// SHMLAB_OWNER_DIED if its last holder died holding it. ERANGE, EINVAL (no
// lock there, a negative timeout), EDEADLK (this process holds it),
// ENOTRECOVERABLE, ETIMEDOUT (a live process held it throughout).
int
shmlab_lock_acquire(const struct shmlab_view *v, shmlab_off lock, int timeout_ms)
// ANCHOR_END: acquire
{
	(void)v;
	(void)lock;
	(void)timeout_ms;
	errno = ENOSYS;         // TODO: take it, or sleep on a shared futex; ask whether the holder lives
	return -1;
}

// After SHMLAB_OWNER_DIED, in the holder: the data is repaired. ERANGE,
// EINVAL (not held by this process after SHMLAB_OWNER_DIED).
int
shmlab_lock_consistent(const struct shmlab_view *v, shmlab_off lock)
{
	(void)v;
	(void)lock;
	errno = ENOSYS;         // TODO
	return -1;
}

// Frees the lock this process holds and wakes its waiters; after
// SHMLAB_OWNER_DIED without consistent, makes it unusable for everyone.
// ERANGE, EINVAL (no lock there), EPERM (this process does not hold it).
int
shmlab_lock_release(const struct shmlab_view *v, shmlab_off lock)
{
	(void)v;
	(void)lock;
	errno = ENOSYS;         // TODO
	return -1;
}

// Adds delta to the 64-bit word at counter in one lock-free atomic step;
// its value before goes to *before unless before is NULL. ERANGE, EINVAL
// (not aligned to 8).
int
shmlab_counter_add(const struct shmlab_view *v, shmlab_off counter, uint64_t delta, uint64_t *before)
{
	(void)v;
	(void)counter;
	(void)delta;
	(void)before;
	errno = ENOSYS;         // TODO: check, then one atomic fetch-and-add
	return -1;
}
