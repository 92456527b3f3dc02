// The kill worker's system on POSIX (kill_worker.h): a process-shared
// pthread mutex in the region, plain or robust (pthread_mutexattr_setrobust(3)),
// and SIGKILL.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "kill_test.h"
#include "kill_worker.h"

static pthread_mutex_t *heap_mutex;

int
heap_lock_open(const struct shmlab_view *v, const char *region, const char *lock, int make)
{
	pthread_mutexattr_t a;

	(void)region;
	heap_mutex = (pthread_mutex_t *)(v->base + KILL_LOCK_AT);
	if (!make)
		return 0;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (strcmp(lock, "robust") == 0)
		pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	errno = pthread_mutex_init(heap_mutex, &a);
	pthread_mutexattr_destroy(&a);
	return errno ? -1 : 0;
}

// pthread_mutex_lock, unbounded: the harness bounds it, killing a worker
// that does not answer within the step bound (PR_SET_PDEATHSIG does, should
// the harness die). pthread_mutex_timedlock would bound it here, but
// ThreadSanitizer takes its EOWNERDEAD for a failure, and then the lock's
// next unlock for a bug.
int
heap_lock(int ms)
{
	int e;

	(void)ms;
	if ((e = pthread_mutex_lock(heap_mutex)) == EOWNERDEAD)
		return 1;
	errno = e;
	return e ? -1 : 0;
}

int
heap_lock_repaired(void)
{
	errno = pthread_mutex_consistent(heap_mutex);
	return errno ? -1 : 0;
}

void
heap_unlock(void)
{
	pthread_mutex_unlock(heap_mutex);
}

_Noreturn void
die_here(void)
{
	raise(SIGKILL);
	abort();                // not reached: SIGKILL cannot be caught
}
