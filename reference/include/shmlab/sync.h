/*
 * Sync: a lock and a counter that live in the region (the optional feature
 * set SHMLAB_FEATURE_SYNC, contract 1.3; lab 07). POSIX.
 *
 * A lock in the region is data like any other, and the region's rule holds
 * for it: nothing in it may mean something in one process only. A
 * pthread_mutex_t made without PTHREAD_PROCESS_SHARED sleeps on a futex
 * private to one address space, and its size differs between i386 and
 * x86-64 (24 and 40 bytes in glibc), so two ABIs cannot share one. The lock
 * here is SHMLAB_LOCK_SIZE bytes whose layout is the library's own, the same
 * on every ABI, at an offset aligned to 8 that the caller reserves (a fresh
 * region, or a block it allocated).
 *
 * The owner of a lock is a process, not a thread. A holder that dies
 * holding it does not leave the others stuck: the next process to acquire
 * it is told (SHMLAB_OWNER_DIED), as with a robust mutex
 * (pthread_mutexattr_setrobust(3)), repairs what the lock protects and calls
 * shmlab_lock_consistent(); releasing it without doing so makes the lock
 * unusable for everyone (ENOTRECOVERABLE), as pthread_mutex_consistent(3)
 * says of a robust mutex.
 *
 * The counter is one 64-bit word at an offset aligned to 8, changed by one
 * lock-free atomic operation: C11 7.17.5 recommends that lock-free atomic
 * operations be address-free, and only those work between processes (an
 * atomic that is not lock-free takes a lock in a table of each process).
 *
 * Every function returns 0 on success and -1 with errno set on failure,
 * but shmlab_lock_acquire, which may also return SHMLAB_OWNER_DIED. The
 * null offset 0 and any offset whose bytes are not all inside the view are
 * ERANGE; an offset not aligned to 8 is EINVAL. Every wait is bounded by its
 * timeout_ms and sleeps. Sources: pthread_mutexattr_setpshared(3),
 * pthread_mutexattr_setrobust(3), pthread_mutex_consistent(3), futex(2),
 * ISO/IEC 9899:2011 7.17.5.
 */
#ifndef SHMLAB_SYNC_H
#define SHMLAB_SYNC_H

#include <stdint.h>
#include "shmlab/offset.h"

#define SHMLAB_LOCK_SIZE 64             // bytes the caller reserves for a lock
#define SHMLAB_OWNER_DIED 1             // shmlab_lock_acquire: held, and its last holder died holding it

#ifndef _WIN32

// Makes the lock at lock, free. Once, by one process: EEXIST if a lock is
// initialised there already, which is left untouched, held or not. Errors:
// ERANGE (not inside the view, or the null offset 0), EINVAL (not aligned
// to 8).
int shmlab_lock_init(const struct shmlab_view *v, shmlab_off lock);

// Takes the lock at lock for this process, waiting at most timeout_ms
// milliseconds, asleep. Returns 0 (held), or SHMLAB_OWNER_DIED (held, and
// the process that held it before died holding it: repair the data it
// protects, then call shmlab_lock_consistent, else the next release makes
// the lock unusable). Errors: ETIMEDOUT (another process held it
// throughout), ENOTRECOVERABLE (a holder told SHMLAB_OWNER_DIED released it
// without shmlab_lock_consistent), EDEADLK (this process holds it), EINVAL
// (no lock initialised there; a negative timeout), ERANGE.
int shmlab_lock_acquire(const struct shmlab_view *v, shmlab_off lock, int timeout_ms);

// Marks the lock, held by this process after SHMLAB_OWNER_DIED, repaired:
// its release then frees it as usual. Errors: EINVAL (not held by this
// process after SHMLAB_OWNER_DIED, or no lock there), ERANGE.
int shmlab_lock_consistent(const struct shmlab_view *v, shmlab_off lock);

// Frees the lock this process holds and wakes the processes waiting for it.
// Errors: EPERM (this process does not hold it), EINVAL (no lock
// initialised there), ERANGE.
int shmlab_lock_release(const struct shmlab_view *v, shmlab_off lock);

// Adds delta to the 64-bit counter at counter in one lock-free atomic step,
// and stores the value it had before in *before (if before is not NULL).
// Errors: ERANGE (not inside the view, or the null offset 0), EINVAL (not
// aligned to 8).
int shmlab_counter_add(const struct shmlab_view *v, shmlab_off counter, uint64_t delta, uint64_t *before);

#endif
#endif
