/*
 * Kill points: the places inside shmlab_alloc() and shmlab_free() where a
 * process killed on the spot leaves the heap in a state no single atomic
 * step explains, so another process has something to repair
 * (shmlab_heap_recover). They name the windows between one atomic step of
 * the allocator and the next.
 *
 * In the library they compile to nothing. The kill test builds the allocator
 * again with SHMLAB_KILL_POINTS and supplies shmlab_kill_point(), which
 * counts the passes and, at the pass its seed chose, kills the process with
 * SIGKILL right there.
 */
#ifndef SHMLAB_KILL_POINT_H
#define SHMLAB_KILL_POINT_H

enum kill_site {
	KILL_POP_READ,          // a list's head read, the block not yet taken: nothing to repair
	KILL_TAKEN,             // a block taken off its list, not yet marked handed out: lost
	KILL_MARKED,            // marked handed out, the offset not yet returned: the caller's
	KILL_PAGE_COUNTED,      // a fresh page counted as claimed, its owner not yet written: lost
	KILL_PAGE_OWNED,        // the page's owner written, none of its blocks listed: all lost
	KILL_PAGE_LISTED,       // the page's other blocks listed, its first not yet marked: lost
	KILL_UNMARKED,          // a freed block unmarked, not yet back on a list: lost
	KILL_FREED,             // a freed block back on its list: nothing to repair
	KILL_SITES
};

#ifdef SHMLAB_KILL_POINTS
void shmlab_kill_point(enum kill_site site);
#define KILL_POINT(site) shmlab_kill_point(site)
#else
#define KILL_POINT(site) ((void)0)
#endif

#endif
