// What the kill test's harness (kill_test.c) and its workers (kill_worker.c)
// agree on: their channel, the region's layout, the heap's locks, how a
// victim's seed chooses its death, and how a victim on Windows ends.
#ifndef SHMLAB_KILL_TEST_H
#define SHMLAB_KILL_TEST_H

#include <stdint.h>
#include "addresses.h"
#include "kill_point.h"

// The channel between the harness and one worker: the same words on both
// systems (chan_send, chan_recv), over what each has.
#ifdef _WIN32
#include "channel_win32.h"
typedef HANDLE kill_chan;       // a pipe; the worker's end inherited, its value on the command line
#else
#include "channel.h"
typedef int kill_chan;          // a socket; the worker's end on descriptor 3
#endif

#define KILL_TABLE_AT       1024u           // just after the header
#define KILL_TABLE_SLOTS    256u            // a victim's blocks, by slot: 0 is empty
#define KILL_LOCK_AT        3072u           // POSIX: the heap's mutex, with a LOCK other than "none"
#define KILL_HEAP_START     4096u
#define KILL_CLAIM_SIZE     32768u          // two blocks a page: a claim lists one, keeps one
#define KILL_TAG(slot)      (UINT64_C(0x6b696c6c00000000) | (slot))     // "kill" and the slot

// A victim on Windows ends itself at its kill point with
// TerminateProcess(GetCurrentProcess(), KILL_EXIT_CODE), as abruptly as
// SIGKILL and as unmistakable: "kill", no NTSTATUS a crash would leave.
#define KILL_EXIT_CODE      0x6b696c6cu
// Windows: the heap's lock is a kernel object named after the region (the
// section and the lock share one namespace, so the name needs a suffix).
#define KILL_LOCK_SUFFIX    ".heap-lock"

// True for the kill points inside claiming a fresh page, which a victim
// reaches only by allocating until its shard's lists are dry.
static inline int
kill_site_claims(enum kill_site s)
{
	return s == KILL_PAGE_COUNTED || s == KILL_PAGE_OWNED || s == KILL_PAGE_LISTED;
}

// A victim's death: a kill point, and at which pass of it (the first page
// claim, or one of the first 64 passes of any other point).
static inline void
kill_choose(uint64_t seed, enum kill_site *site, unsigned long *passes)
{
	uint64_t rng = seed;

	*site = (enum kill_site)(splitmix64(&rng) % KILL_SITES);
	*passes = kill_site_claims(*site) ? 1 : 1 + (unsigned long)(splitmix64(&rng) % 64);
}

// A lock the workers may hold around every call into the heap (--lock).
// Each system lists its own (kill_procs.c, win32/kill_procs_win32.c); the
// first is "none", the heap alone.
struct kill_lock {
	const char *name;
	const char *owner_died;         // what its next owner is told when its owner died, or NULL: nothing
	const char *held;               // why a dead owner leaves it held for good, or NULL
};
extern const struct kill_lock kill_locks[];     // ends with a NULL name

// The test itself (kill_test.c), run by `shmlab-harness kill-test`: worker
// is the path of shmlab-kill-worker. Returns the exit status: 0 passed, 1
// failed, 2 could not run.
struct kill_options {
	int kills;              // victims to kill
	uint64_t seed;
	int step_ms;            // the longest any worker may take to answer
	const struct kill_lock *lock;
	int recover;            // 0: skip the heap's recovery, which the test must catch
	const char *json;       // a report file, or NULL
};
int kill_test(const char *worker, const struct kill_options *o, const char *progname);

// Reads kill-test's options (argv[0] is "kill-test") into o, whose seed is
// the default. Returns 0, or -1 on bad usage.
int kill_parse(int argc, char **argv, struct kill_options *o);

#endif
