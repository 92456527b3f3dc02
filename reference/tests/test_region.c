// A region is created once, mapped whole, exactly where asked, never over another mapping.
// Source: mmap(2) MAP_FIXED_NOREPLACE; shm_open(3) O_CREAT|O_EXCL; shm_overview(7)
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "assert_errno.h"

#include "shmlab/region.h"

// Everything a test made, so teardown can undo it after a failed assert too.
struct fx {
	char name[SHMLAB_NAME_MAX];
	struct shmlab_region r[2];
	struct shmlab_view v[2];
	unsigned char *anon;            // a mapping standing in the way
	size_t anonlen;
	size_t page;
};

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof f);
	f.r[0].fd = f.r[1].fd = -1;
	f.page = (size_t)sysconf(_SC_PAGESIZE);
	if (shmlab_region_random_name(f.name, sizeof f.name) < 0)
		return -1;
	*state = &f;
	return 0;
}

// Raw system calls: cleanup must not depend on the code under test.
static int
teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 2; i++) {
		if (f->v[i].base)
			munmap(f->v[i].base, f->v[i].size);
		if (f->r[i].fd >= 0)
			close(f->r[i].fd);
	}
	if (f->anon)
		munmap(f->anon, f->anonlen);
	if (shm_unlink(f->name) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

// An address nothing is mapped at: the kernel's own pick, handed back.
static void *
free_address(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	assert_int_equal(munmap(p, len), 0);
	return p;
}

static int
is_mapped(void *p, size_t len)
{
	return msync(p, len, MS_ASYNC) == 0;    // ENOMEM on a hole
}

static void
random_names_differ(void **state)
{
	char a[SHMLAB_NAME_MAX], b[SHMLAB_NAME_MAX], tiny[8];

	(void)state;
	assert_int_equal(shmlab_region_random_name(a, sizeof a), 0);
	assert_int_equal(shmlab_region_random_name(b, sizeof b), 0);
	assert_string_not_equal(a, b);
	assert_memory_equal(a, "/shmlab-", 8);
	assert_null(strchr(a + 1, '/'));        // shm_open(3): one leading slash only
	assert_errno(shmlab_region_random_name(tiny, sizeof tiny), ENAMETOOLONG);
}

// O_EXCL: a second creator must neither succeed nor resize the first's region.
static void
create_is_exclusive(void **state)
{
	struct fx *f = *state;
	struct stat st;

	assert_int_equal(shmlab_region_create(&f->r[0], f->name, 2 * f->page), 0);
	assert_errno(shmlab_region_create(&f->r[1], f->name, 1), EEXIST);
	assert_int_equal(fstat(f->r[0].fd, &st), 0);
	assert_int_equal(st.st_size, 2 * f->page);
}

// A failed create must not leave a name behind.
static void
create_zero_size_fails(void **state)
{
	struct fx *f = *state;

	assert_errno(shmlab_region_create(&f->r[0], f->name, 0), EINVAL);
	assert_errno(shm_open(f->name, O_RDONLY, 0), ENOENT);
}

// umask 0, so a mode wider than 0600 is not hidden by the default 022.
static void
mode_is_0600(void **state)
{
	struct fx *f = *state;
	struct stat st;
	mode_t old = umask(0);
	int rc = shmlab_region_create(&f->r[0], f->name, f->page);

	umask(old);
	assert_int_equal(rc, 0);
	assert_int_equal(fstat(f->r[0].fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

// An odd size, so a size rounded up to pages would show.
static void
open_finds_size(void **state)
{
	struct fx *f = *state;
	uint64_t size = 3 * f->page + 100;

	assert_int_equal(shmlab_region_create(&f->r[0], f->name, size), 0);
	assert_int_equal(shmlab_region_open(&f->r[1], f->name), 0);
	assert_int_equal(f->r[1].size, size);
	assert_int_not_equal(f->r[1].fd, f->r[0].fd);
}

static void
open_missing_fails(void **state)
{
	struct fx *f = *state;

	assert_errno(shmlab_region_open(&f->r[0], f->name), ENOENT);
}

static void
map_anywhere(void **state)
{
	struct fx *f = *state;
	struct shmlab_view *v = &f->v[0];

	assert_int_equal(shmlab_region_create(&f->r[0], f->name, 2 * f->page), 0);
	assert_int_equal(shmlab_region_map(&f->r[0], NULL, v), 0);
	assert_non_null(v->base);
	assert_int_equal((uintptr_t)v->base % f->page, 0);
	assert_int_equal(v->size, 2 * f->page);
	for (size_t i = 0; i < v->size; i++)
		assert_int_equal(v->base[i], 0);
	v->base[v->size - 1] = 7;               // the whole size is writable
}

// pread, not a second view: the bytes must be the region's, not anonymous memory.
static void
map_at_free_address(void **state)
{
	struct fx *f = *state;
	size_t len = 2 * f->page;
	void *at = free_address(len);
	unsigned char c;

	assert_int_equal(shmlab_region_create(&f->r[0], f->name, len), 0);
	assert_int_equal(shmlab_region_map(&f->r[0], at, &f->v[0]), 0);
	assert_ptr_equal(f->v[0].base, at);
	f->v[0].base[f->page] = 0x42;
	assert_int_equal(pread(f->r[0].fd, &c, 1, (off_t)f->page), 1);
	assert_int_equal(c, 0x42);
}

// MAP_FIXED would succeed here and silently replace the anonymous page.
static void
map_at_busy_address(void **state)
{
	struct fx *f = *state;
	size_t len = 2 * f->page;

	f->anon = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->anon != MAP_FAILED);
	f->anonlen = len;
	f->anon[0] = 0x5a;
	f->anon[len - 1] = 0xa5;
	assert_int_equal(shmlab_region_create(&f->r[0], f->name, len), 0);
	assert_errno(shmlab_region_map(&f->r[0], f->anon, &f->v[0]), EEXIST);
	assert_int_equal(f->anon[0], 0x5a);
	assert_int_equal(f->anon[len - 1], 0xa5);
}

// One busy page in the range is enough to refuse, and the free page stays free.
static void
map_over_partial_overlap(void **state)
{
	struct fx *f = *state;
	size_t len = 2 * f->page;
	unsigned char *at = free_address(len);

	f->anon = mmap(at + f->page, f->page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	assert_ptr_equal(f->anon, at + f->page);
	f->anonlen = f->page;
	f->anon[0] = 0x5a;
	assert_int_equal(shmlab_region_create(&f->r[0], f->name, len), 0);
	assert_errno(shmlab_region_map(&f->r[0], at, &f->v[0]), EEXIST);
	assert_int_equal(f->anon[0], 0x5a);
	assert_false(is_mapped(at, f->page));
}

static void
map_unaligned_fails(void **state)
{
	struct fx *f = *state;
	unsigned char *at = free_address(f->page);

	assert_int_equal(shmlab_region_create(&f->r[0], f->name, f->page), 0);
	assert_errno(shmlab_region_map(&f->r[0], at + 1, &f->v[0]), EINVAL);
	assert_false(is_mapped(at, f->page));
}

static void
two_views_share_bytes(void **state)
{
	struct fx *f = *state;
	unsigned char *a, *b;

	assert_int_equal(shmlab_region_create(&f->r[0], f->name, 2 * f->page), 0);
	assert_int_equal(shmlab_region_map(&f->r[0], NULL, &f->v[0]), 0);
	assert_int_equal(shmlab_region_map(&f->r[0], NULL, &f->v[1]), 0);
	a = f->v[0].base;
	b = f->v[1].base;
	assert_ptr_not_equal(a, b);
	a[10] = 1;
	assert_int_equal(b[10], 1);
	b[f->page + 5] = 2;
	assert_int_equal(a[f->page + 5], 2);
}

// No name anywhere: a link count of 0, as for an unlinked shm object.
static void
memfd_region_works(void **state)
{
	struct fx *f = *state;
	struct stat st;

	assert_int_equal(shmlab_region_create(&f->r[0], NULL, f->page), 0);
	assert_string_equal(f->r[0].name, "");
	assert_int_equal(fstat(f->r[0].fd, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(f->r[0].size, f->page);
	assert_int_equal(shmlab_region_map(&f->r[0], NULL, &f->v[0]), 0);
	assert_int_equal(shmlab_region_map(&f->r[0], NULL, &f->v[1]), 0);
	f->v[0].base[100] = 9;
	assert_int_equal(f->v[1].base[100], 9);
}

// The name goes; a region already mapped stays.
static void
unlink_removes_name(void **state)
{
	struct fx *f = *state;
	struct stat st;
	unsigned char c;

	assert_int_equal(shmlab_region_create(&f->r[0], f->name, f->page), 0);
	assert_int_equal(shmlab_region_map(&f->r[0], NULL, &f->v[0]), 0);
	assert_int_equal(shmlab_region_unlink(f->name), 0);
	assert_int_equal(fstat(f->r[0].fd, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_errno(shm_open(f->name, O_RDWR, 0), ENOENT);
	assert_errno(shmlab_region_open(&f->r[1], f->name), ENOENT);
	assert_errno(shmlab_region_unlink(f->name), ENOENT);
	f->v[0].base[3] = 0x33;
	assert_int_equal(pread(f->r[0].fd, &c, 1, 3), 1);
	assert_int_equal(c, 0x33);
}

// Closing keeps views; unmapping kills pointers but not the bytes behind them.
static void
close_and_unmap_keep_data(void **state)
{
	struct fx *f = *state;

	assert_int_equal(shmlab_region_create(&f->r[0], f->name, f->page), 0);
	assert_int_equal(shmlab_region_map(&f->r[0], NULL, &f->v[0]), 0);
	assert_int_equal(shmlab_region_close(&f->r[0]), 0);
	assert_int_equal(f->r[0].fd, -1);
	f->v[0].base[17] = 0x71;
	assert_int_equal(shmlab_view_unmap(&f->v[0]), 0);
	assert_null(f->v[0].base);
	assert_errno(shmlab_view_unmap(&f->v[0]), EINVAL);
	assert_int_equal(shmlab_region_open(&f->r[1], f->name), 0);
	assert_int_equal(shmlab_region_map(&f->r[1], NULL, &f->v[1]), 0);
	assert_int_equal(f->v[1].base[17], 0x71);
}

// Mode 0600 means what it says: a process of another user cannot open the
// region, for reading or writing. The other user is `nobody` (uid 65534);
// only root can become it, so otherwise the test is skipped, saying why.
static void
other_user_cannot_open(void **state)
{
	struct fx *f = *state;
	int status = 0;
	pid_t pid;

	if (geteuid() != 0) {
		print_message("skipped: needs root, to run a process as another user (nobody)\n");
		skip();
	}
	assert_int_equal(shmlab_region_create(&f->r[0], f->name, f->page), 0);
	if ((pid = fork()) == 0) {
		int rw, ro;
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		rw = shm_open(f->name, O_RDWR, 0);
		ro = shm_open(f->name, O_RDONLY, 0);
		_exit(rw < 0 && ro < 0 && errno == EACCES ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);       // 1: opened; 3: could not become nobody
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(random_names_differ),
		T(create_is_exclusive),
		T(create_zero_size_fails),
		T(mode_is_0600),
		T(open_finds_size),
		T(open_missing_fails),
		T(map_anywhere),
		T(map_at_free_address),
		T(map_at_busy_address),
		T(map_over_partial_overlap),
		T(map_unaligned_fails),
		T(two_views_share_bytes),
		T(memfd_region_works),
		T(unlink_removes_name),
		T(close_and_unmap_keep_data),
		T(other_user_cannot_open),
	};

	return cmocka_run_group_tests_name("region", tests, NULL, NULL);
}
