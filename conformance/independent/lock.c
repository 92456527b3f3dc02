/*
 * The region's one lock: a 32-bit word in the header, 0 when free, else
 * HELD (a tag in bits 22 to 30, above any Linux thread id) with the thread
 * id of its holder, and bit 31 (WAITERS) set when someone may be asleep on
 * it. The tag tells a held lock from a word a peer scribbled over. The same 4 bytes, read with the same __atomic operations,
 * in a 32-bit and a 64-bit process (a pthread_mutex_t would not do: its
 * size differs between i386 and x86-64).
 *
 * Taking it is a compare-and-swap of 0 to our tid (acquire). A waiter first
 * yields a few times (sched_yield), then sets WAITERS and sleeps in
 * futex(2) on the word: a shared futex (no FUTEX_PRIVATE_FLAG), which the
 * kernel keys by the page of the shared object, not by the address, so it
 * works between processes that map the region at different addresses.
 * Releasing stores 0 (release) and wakes one sleeper if WAITERS was set. A
 * thread that slept takes the lock with WAITERS set, since others may still
 * sleep (U. Drepper, "Futexes Are Tricky", mutex2). Sleeping matters on a
 * loaded machine: waiters that only yield keep a preempted holder off the
 * processor for whole time slices.
 *
 * Robustness: a holder that dies leaves its tid in the word. A sleeper
 * wakes every NAP_NS and asks the kernel whether the holder still exists
 * (kill(tid, 0) failing with ESRCH); if not, it swaps the dead tid for its
 * own and holds the lock. What the dead process was doing is the data's
 * business: the root table's section is crash-safe (root.c), and the heap
 * marks itself busy while it rewrites blocks, so a heap the next holder
 * finds busy is declared damaged, never trusted (alloc.c). A tid reused by
 * a new thread before anyone looked keeps the lock held: the waiters then
 * give up at the bound, as below, rather than hang.
 *
 * Bounded: a word without the tag (a peer scribbled over the header) is
 * EPROTO at once, and so is a live holder that keeps the lock for WAIT_NS
 * (critical sections last microseconds): the region is taken for damaged,
 * with the contract's error for a corrupt state, well within any caller's
 * deadline. Not reentrant: a thread never calls a
 * locking function while it holds the lock.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"

#define WAITERS         UINT32_C(0x80000000)
#define TAG_MASK        UINT32_C(0x7fc00000)    // above PID_MAX_LIMIT (2^22): no tid reaches it
#define HELD            IND_LOCK_HELD
#define YIELDS          4u              // attempts before sleeping
#define NAP_NS          5000000         // a sleeper looks at the holder this often
#define WAIT_NS         1000000000u     // the longest a live holder is waited for

// This thread's id. gettid(2) is a system call every time, and the lock is
// taken in every call of the library: read once a thread, and forgotten in
// the child of a fork, whose thread has an id of its own.
static _Thread_local uint32_t my_tid;

static void
forget_tid(void)
{
	my_tid = 0;
}

__attribute__((constructor)) static void
watch_forks(void)
{
	pthread_atfork(NULL, NULL, forget_tid);
}

static uint32_t
this_tid(void)
{
	if (my_tid == 0)
		my_tid = (uint32_t)gettid();
	return my_tid;
}

static int
holder_is_dead(uint32_t tid)
{
	int saved = errno, dead = kill((pid_t)tid, 0) < 0 && errno == ESRCH;

	errno = saved;
	return dead;
}

static uint64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

// Sleeps while *word == seen, NAP_NS at most; 1 if the nap ran out.
static int
nap(uint32_t *word, uint32_t seen)
{
	struct timespec t = { 0, NAP_NS };
	int saved = errno, timed_out;

	timed_out = syscall(SYS_futex, word, FUTEX_WAIT, seen, &t, NULL, 0) < 0 && errno == ETIMEDOUT;
	errno = saved;
	return timed_out;
}

int
ind_lock(uint32_t *word)
{
	uint32_t me = HELD | this_tid(), want = me, seen, holder;
	uint64_t deadline = 0;

	for (uint32_t attempt = 0;; attempt++) {
		seen = 0;
		if (__atomic_compare_exchange_n(word, &seen, want, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 0;
		holder = seen & ~WAITERS;
		if ((holder & TAG_MASK) != HELD || holder == HELD) {
			errno = EPROTO;
			return -1;
		}
		if (attempt < YIELDS) {
			sched_yield();
			continue;
		}
		if (!(seen & WAITERS)
		    && !__atomic_compare_exchange_n(word, &seen, seen | WAITERS, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			continue;       // changed under us: look again
		want = me | WAITERS;    // others may sleep too: wake one when done
		if (!nap(word, seen | WAITERS))
			continue;
		seen |= WAITERS;
		if (holder_is_dead(holder & ~TAG_MASK)
		    && __atomic_compare_exchange_n(word, &seen, want, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 0;
		if (deadline == 0)
			deadline = now_ns() + WAIT_NS;
		else if (now_ns() > deadline) {
			errno = EPROTO;
			return -1;
		}
	}
}

void
ind_unlock(uint32_t *word)
{
	if (__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) & WAITERS)
		syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}
