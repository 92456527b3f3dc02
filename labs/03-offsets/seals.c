// 03-shrunk-unsealed and 03-sealed-fixed: a peer does not have to write a
// bad offset to hurt its readers; it can cut the region short. Any process
// holding the region's descriptor can ftruncate it, and a view that then
// reaches past the file's new end raises SIGBUS on the first touch of such a
// page (mmap(2)). Checking offsets against the view does not help: the view
// is still that long, the file behind it is not.
//
// Here the region is a memfd, handed to each worker as a descriptor. Worker 0
// stamps every page, then, as the hostile peer, cuts the region down to its
// first page and says so in that page, which survives. The other workers
// wait for the news (bounded), then read every page: without a seal each
// dies of SIGBUS on page 1, in every run, since the cut happened before the
// read. With the size sealed by the region's creator (the harness, before
// any worker existed), the peer's ftruncate fails with EPERM, and every page
// is still there.
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"
#include "shmlab/seal.h"
#include "shmlab/shared_type.h"

#define STAMP           UINT64_C(0x5ea1ed0000000000)   // + the page's number
#define BOUND_NS        3000000000u                     // how long a reader waits for the news: 3 s

struct news {                   // at offset 0: the first page is never cut off
	uint32_t tried;         // 1 once worker 0 has called ftruncate; atomic
	int32_t error;          // its errno then, 0 if it shrank the region
};
SHMLAB_SHARED_TYPE(struct news);

static uint64_t
page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static int
stamp_pages(struct worker *w, const struct shmlab_view *v)
{
	(void)w;
	for (uint64_t p = 1; p < v->size / page_size(); p++)
		*(uint64_t *)(v->base + p * page_size()) = STAMP + p;
	return 0;
}

// ANCHOR: cut
// Worker 0, the hostile peer: cut the region down to its first page.
static void
cut_region(struct worker *w, const struct shmlab_view *v)
{
	struct news *n = (struct news *)v->base;
	int rc = ftruncate(w->region_fd, (off_t)page_size());

	n->error = rc < 0 ? errno : 0;
	__atomic_store_n(&n->tried, 1, __ATOMIC_RELEASE);
}
// ANCHOR_END: cut

// Whether the news came within the bound; a reader that reads before the cut
// would prove nothing.
static int
wait_for_news(struct worker *w, const struct news *n)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!__atomic_load_n(&n->tried, __ATOMIC_ACQUIRE)) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((uint64_t)(t.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)(t.tv_nsec - t0.tv_nsec) > BOUND_NS)
			return fail(w, "worker 0 never said it had tried to cut the region");
		sched_yield();
	}
	return 0;
}

static int
read_every_page(struct worker *w, const struct shmlab_view *v)
{
	for (uint64_t p = 1; p < v->size / page_size(); p++) {
		uint64_t got = *(const volatile uint64_t *)(v->base + p * page_size());
		if (got != STAMP + p)
			return fail(w, "page %llu holds %#llx", (unsigned long long)p, (unsigned long long)got);
	}
	return 0;
}

// ANCHOR: unsealed
static int
read_unsealed(struct worker *w, const struct shmlab_view *v)
{
	struct news *n = (struct news *)v->base;

	if (w->index == 0) {
		cut_region(w, v);
		return n->error ? fail(w, "could not cut the region: %s", strerror(n->error)) : 0;
	}
	if (wait_for_news(w, n) < 0)
		return -1;
	return read_every_page(w, v);           // BROKEN: page 1 is past the file's end now
}
// ANCHOR_END: unsealed

// ANCHOR: sealed
static int
read_sealed(struct worker *w, const struct shmlab_view *v)
{
	struct news *n = (struct news *)v->base;
	struct shmlab_region r = { .fd = w->region_fd, .size = v->size };

	if (w->index == 0) {
		cut_region(w, v);
		return n->error == EPERM ? 0 : fail(w, "ftruncate by a peer: expected EPERM, got %s",
		    n->error ? strerror(n->error) : "success");
	}
	if (shmlab_region_check_sealed(&r) < 0)         // FIXED: refuse a region a peer can cut
		return fail(w, "the region's size is not sealed: %s", strerror(errno));
	if (wait_for_news(w, n) < 0)
		return -1;
	return read_every_page(w, v);
}
// ANCHOR_END: sealed

const struct scenario lab03_shrunk_unsealed_broken = {
	.name = "03-shrunk-unsealed-broken",
	.summary = "a peer ftruncates the region shorter while others read it: SIGBUS",
	.handout = "labs/03-offsets/README.md#a-peer-that-shrinks-the-region",
	.region_size = 65536,
	.flags = MEMFD_REGION,
	.caught_under = ALL_STRATEGIES,
	.prepare = stamp_pages,
	.run = read_unsealed,
};

const struct scenario lab03_sealed_fixed = {
	.name = "03-sealed-fixed",
	.summary = "the same peer against a memfd sealed against shrink and grow: EPERM",
	.handout = "labs/03-offsets/README.md#a-peer-that-shrinks-the-region",
	.region_size = 65536,
	.flags = SEALED_REGION,
	.passes_under = ALL_STRATEGIES,
	.prepare = stamp_pages,
	.run = read_sealed,
};
