// An offset means the same bytes in every view, and a bad one is an error, never a wild pointer.
// Source: MapViewOfFileEx documentation ("store offsets from the base")
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "assert_errno.h"

#include "shmlab/offset.h"

// One memfd region seen through two views: no name to leak.
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
	if (shmlab_region_create(&f.r, NULL, 2 * (uint64_t)sysconf(_SC_PAGESIZE)) < 0
	    || shmlab_region_map(&f.r, NULL, &f.a) < 0
	    || shmlab_region_map(&f.r, NULL, &f.b) < 0) {
		teardown(state);        // cmocka skips teardown when setup fails
		return -1;
	}
	return 0;
}

static void *
at(const struct shmlab_view *v, int64_t off)
{
	return (void *)((uintptr_t)v->base + (uintptr_t)off);  // no UB for off < 0
}

// Zero-filled memory must read as NULL references.
static void
null_is_null(void **state)
{
	struct fx *f = *state;
	shmlab_off stored, off = 99;
	void *p = &p;

	memcpy(&stored, f->a.base + 8, sizeof stored);
	assert_int_equal(stored, SHMLAB_NULL_OFF);
	assert_int_equal(shmlab_off_to_ptr(&f->a, stored, 8, &p), 0);
	assert_null(p);
	assert_int_equal(shmlab_ptr_to_off(&f->a, NULL, 8, &off), 0);
	assert_int_equal(off, SHMLAB_NULL_OFF);
}

static void
round_trip(void **state)
{
	struct fx *f = *state;
	uint64_t offs[] = { 1, 8, 1024, f->a.size - 8 };

	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		void *p;
		shmlab_off off;

		assert_int_equal(shmlab_off_to_ptr(&f->a, offs[i], 8, &p), 0);
		assert_ptr_equal(p, f->a.base + offs[i]);
		assert_int_equal(shmlab_ptr_to_off(&f->a, p, 8, &off), 0);
		assert_int_equal(off, offs[i]);
	}
}

// The end is a valid place for nothing and not for one byte.
static void
end_of_view(void **state)
{
	struct fx *f = *state;
	uint64_t size = f->a.size;
	void *p;

	assert_int_equal(shmlab_off_to_ptr(&f->a, size, 0, &p), 0);
	assert_ptr_equal(p, f->a.base + size);
	assert_errno(shmlab_off_to_ptr(&f->a, size, 1, &p), ERANGE);
	assert_int_equal(shmlab_off_to_ptr(&f->a, size - 1, 1, &p), 0);
	assert_errno(shmlab_off_to_ptr(&f->a, size - 1, 2, &p), ERANGE);
	assert_errno(shmlab_off_to_ptr(&f->a, size + 1, 0, &p), ERANGE);
}

// off + len wraps to a small number here; a check written as a sum passes them.
static void
wrapping_sums(void **state)
{
	struct fx *f = *state;
	void *p;

	assert_errno(shmlab_off_to_ptr(&f->a, 8, UINT64_MAX, &p), ERANGE);
	assert_errno(shmlab_off_to_ptr(&f->a, UINT64_MAX, 1, &p), ERANGE);
	assert_errno(shmlab_off_to_ptr(&f->a, UINT64_MAX, 0, &p), ERANGE);
	assert_errno(shmlab_off_to_ptr(&f->a, f->a.size, UINT64_MAX, &p), ERANGE);
	assert_errno(shmlab_ptr_to_off(&f->a, f->a.base + 8, UINT64_MAX, &(shmlab_off){0}), ERANGE);
}

static void
pointer_outside_view(void **state)
{
	struct fx *f = *state;
	uint64_t size = f->a.size;
	shmlab_off off;
	int local;

	assert_errno(shmlab_ptr_to_off(&f->a, at(&f->a, -1), 0, &off), ERANGE);
	assert_errno(shmlab_ptr_to_off(&f->a, at(&f->a, -1), 2, &off), ERANGE);
	assert_errno(shmlab_ptr_to_off(&f->a, at(&f->a, (int64_t)size), 1, &off), ERANGE);
	assert_errno(shmlab_ptr_to_off(&f->a, at(&f->a, (int64_t)size - 4), 8, &off), ERANGE);
	assert_errno(shmlab_ptr_to_off(&f->a, at(&f->a, (int64_t)size + 1), 0, &off), ERANGE);
	assert_errno(shmlab_ptr_to_off(&f->a, &local, sizeof local, &off), ERANGE);
	assert_int_equal(shmlab_ptr_to_off(&f->a, at(&f->a, (int64_t)size), 0, &off), 0);
	assert_int_equal(off, size);
}

// The point of offsets: two addresses, one set of bytes.
static void
same_offset_two_views(void **state)
{
	struct fx *f = *state;
	void *pa, *pb;
	shmlab_off off;

	assert_int_equal(shmlab_off_to_ptr(&f->a, 1000, 6, &pa), 0);
	assert_int_equal(shmlab_off_to_ptr(&f->b, 1000, 6, &pb), 0);
	assert_ptr_not_equal(pa, pb);
	memcpy(pa, "hello", 6);
	assert_string_equal(pb, "hello");
	assert_int_equal(shmlab_ptr_to_off(&f->b, pb, 6, &off), 0);
	assert_int_equal(off, 1000);
	assert_errno(shmlab_ptr_to_off(&f->a, pb, 6, &off), ERANGE);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(null_is_null),
		T(round_trip),
		T(end_of_view),
		T(wrapping_sums),
		T(pointer_outside_view),
		T(same_offset_two_views),
	};

	return cmocka_run_group_tests_name("offset", tests, NULL, NULL);
}
