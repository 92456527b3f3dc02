/*
 * shmlab-kill-worker: the processes of the kill test (kill_test.c says what
 * the test proves). Its allocator is the reference's, built again with the
 * kill points on (reference/kill_point.h); each role is a process of its own,
 * with the region at an address of its own. One source for POSIX and
 * Windows: what differs, the heap's lock and the death, is kill_worker.h's.
 *
 *   prepare   formats the region: header, heap, and the table (root
 *             "kill-table") in which a victim records each block it holds.
 *   victim    is first the next process after a crash: recovers the heap,
 *             frees what the dead victim recorded in the table, checks the
 *             heap and reports; then, told "go", allocates and frees until
 *             the kill point its seed chose kills it.
 *   survivor  allocates and frees beside the victims from "go" to "stop",
 *             then frees what it holds and reports; it must never get stuck.
 *   last      the next process after the last victim: recovers and reports.
 *
 * With a LOCK other than "none", every call into the heap holds a lock, as a
 * locked allocator would (kill_worker.h gives it, one a system). One that
 * a dead owner leaves held ("plain", a process-shared mutex; on Windows
 * "semaphore") leaves everyone after the first victim waiting for good. One
 * that tells its next owner ("robust", EOWNERDEAD; on Windows "mutex",
 * WAIT_ABANDONED) lets that owner know the heap is at rest (everyone else
 * waits for the lock) and recover it then and there. RECOVER 0 skips the
 * heap's recovery, so the test must catch the loss.
 *
 * Messages on the channel CHAN (channel.h; descriptor 3 on POSIX, a handle
 * on Windows). <told> counts the times the lock told this process of a
 * dead owner since its last report:
 *   worker -> harness   ready | checked <blocks> <pages> <freed> <allocated> <told>
 *                       | dying <site> | survived | done <ops> <blocks> <pages> <told>
 *                       | fail <why>
 *   harness -> worker   go | stop
 *
 * Every block carries its owner's tag in its first word, checked before it
 * is freed: a block handed out twice would carry the other owner's tag.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kill_point.h"
#include "kill_test.h"
#include "kill_worker.h"
#include "shmlab/alloc.h"
#include "shmlab/region.h"
#include "shmlab/root.h"

#define STEP_MS         10000   // the longest a worker waits for the harness
#define VICTIM_OPS      200000  // a victim that has not met its kill point by then survives

static kill_chan chan;
static struct shmlab_view view;
static int with_lock;                   // 0 for the lock-free heap alone
static int recovering = 1;
static struct shmlab_heap_recovery recovered;   // by this process, told of a dead owner
static int told;                        // times the lock told it so
static enum kill_site armed_site = KILL_SITES;
static unsigned long armed_passes;

// Called at every kill point of the allocator: at the chosen pass of the
// chosen site, tell the harness where, then die on the spot.
void
shmlab_kill_point(enum kill_site site)
{
	if (site != armed_site || --armed_passes != 0)
		return;
	chan_send(chan, "dying %d", (int)site);
	die_here();
}

// Every role returns 0, or -1 once it has told the harness why.
static int
complain(const char *what, shmlab_off off)
{
	chan_send(chan, "fail %s (offset %#llx, errno %s)", what, (unsigned long long)off, strerror(errno));
	return -1;
}

static uint64_t *
block_at(shmlab_off off)
{
	return (uint64_t *)(view.base + off);
}

static shmlab_off *
table(void)
{
	shmlab_off at = 0;

	if (shmlab_root_get(&view, "kill-table", &at) < 0)
		return NULL;
	return (shmlab_off *)(view.base + at);
}

static int
recover_heap(struct shmlab_heap_recovery *rec)
{
	*rec = (struct shmlab_heap_recovery){ 0, 0 };
	if (recovering && shmlab_heap_recover(&view, rec) < 0)
		return complain("shmlab_heap_recover found the heap damaged", 0);
	return 0;
}

static int
lock_heap(void)
{
	struct shmlab_heap_recovery rec;
	int got;

	if (!with_lock)
		return 0;
	if ((got = heap_lock(STEP_MS)) == 1) {
		// Its owner died inside the heap, and everyone else waits for the
		// lock: the heap is at rest, the one moment recovery is safe.
		told++;
		if (recover_heap(&rec) < 0)
			return -1;
		recovered.blocks += rec.blocks;
		recovered.pages += rec.pages;
		got = heap_lock_repaired();
	}
	return got == 0 ? 0 : complain("cannot lock the heap", 0);
}

static void
unlock_heap(void)
{
	if (with_lock)
		heap_unlock();
}

// Allocates size bytes and tags the block; 0, -1 after a complaint, or 1
// when the heap is full.
static int
take_block(uint64_t size, uint64_t tag, shmlab_off *off)
{
	int rc;

	if (lock_heap() < 0)
		return -1;
	rc = shmlab_alloc(&view, size, 8, off);
	unlock_heap();
	if (rc < 0)
		return errno == ENOMEM ? 1 : complain("shmlab_alloc failed", 0);
	*block_at(*off) = tag;
	return 0;
}

// Frees a block after checking it still carries tag.
static int
give_back(shmlab_off off, uint64_t tag)
{
	int rc;

	if (*block_at(off) != tag)
		return complain("a block carries another owner's tag: it was handed out twice", off);
	if (lock_heap() < 0)
		return -1;
	rc = shmlab_free(&view, off);
	unlock_heap();
	return rc < 0 ? complain("shmlab_free refused a block its owner holds", off) : 0;
}

static int
prepare(const char *region, const char *lock)
{
	if (shmlab_format(&view) < 0 || shmlab_heap_init(&view, KILL_HEAP_START, view.size - KILL_HEAP_START) < 0
	    || shmlab_root_set(&view, "kill-table", KILL_TABLE_AT) < 0)
		return complain("cannot format the region", 0);
	if (with_lock && heap_lock_open(&view, region, lock, 1) < 0)
		return complain("cannot make the heap's lock", 0);
	return chan_send(chan, "ready");
}

// What the next process after a crash does, before anyone else goes on: the
// heap's repair first, then the application's own: the dead victim's blocks,
// which only its table knows. Then the heap must check clean.
static int
recover(void)
{
	struct shmlab_heap_recovery rec;
	struct shmlab_heap_stats st;
	shmlab_off *slots = table();
	unsigned freed = 0;
	int rc;

	if (slots == NULL)
		return complain("the region has no kill-table root", 0);
	if (lock_heap() < 0)
		return -1;
	rc = recover_heap(&rec);
	unlock_heap();
	if (rc < 0)
		return -1;
	for (unsigned k = 0; k < KILL_TABLE_SLOTS; k++) {
		shmlab_off off = slots[k];
		if (off == SHMLAB_NULL_OFF)
			continue;
		slots[k] = SHMLAB_NULL_OFF;
		if (give_back(off, KILL_TAG(k)) < 0)
			return -1;
		freed++;
	}
	if (shmlab_heap_check(&view, &st) < 0)
		return complain("the heap does not check clean after recovery", 0);
	return chan_send(chan, "checked %llu %llu %u %llu %d", (unsigned long long)(rec.blocks + recovered.blocks),
	    (unsigned long long)(rec.pages + recovered.pages), freed, (unsigned long long)st.blocks_allocated, told);
}

// One step of a victim: a slot of the table gets a block, or gives its block
// back. The slot is cleared before the free, so a victim killed inside
// shmlab_free() leaves the block to the heap's recovery alone. Returns 1 when
// the victim can go no further (the heap or the table is full).
static int
victim_step(shmlab_off *slots, uint64_t *rng, int claiming)
{
	unsigned k = claiming ? 0 : (unsigned)(splitmix64(rng) % 64);
	shmlab_off off;

	if (claiming) {         // fresh pages are claimed only once the lists are dry: never free
		while (k < KILL_TABLE_SLOTS && slots[k] != SHMLAB_NULL_OFF)
			k++;
		if (k == KILL_TABLE_SLOTS)
			return 1;
	}
	if (slots[k] == SHMLAB_NULL_OFF) {
		uint64_t size = claiming ? KILL_CLAIM_SIZE : 16 + splitmix64(rng) % 241;
		int rc = take_block(size, KILL_TAG(k), &off);
		if (rc != 0)
			return rc;
		slots[k] = off;
		return 0;
	}
	off = slots[k];
	slots[k] = SHMLAB_NULL_OFF;
	return give_back(off, KILL_TAG(k));
}

static int
victim(uint64_t seed)
{
	char msg[CHAN_MSG_MAX];
	shmlab_off *slots = table();
	uint64_t rng = seed;
	int claiming, rc = 0;

	if (recover() < 0)
		return -1;
	if (chan_recv(chan, msg, sizeof msg, STEP_MS) <= 0 || strcmp(msg, "go") != 0)
		return -1;
	kill_choose(seed, &armed_site, &armed_passes);
	claiming = kill_site_claims(armed_site);
	for (long op = 0; op < VICTIM_OPS && rc == 0; op++)
		rc = victim_step(slots, &rng, claiming);
	return rc < 0 ? -1 : chan_send(chan, "survived");
}

// A survivor's blocks are its own, so it keeps them in a private array.
static int
survivor(uint64_t seed)
{
	uint64_t rng = seed, tag = (uint64_t)getpid() << 16;
	shmlab_off held[64] = { 0 };
	char msg[CHAN_MSG_MAX];
	long ops = 0, extra = -1;

	while (chan_recv(chan, msg, sizeof msg, STEP_MS) > 0 && strcmp(msg, "go") == 0) {
		for (extra = -1; extra != 0; ops++) {
			unsigned k = (unsigned)(splitmix64(&rng) % 64);
			if (extra < 0 && ops % 64 == 0 && chan_recv(chan, msg, sizeof msg, 0) >= 0)
				extra = 100;    // "stop" (or the end): 100 more steps, all after the victim's death
			else if (extra > 0)
				extra--;
			if (held[k] == SHMLAB_NULL_OFF) {
				if (take_block(16 + splitmix64(&rng) % 241, tag | k, &held[k]) < 0)
					return -1;
			} else if (give_back(held[k], tag | k) < 0) {
				return -1;
			} else {
				held[k] = SHMLAB_NULL_OFF;
			}
		}
		for (unsigned k = 0; k < 64; k++)
			if (held[k] != SHMLAB_NULL_OFF && give_back(held[k], tag | k) < 0)
				return -1;
		memset(held, 0, sizeof held);
		if (chan_send(chan, "done %ld %llu %llu %d", ops, (unsigned long long)recovered.blocks,
		    (unsigned long long)recovered.pages, told) < 0)
			return -1;
		recovered = (struct shmlab_heap_recovery){ 0, 0 };
		told = 0;
	}
	return 0;       // the harness closed the channel: the test is over
}

// shmlab-kill-worker ROLE REGION ADDRESS SEED LOCK RECOVER CHAN
int
main(int argc, char **argv)
{
	struct shmlab_region region;
	uint64_t seed;
	void *at;

	if (argc != 8) {
		fprintf(stderr, "usage: shmlab-kill-worker prepare|victim|survivor|last REGION ADDRESS SEED LOCK 0|1 "
		    "CHAN\n(started by shmlab-harness kill-test, with its channel CHAN)\n");
		return 2;
	}
	at = (void *)(uintptr_t)strtoull(argv[3], NULL, 0);
	seed = strtoull(argv[4], NULL, 0);
	with_lock = strcmp(argv[5], "none") != 0;
	recovering = strcmp(argv[6], "0") != 0;
	chan = (kill_chan)(uintptr_t)strtoull(argv[7], NULL, 0);
	if (shmlab_region_open(&region, argv[2]) < 0 || shmlab_region_map(&region, at, &view) < 0)
		return -complain("cannot open and map the region at its address", 0);
	shmlab_region_close(&region);
	if (strcmp(argv[1], "prepare") == 0)
		return -prepare(argv[2], argv[5]);
	if (with_lock && heap_lock_open(&view, argv[2], argv[5], 0) < 0)
		return -complain("cannot open the heap's lock", 0);
	if (strcmp(argv[1], "victim") == 0)
		return -victim(seed);
	if (strcmp(argv[1], "survivor") == 0)
		return -survivor(seed);
	return -recover();
}
