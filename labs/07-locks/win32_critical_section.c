// 07-critical-section-broken (Win32): a CRITICAL_SECTION in the region.
// Microsoft's "Critical Section Objects": a critical section "can be used
// only by the threads of a single process". What it holds says why: a
// semaphore HANDLE, made on first contention and valid in that process's
// handle table alone, and DebugInfo, a pointer into its maker's heap.
//
// Worker 0 initialises it and enters it; every other worker calls
// EnterCriticalSection on it (on a thread, waited for at most WAIT_MS: see
// win32_locks.h) and is left waiting; worker 0 leaves it once they all are.
// Leaving wakes one waiter through worker 0's own process.
//
// What Wine 8 does (Windows may fail otherwise, and promises nothing): the
// count of waiters is an interlocked word in the region, so it is shared;
// the wake-up is a futex private to one address space, so a waiter in another
// process is not woken by it. Wine's EnterCriticalSection looks again only
// when its own 5-second timeout expires, which the worker's bound comes
// before: every waiter reports that it was never woken.
#include "win32_locks.h"

// ANCHOR: init
static int
init_and_hold(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;

	(void)w;
	InitializeCriticalSection(&l->cs);      // BROKEN: for the threads of this process only
	EnterCriticalSection(&l->cs);           // worker 0's main thread holds it until run
	return 0;
}
// ANCHOR_END: init

static DWORD WINAPI
enter(LPVOID arg)
{
	struct waiter *wt = arg;

	InterlockedIncrement(&wt->l->waiting);
	EnterCriticalSection(&wt->l->cs);
	wt->entered = GetTickCount64();
	wt->left_before = wt->l->left_at;
	wt->l->left_at = (LONG64)GetTickCount64();
	LeaveCriticalSection(&wt->l->cs);
	return 0;
}

// ANCHOR: wait
static int
wait_in_enter(struct worker *w, struct locks *l)
{
	struct waiter wt = { .l = l };
	int stuck;

	if (run_waiter(enter, &wt, &stuck) < 0 && stuck)
		return fail(w, "EnterCriticalSection did not return in %d ms: worker 0 left the critical "
		    "section, and no wake-up reached this process (it is free, OwningThread %#llx; "
		    "LockCount %ld; LockSemaphore %#llx)", WAIT_MS,
		    (unsigned long long)(uintptr_t)l->cs.OwningThread, l->cs.LockCount,
		    (unsigned long long)(uintptr_t)l->cs.LockSemaphore);
	if (wt.entered - (ULONGLONG)wt.left_before > WAIT_MS / 2)
		return fail(w, "EnterCriticalSection returned %llu ms after the section was left: the "
		    "wake-up was lost, and only a timeout of its own woke it",
		    (unsigned long long)(wt.entered - (ULONGLONG)wt.left_before));
	return 0;
}
// ANCHOR_END: wait

static int
run(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;

	if (w->view != w->views - 1)
		return 0;               // under `double`, once: through the first view
	if (w->index != 0)
		return wait_in_enter(w, l);
	if (wait_count(&l->waiting, w->procs - 1) < 0)
		return fail(w, "only %ld of %d workers came to wait within %d ms", l->waiting, w->procs - 1, WAIT_MS);
	Sleep(SETTLE_MS);               // no handshake says a thread of another process is asleep
	l->left_at = (LONG64)GetTickCount64();
	LeaveCriticalSection(&l->cs);
	return 0;
}

const struct scenario lab07_critical_section_broken = {
	.name = "07-critical-section-broken",
	.summary = "a CRITICAL_SECTION in the region, waited on by other processes",
	.handout = "labs/07-locks/README.md#on-windows",
	.region_size = 65536,
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = init_and_hold,
	.run = run,
};
