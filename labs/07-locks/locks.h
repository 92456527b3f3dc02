// What lab 07's POSIX lessons share: bounded waits. Every lesson is a
// handshake between processes through words in the region, and no wait may
// last forever: a lesson that hangs teaches nothing, so each wait has a
// deadline and says what it waited for when it gives up.
#ifndef SHMLAB_LAB07_LOCKS_H
#define SHMLAB_LAB07_LOCKS_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "peer_state.h"

#define LOCK_WAIT_MS 2000       // how long a lesson waits for a lock before it says so
#define HANDSHAKE_MS 2500       // how long it waits for a peer's word in the region

// CLOCK_MONOTONIC is one clock for every process of the machine, so a time
// one process stores in the region means the same to another.
static inline int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

// The moment ms from now on CLOCK_MONOTONIC, for pthread_mutex_clocklock.
static inline struct timespec
after_ms(int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

static inline void
nap(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = 200000 }, NULL);
}

// Waits, at most ms, until *word is at least want (an acquire load: what
// the storer wrote before its release store is visible after). 0, or -1.
static inline int
wait_word(_Atomic uint32_t *word, uint32_t want, int ms)
{
	int64_t end = now_ms() + ms;

	while (atomic_load_explicit(word, memory_order_acquire) < want)
		if (now_ms() > end)
			return -1;
		else
			nap();
	return 0;
}

// Waits, at most ms, until process pid is asleep in the kernel. Its caller
// knows pid is about to block in a lock, and nothing else, so asleep means
// in the lock's futex wait. 0, or -1.
static inline int
wait_asleep(int32_t pid, int ms)
{
	int64_t end = now_ms() + ms;

	while (peer_waiting(pid, 0, UINT64_MAX) != 1)
		if (now_ms() > end)
			return -1;
		else
			nap();
	return 0;
}

#endif
