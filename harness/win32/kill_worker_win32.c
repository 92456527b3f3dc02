/*
 * The kill worker's system on Windows (../kill_worker.h). The heap's lock is
 * a kernel object that the harness made before any worker and holds to the
 * end; a worker opens it by the region's name and KILL_LOCK_SUFFIX, so the
 * lock goes wherever the region's name goes and nothing else is handed over.
 *
 *   mutex      a Win32 mutex: when its owner dies, the next wait on it
 *              returns WAIT_ABANDONED and owns it ("Mutex Objects"), the
 *              counterpart of a robust mutex's EOWNERDEAD; once owned again
 *              it is an ordinary mutex, so there is nothing to mark.
 *   semaphore  a semaphore of count 1. A semaphore has no owner, so no one
 *              gives back the count a dead holder took: it stays held for
 *              good, as a plain mutex does. A Windows mutex cannot show that:
 *              every one of them reports its owner's death.
 *
 * A victim ends itself with TerminateProcess(GetCurrentProcess()), which
 * runs no handler and no DLL detach, with KILL_EXIT_CODE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "kill_test.h"
#include "kill_worker.h"

static HANDLE lock;
static int is_mutex;

int
heap_lock_open(const struct shmlab_view *v, const char *region, const char *kind, int make)
{
	char name[SHMLAB_NAME_MAX + 16];

	(void)v;
	(void)make;             // the harness made it
	snprintf(name, sizeof name, "%s%s", region, KILL_LOCK_SUFFIX);
	is_mutex = strcmp(kind, "mutex") == 0;
	lock = is_mutex ? OpenMutexA(SYNCHRONIZE | MUTEX_MODIFY_STATE, FALSE, name)
	    : OpenSemaphoreA(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, FALSE, name);
	if (lock == NULL) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int
heap_lock(int ms)
{
	switch (WaitForSingleObject(lock, (DWORD)ms)) {
	case WAIT_OBJECT_0:
		return 0;
	case WAIT_ABANDONED:
		return 1;       // a mutex whose owner ended without releasing it: now ours
	case WAIT_TIMEOUT:
		errno = ETIMEDOUT;
		return -1;
	default:
		errno = EINVAL;
		return -1;
	}
}

int
heap_lock_repaired(void)
{
	return 0;
}

void
heap_unlock(void)
{
	if (is_mutex)
		ReleaseMutex(lock);
	else
		ReleaseSemaphore(lock, 1, NULL);
}

_Noreturn void
die_here(void)
{
	TerminateProcess(GetCurrentProcess(), KILL_EXIT_CODE);
	abort();                // not reached: TerminateProcess does not return to its own process
}
