// The allocator hands out offsets, never the same block twice, and refuses what it did not hand out.
// Source: C11 7.17 (atomics); Boost.Interprocess manual, "Managed memory segments" (for comparison)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "assert_errno.h"

#include "shmlab.h"

#define REGION (8u << 20)
#define WORKERS 4
#define ROUNDS 20000

// One memfd region, formatted, with a heap, seen through two views.
struct fx {
	struct shmlab_region r;
	struct shmlab_view a, b;
};

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f->a.base)
		munmap(f->a.base, f->a.size);
	if (f->b.base)
		munmap(f->b.base, f->b.size);
	if (f->r.fd >= 0)
		close(f->r.fd);
	return 0;
}

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof f);
	f.r.fd = -1;
	*state = &f;
	if (shmlab_region_create(&f.r, NULL, REGION) < 0 || shmlab_region_map(&f.r, NULL, &f.a) < 0
	    || shmlab_region_map(&f.r, NULL, &f.b) < 0 || shmlab_format(&f.a) < 0
	    || shmlab_heap_init(&f.a, SHMLAB_HEADER_SIZE, REGION - SHMLAB_HEADER_SIZE) < 0) {
		teardown(state);
		return -1;
	}
	return 0;
}

static void
init_refuses_bad_requests(void **state)
{
	struct fx *f = *state;
	struct shmlab_region r = { .fd = -1 };
	struct shmlab_view v = { 0 };

	assert_errno(shmlab_heap_init(&f->a, SHMLAB_HEADER_SIZE, 1 << 20), EEXIST);
	assert_int_equal(shmlab_region_create(&r, NULL, 1 << 20), 0);
	assert_int_equal(shmlab_region_map(&r, NULL, &v), 0);
	assert_errno(shmlab_heap_init(&v, SHMLAB_HEADER_SIZE, 4096), EPROTO);     // not formatted
	assert_int_equal(shmlab_format(&v), 0);
	assert_errno(shmlab_heap_init(&v, 0, 1 << 20), ERANGE);                   // over the header
	assert_errno(shmlab_heap_init(&v, SHMLAB_HEADER_SIZE, 2 << 20), ERANGE);  // past the end
	assert_errno(shmlab_heap_init(&v, SHMLAB_HEADER_SIZE, 4096), ENOSPC);     // no room for a page
	assert_errno(shmlab_alloc(&v, 16, 8, &(shmlab_off){ 0 }), EPROTO);        // no heap
	munmap(v.base, v.size);
	close(r.fd);
}

static void
alloc_refuses_bad_sizes(void **state)
{
	struct fx *f = *state;
	shmlab_off off;

	assert_errno(shmlab_alloc(&f->a, 0, 8, &off), EINVAL);
	assert_errno(shmlab_alloc(&f->a, SHMLAB_ALLOC_MAX + 1, 8, &off), EINVAL);
	assert_errno(shmlab_alloc(&f->a, 16, 3, &off), EINVAL);
	assert_errno(shmlab_alloc(&f->a, 16, 0, &off), EINVAL);
	assert_errno(shmlab_alloc(&f->a, 16, SHMLAB_ALLOC_ALIGN * 2, &off), EINVAL);
}

// Every size and alignment: inside the region, aligned, and never overlapping.
static void
blocks_are_aligned_and_disjoint(void **state)
{
	struct fx *f = *state;
	static shmlab_off off[4096];
	static uint64_t size[4096];
	int n = 0;

	for (uint64_t s = 1; s <= SHMLAB_ALLOC_MAX; s = s * 3 / 2 + 1)
		for (uint64_t al = 1; al <= SHMLAB_ALLOC_ALIGN; al *= 4, n++) {
			void *p;
			assert_int_equal(shmlab_alloc(&f->a, s, al, &off[n]), 0);
			assert_int_equal(off[n] % al, 0);
			assert_int_equal(shmlab_off_to_ptr(&f->a, off[n], s, &p), 0);
			assert_int_equal((uintptr_t)p % al, 0);
			memset(p, n & 0xff, s);
			size[n] = s;
		}
	for (int i = 0; i < n; i++) {
		unsigned char *p = f->b.base + off[i];      // the other view sees the same bytes
		for (uint64_t k = 0; k < size[i]; k++)
			assert_int_equal(p[k], i & 0xff);
	}
	for (int i = 0; i < n; i++)
		assert_int_equal(shmlab_free(&f->b, off[i]), 0);
}

static void
free_refuses_what_it_did_not_hand_out(void **state)
{
	struct fx *f = *state;
	shmlab_off off;

	assert_int_equal(shmlab_alloc(&f->a, 64, 8, &off), 0);
	assert_errno(shmlab_free(&f->a, off + 8), EINVAL);      // inside a block
	assert_errno(shmlab_free(&f->a, 16), EINVAL);           // inside the header
	assert_errno(shmlab_free(&f->a, REGION - 16), EINVAL);  // a page never claimed
	assert_errno(shmlab_free(&f->a, REGION + 64), EINVAL);  // outside the region
	assert_int_equal(shmlab_free(&f->a, off), 0);
	assert_errno(shmlab_free(&f->a, off), EINVAL);          // a double free
}

// Filling the heap ends in ENOMEM, and freeing everything gives it all back.
static void
exhaustion_and_recovery(void **state)
{
	struct fx *f = *state;
	struct shmlab_heap_stats st;
	struct shmlab_heap_recovery rec;
	shmlab_off *offs = calloc(REGION / 1024, sizeof *offs);
	int n = 0, m = 0;

	assert_non_null(offs);
	while (shmlab_alloc(&f->a, 1024, 8, &offs[n]) == 0)
		n++;
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(shmlab_heap_check(&f->a, &st), 0);
	assert_int_equal(st.blocks_allocated, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(shmlab_free(&f->a, offs[i]), 0);
	while (shmlab_alloc(&f->b, 1024, 8, &offs[m]) == 0)
		m++;
	assert_int_equal(m, n);                                 // no block was lost
	for (int i = 0; i < m; i++)
		assert_int_equal(shmlab_free(&f->a, offs[i]), 0);
	assert_int_equal(shmlab_heap_check(&f->a, &st), 0);
	assert_int_equal(st.blocks_allocated, 0);
	assert_int_equal(shmlab_heap_recover(&f->b, &rec), 0);  // nothing to mend in a heap at rest
	assert_int_equal(rec.blocks + rec.pages, 0);
	free(offs);
}

// A damaged free list is reported, not followed. A free block's first four
// bytes name the block below it (its unit + 1); point one at an allocated block.
static void
damaged_list_is_reported(void **state)
{
	struct fx *f = *state;
	struct shmlab_heap_stats st;
	struct shmlab_heap_recovery rec;
	shmlab_off a, b, c;
	uint32_t unit_b, *link_b = NULL;

	assert_int_equal(shmlab_alloc(&f->a, 32, 8, &a), 0);
	assert_int_equal(shmlab_alloc(&f->a, 32, 8, &b), 0);
	assert_int_equal(shmlab_free(&f->a, b), 0);
	assert_int_equal(shmlab_free(&f->a, a), 0);             // list: a, b, ...
	memcpy(&unit_b, f->a.base + a, sizeof unit_b);
	unit_b -= 1;
	assert_int_equal(shmlab_alloc(&f->a, 32, 8, &c), 0);    // takes a again
	assert_int_equal(c, a);
	assert_int_equal(shmlab_heap_check(&f->a, &st), 0);
	link_b = (uint32_t *)(f->a.base + b);
	*link_b = unit_b + (uint32_t)((a - b) / 16) + 1;        // b's link now names a
	assert_errno(shmlab_heap_check(&f->a, &st), EPROTO);
	assert_errno(shmlab_heap_recover(&f->a, &rec), EPROTO);  // no death explains it: not mended
	assert_int_equal(shmlab_alloc(&f->a, 32, 8, &c), 0);    // takes b
	assert_errno(shmlab_alloc(&f->a, 32, 8, &c), EPROTO);   // would hand out a twice
}

// Processes allocating and freeing at once never share a block.
static void
processes_never_share_a_block(void **state)
{
	struct fx *f = *state;
	struct shmlab_heap_stats st;
	pid_t pid[WORKERS];
	int status;

	for (int w = 0; w < WORKERS; w++) {
		if ((pid[w] = fork()) == 0) {
			shmlab_off mine[64] = { 0 };
			alarm(30);
			for (int i = 0; i < ROUNDS; i++) {
				int k = i % 64;
				if (mine[k] && (*(uint32_t *)(f->a.base + mine[k]) != (uint32_t)(w << 24 | k)
				    || shmlab_free(&f->a, mine[k]) < 0))
					_exit(1);       // someone else wrote into my block
				if (shmlab_alloc(&f->a, 16 + (uint64_t)(i % 7) * 40, 8, &mine[k]) < 0)
					_exit(2);
				*(uint32_t *)(f->a.base + mine[k]) = (uint32_t)(w << 24 | k);
			}
			for (int k = 0; k < 64; k++)
				if (shmlab_free(&f->a, mine[k]) < 0)
					_exit(3);
			_exit(0);
		}
		assert_true(pid[w] > 0);
	}
	for (int w = 0; w < WORKERS; w++) {
		assert_int_equal(waitpid(pid[w], &status, 0), pid[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(shmlab_heap_check(&f->a, &st), 0);
	assert_int_equal(st.blocks_allocated, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(init_refuses_bad_requests),
		T(alloc_refuses_bad_sizes),
		T(blocks_are_aligned_and_disjoint),
		T(free_refuses_what_it_did_not_hand_out),
		T(exhaustion_and_recovery),
		T(damaged_list_is_reported),
		T(processes_never_share_a_block),
	};

	return cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
}
