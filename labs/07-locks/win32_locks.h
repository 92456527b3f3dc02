// What the Win32 half of lab 07 keeps in the region, and the bounded waits
// its lessons are built from.
//
// A lock in the region is a struct like any other, and the rule of labs
// 02-05 applies to it: nothing that means something only in one process may
// be stored there. Win32's in-process locks break it quietly: a
// CRITICAL_SECTION holds a semaphore handle and a pointer to debug data in
// its maker's heap, and it, an SRW lock and WaitOnAddress all wake their
// waiters through their own process's bookkeeping. The lessons put each in
// the region, make the other processes wait on it, and watch whether anyone
// wakes them; then do it with a named mutex, a kernel object every process
// can open by its name.
//
// Every wait is bounded. A lock call that cannot time out (EnterCriticalSection,
// AcquireSRWLockExclusive) runs on a thread of its own (start_waiter), and
// the worker waits for that thread at most WAIT_MS: if the lock never wakes
// it, the worker says so and exits, and the thread goes with its process.
#ifndef SHMLAB_LAB07_WIN32_LOCKS_H
#define SHMLAB_LAB07_WIN32_LOCKS_H

#include <stdint.h>
#include <stdio.h>

#include "scenario.h"           // <windows.h> first, then struct worker
#include "shmlab/shared_type.h"

#define WAIT_MS 3000            // the bound on every wait for a peer or a lock
#define SETTLE_MS 300           // how long the holder keeps the lock once every waiter is in its call
#define OBJECT_NAME_MAX 64

struct locks {
	CRITICAL_SECTION cs;    // 07-critical-section-broken
	SRWLOCK srw;            // 07-srw-lock-broken
	volatile LONG word;     // 07-wait-on-address-broken, 07-event-word-fixed
	volatile LONG waiting;  // waiters about to call the lock (each says so first)
	volatile LONG done;     // waiters finished
	volatile LONG inside;   // holders inside the critical section now: 0 or 1
	volatile LONG64 left_at;        // GetTickCount64() when the last holder left
	volatile LONG64 total;  // what the holders added, one at a time
	LONG a, b, c;           // 07-named-mutex-fixed: a + b + c == SUM, under the lock
	char name[OBJECT_NAME_MAX];    // the run's kernel objects: this, then a suffix
};
SHMLAB_SHARED_TYPE(struct locks);

#define SUM 300

// The name of the run's kernel objects: worker 0's process id and the run's
// seed, so that runs at the same time, or one after another, never share one.
static inline void
name_objects(struct locks *l, const struct worker *w)
{
	snprintf(l->name, sizeof l->name, "Local\\shmlab-07-%lu-%llx",
	    (unsigned long)GetCurrentProcessId(), (unsigned long long)w->seed);
}

// Waits until *p >= want, polling; 0, or -1 after WAIT_MS.
static inline int
wait_count(volatile LONG *p, LONG want)
{
	ULONGLONG end = GetTickCount64() + WAIT_MS;

	while (InterlockedCompareExchange(p, 0, 0) < want)
		if (GetTickCount64() > end)
			return -1;
		else
			Sleep(1);
	return 0;
}

// A waiter: `lock` runs on a thread of its own, so that a lock call with no
// timeout is still waited for with one. run_waiter returns what the thread
// returned, or -1 (with *stuck set) if it was still in the call after WAIT_MS.
struct waiter {
	struct locks *l;
	ULONGLONG entered;      // GetTickCount64() when the lock call returned
	LONG64 left_before;     // l->left_at as the thread found it, holding the lock
};

static inline int
run_waiter(LPTHREAD_START_ROUTINE lock, struct waiter *wt, int *stuck)
{
	HANDLE t = CreateThread(NULL, 0, lock, wt, 0, NULL);
	DWORD rc = 1;

	*stuck = 0;
	if (t == NULL)
		return -1;
	if (WaitForSingleObject(t, WAIT_MS) != WAIT_OBJECT_0)
		*stuck = 1;     // left blocked: it ends with this process
	else
		GetExitCodeThread(t, &rc);
	CloseHandle(t);
	return *stuck ? -1 : (int)rc;
}

#endif
