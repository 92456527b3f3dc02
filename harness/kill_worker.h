/*
 * What the kill test's worker (kill_worker.c) needs from its system: the
 * heap's lock and a sudden death. POSIX gives them
 * in kill_worker_posix.c (pthread mutexes in the region, SIGKILL), Windows
 * in win32/kill_worker_win32.c (kernel objects the harness made,
 * TerminateProcess).
 */
#ifndef SHMLAB_KILL_WORKER_H
#define SHMLAB_KILL_WORKER_H

#include "shmlab/region.h"

// Opens the heap's lock LOCK (kill_test.h: a name from this system's
// kill_locks, not "none") of the region REGION, mapped at v; `make`: this
// is the prepare worker, the first to use it. Returns 0, or -1 with errno.
int heap_lock_open(const struct shmlab_view *v, const char *region, const char *lock, int make);

// Takes the heap's lock, waiting at most ms on Windows; on POSIX the
// harness bounds the wait (kill_worker_posix.c says why). Returns 0; 1 when
// its last owner died holding it, which only a lock that reports it says
// (then the caller holds it, and every other user of the heap waits for it:
// the heap is at rest); or -1 with errno (ETIMEDOUT).
int heap_lock(int ms);

// After a 1 from heap_lock(), once the heap is repaired: the lock is fit
// for use again. Returns 0, or -1 with errno.
int heap_lock_repaired(void);

void heap_unlock(void);

// Ends this process on the spot, as abruptly as the system can: no
// handler, no atexit, no unlock.
_Noreturn void die_here(void);

#endif
