/*
 * Sync (sync.h says what it promises; this says how, on Linux).
 *
 * A lock is 64 bytes of the library's own layout, fixed-width fields only,
 * so an i386 and an x86-64 process share it (a pthread_mutex_t is 24 bytes
 * on one and 40 on the other). Three words matter:
 *
 *   magic   0 or anything else: no lock; BUSY: being initialised; MAGIC: a
 *           lock. init claims it by compare-and-swap, so one init wins and
 *           every other is EEXIST without touching the lock.
 *   owner   0: free. Else who holds it, as the kernel would name the
 *           process: its pid (22 bits: pid_max is at most 2^22, proc(5))
 *           and its start time in clock ticks since boot (the low 40 bits:
 *           348 years at 100 Hz), plus DIED (held by a process told
 *           SHMLAB_OWNER_DIED, not yet consistent). LOST alone: released
 *           after OWNER_DIED without consistent, unusable for good. Taken,
 *           handed over and given up by compare-and-swap on this one word,
 *           so the pid and the start time are never seen apart.
 *   wake    a futex word, bumped by every release. A waiter reads it before
 *           it reads owner and sleeps only while it is unchanged (futex(2)
 *           FUTEX_WAIT compares in the kernel), so a release between its
 *           look at owner and its sleep makes the sleep return at once: no
 *           lost wake-up. The futex is shared, never FUTEX_PRIVATE_FLAG: a
 *           shared futex is keyed by the page it is on, so processes that
 *           map the region at different addresses, and two views in one
 *           process, sleep and wake on the same key.
 *
 * The owner is the process: any thread of the holder may release.
 *
 * A holder that dies holding the lock cannot say so; the waiters find out.
 * Whenever a waiter sees a holder it has not checked yet, and again whenever
 * it has slept a whole slice (SLICE_MS) with the same holder, it asks the
 * kernel whether that process still runs: /proc/<pid>/stat exists, is not a
 * zombie, and gives the start time the lock holds (a pid is reused once its
 * process is reaped; the start time tells the new one from the old). If not,
 * it takes the lock over with one compare-and-swap from exactly the owner
 * word it judged, so of all the waiters that judged it one wins, and a holder
 * that changed meanwhile is judged again. The winner returns
 * SHMLAB_OWNER_DIED with DIED set. A release with DIED still set leaves LOST,
 * and every later acquire is ENOTRECOVERABLE, as for a robust
 * pthread_mutex_t (pthread_mutex_consistent(3)). Nothing relies on the dead
 * process having done anything; the slice bounds how long a death goes
 * unnoticed by a waiter already asleep.
 *
 * Every wait is bounded by the caller's timeout on CLOCK_MONOTONIC, slept in
 * the kernel in slices; ETIMEDOUT only after a last check that the holder
 * still lives.
 *
 * The counter is one 64-bit word changed by __atomic_fetch_add, asserted at
 * compile time to be lock-free on every ABI this builds for: an atomic that
 * is not would take a lock in a table of this process (libatomic), which
 * another process never sees (C11 7.17.5 recommends lock-free operations be
 * address-free; only those work between processes).
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

#include "shmlab/sync.h"
#include "process.h"

#define LOCK_MAGIC      UINT32_C(0x314b434c)    // "LCK1"
#define LOCK_BUSY       UINT32_C(0x2a4b434c)    // "LCK*": one init is writing it
#define SLICE_MS        1000                    // a waiter asks whether the holder lives this often

#define PID_BITS        22
#define PID_MASK        ((UINT64_C(1) << PID_BITS) - 1)
#define DIED            (UINT64_C(1) << 22)     // held after OWNER_DIED, not consistent yet
#define LOST            (UINT64_C(1) << 23)     // not recoverable, for good
#define START_SHIFT     24                      // the holder's start time, its low 40 bits
#define WHO             (~(DIED | LOST))        // the bits that name the process

#define NS_PER_MS       INT64_C(1000000)
#define NS_PER_S        INT64_C(1000000000)

// A 64-bit word aligned to 8 on every ABI (i386 aligns a plain uint64_t to 4).
typedef uint64_t word __attribute__((aligned(8)));

static_assert(__atomic_always_lock_free(sizeof(word), 0), "the counter and owner word must be lock-free");

struct lock {
	uint32_t magic;         // LOCK_MAGIC once initialised
	uint32_t wake;          // the futex word: bumped by every release
	word owner;             // 0, or pid | start << START_SHIFT | DIED; or LOST
	uint32_t reserved[12];
};

static_assert(sizeof(struct lock) == SHMLAB_LOCK_SIZE, "lock layout is pinned");
static_assert(offsetof(struct lock, owner) == 8, "lock layout is pinned");

static int
fail_with(int err)
{
	errno = err;
	return -1;
}

// The len bytes at off, which must lie inside v (the null offset never
// does) and be aligned to 8.
static void *
word_at(const struct shmlab_view *v, shmlab_off off, uint64_t len)
{
	if (off == 0 || off > v->size || v->size - off < len)
		return fail_with(ERANGE), NULL;
	if (off % 8 != 0)
		return fail_with(EINVAL), NULL;
	return v->base + off;
}

// The initialised lock at off.
static struct lock *
lock_at(const struct shmlab_view *v, shmlab_off off)
{
	struct lock *l = word_at(v, off, SHMLAB_LOCK_SIZE);

	if (l != NULL && __atomic_load_n(&l->magic, __ATOMIC_ACQUIRE) != LOCK_MAGIC)
		return fail_with(EINVAL), NULL;
	return l;
}

// This process as an owner word names it; 0 (errno set) if /proc cannot
// say. Cached per thread, and read again after a fork (the pid changes).
static uint64_t
self(void)
{
	static _Thread_local pid_t pid;
	static _Thread_local uint64_t who;
	pid_t now = getpid();
	uint64_t start;

	if (now == pid)
		return who;
	if ((uint64_t)now > PID_MASK)
		return fail_with(EOVERFLOW), 0;
	if (shmlab_proc_stat(now, NULL, &start) < 0)
		return 0;
	pid = now;
	who = (uint64_t)now | start << START_SHIFT;
	return who;
}

// Whether the process the owner word o names still runs. Only the kernel is
// asked, never the holder. A process /proc does not show (hidepid=, proc(5))
// but kill(2) finds is taken to live: it may, and a wrong "dead" would
// break the exclusion.
static int
holder_lives(uint64_t o)
{
	pid_t pid = (pid_t)(o & PID_MASK);
	uint64_t start;
	char state;

	if (shmlab_proc_stat(pid, &state, &start) < 0)
		return errno != ESRCH || kill(pid, 0) == 0 || errno == EPERM;
	return state != 'Z' && state != 'X' && (start << START_SHIFT) >> START_SHIFT == o >> START_SHIFT;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

// Sleeps while l->wake is seen, at most ns; 0 if woken (or the word had
// changed already), -1 if the time ran out.
static int
sleep_on(struct lock *l, uint32_t seen, int64_t ns)
{
	struct timespec rel = { .tv_sec = (time_t)(ns / NS_PER_S), .tv_nsec = (long)(ns % NS_PER_S) };

	if (syscall(SYS_futex, &l->wake, FUTEX_WAIT, seen, &rel, NULL, 0) < 0 && errno == ETIMEDOUT)
		return -1;
	return 0;
}

int
shmlab_lock_init(const struct shmlab_view *v, shmlab_off lock)
{
	struct lock *l = word_at(v, lock, SHMLAB_LOCK_SIZE);
	uint32_t seen;

	if (l == NULL)
		return -1;
	seen = __atomic_load_n(&l->magic, __ATOMIC_ACQUIRE);
	do
		if (seen == LOCK_MAGIC || seen == LOCK_BUSY)
			return fail_with(EEXIST);       // and not one byte of it written
	while (!__atomic_compare_exchange_n(&l->magic, &seen, LOCK_BUSY, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE));
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->wake, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < 12; i++)
		l->reserved[i] = 0;
	__atomic_store_n(&l->magic, LOCK_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

int
shmlab_lock_acquire(const struct shmlab_view *v, shmlab_off lock, int timeout_ms)
{
	struct lock *l = lock_at(v, lock);
	uint64_t me, checked = 0;
	int64_t end;

	if (l == NULL)
		return -1;
	if (timeout_ms < 0)
		return fail_with(EINVAL);
	if ((me = self()) == 0)
		return -1;
	end = now_ns() + timeout_ms * NS_PER_MS;
	for (;;) {
		uint32_t seen = __atomic_load_n(&l->wake, __ATOMIC_ACQUIRE);
		uint64_t o = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
		int64_t left;

		if (o == 0) {
			if (__atomic_compare_exchange_n(&l->owner, &o, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return 0;
			continue;
		}
		if (o == LOST)
			return fail_with(ENOTRECOVERABLE);
		if ((o & WHO) == me)
			return fail_with(EDEADLK);
		if (o != checked) {
			if (!holder_lives(o)) {
				if (__atomic_compare_exchange_n(&l->owner, &o, me | DIED, 0, __ATOMIC_ACQUIRE,
				    __ATOMIC_RELAXED))
					return SHMLAB_OWNER_DIED;
				continue;       // another waiter took it over, or it changed hands
			}
			checked = o;
		}
		if ((left = end - now_ns()) <= 0)
			return fail_with(ETIMEDOUT);
		if (sleep_on(l, seen, left < SLICE_MS * NS_PER_MS ? left : SLICE_MS * NS_PER_MS) < 0)
			checked = 0;    // the same holder a whole slice, or the deadline: ask again
	}
}

int
shmlab_lock_consistent(const struct shmlab_view *v, shmlab_off lock)
{
	struct lock *l = lock_at(v, lock);
	uint64_t me, o;

	if (l == NULL || (me = self()) == 0)
		return -1;
	o = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
	if (o != (me | DIED) || !__atomic_compare_exchange_n(&l->owner, &o, me, 0, __ATOMIC_RELAXED,
	    __ATOMIC_RELAXED))
		return fail_with(EINVAL);
	return 0;
}

int
shmlab_lock_release(const struct shmlab_view *v, shmlab_off lock)
{
	struct lock *l = lock_at(v, lock);
	uint64_t me, o;

	if (l == NULL || (me = self()) == 0)
		return -1;
	o = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	if ((o & WHO) != me || !__atomic_compare_exchange_n(&l->owner, &o, (o & DIED) ? LOST : 0, 0,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return fail_with(EPERM);
	__atomic_fetch_add(&l->wake, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &l->wake, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	return 0;
}

int
shmlab_counter_add(const struct shmlab_view *v, shmlab_off counter, uint64_t delta, uint64_t *before)
{
	word *c = word_at(v, counter, sizeof(word));
	uint64_t was;

	if (c == NULL)
		return -1;
	was = __atomic_fetch_add(c, delta, __ATOMIC_SEQ_CST);
	if (before != NULL)
		*before = was;
	return 0;
}
