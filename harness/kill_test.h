// What the kill test's harness (kill_test.c) and its workers (kill_worker.c)
// agree on: the region's layout and how a victim's seed chooses its death.
#ifndef SHMLAB_KILL_TEST_H
#define SHMLAB_KILL_TEST_H

#include <stdint.h>
#include "addresses.h"
#include "kill_point.h"

#define KILL_TABLE_AT       1024u           // just after the header
#define KILL_TABLE_SLOTS    256u            // a victim's blocks, by slot: 0 is empty
#define KILL_LOCK_AT        3072u           // the heap's mutex, with a LOCK other than "none"
#define KILL_HEAP_START     4096u
#define KILL_CLAIM_SIZE     32768u          // two blocks a page: a claim lists one, keeps one
#define KILL_TAG(slot)      (UINT64_C(0x6b696c6c00000000) | (slot))     // "kill" and the slot

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

// The test itself (kill_test.c), run by `shmlab-harness kill-test`: want
// worker is the path of shmlab-kill-worker. Returns the exit
// status: 0 passed, 1 failed, 2 could not run.
struct kill_options {
	int kills;              // victims to kill
	uint64_t seed;
	int step_ms;            // the longest any worker may take to answer
	const char *lock;       // "none" (the heap alone), "plain" or "robust" (kill_worker.c)
	int recover;            // 0: skip the heap's recovery, which the test must catch
	const char *json;       // a report file, or NULL
};
int kill_test(const char *worker, const struct kill_options *o, const char *progname);

#endif
