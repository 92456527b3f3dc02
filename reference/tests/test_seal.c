// A memfd sealed against shrink and grow keeps its size in every process; a POSIX shm object cannot be sealed.
// Source: fcntl(2) "File seals"; memfd_create(2) "File sealing"
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

#include "shmlab/seal.h"

struct fx {
	char name[SHMLAB_NAME_MAX];
	struct shmlab_region r;
	size_t page;
};

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof f);
	f.r.fd = -1;
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

	if (f->r.fd >= 0)
		close(f->r.fd);
	if (shm_unlink(f->name) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

static off_t
size_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_size;
}

// Both ways, and the size stays what it was.
static void
sealed_memfd_keeps_its_size(void **state)
{
	struct fx *f = *state;

	assert_int_equal(shmlab_region_create(&f->r, NULL, 4 * f->page), 0);
	assert_int_equal(shmlab_region_seal_size(&f->r), 0);
	assert_int_equal(fcntl(f->r.fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	assert_errno(ftruncate(f->r.fd, (off_t)f->page), EPERM);
	assert_errno(ftruncate(f->r.fd, (off_t)(8 * f->page)), EPERM);
	assert_errno(fallocate(f->r.fd, 0, 0, (off_t)(8 * f->page)), EPERM);
	assert_int_equal(size_of(f->r.fd), 4 * f->page);
	assert_int_equal(shmlab_region_check_sealed(&f->r), 0);
}

// F_SEAL_SEAL: nobody can add a seal afterwards, the sealer included.
static void
seals_are_frozen(void **state)
{
	struct fx *f = *state;

	assert_int_equal(shmlab_region_create(&f->r, NULL, f->page), 0);
	assert_int_equal(shmlab_region_seal_size(&f->r), 0);
	assert_errno(fcntl(f->r.fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), EPERM);
	assert_errno(shmlab_region_seal_size(&f->r), EPERM);
}

// The seal is on the file, not on a descriptor: a peer's ftruncate fails too.
static void
peer_cannot_resize(void **state)
{
	struct fx *f = *state;
	int status = 0;
	pid_t pid;

	assert_int_equal(shmlab_region_create(&f->r, NULL, 2 * f->page), 0);
	assert_int_equal(shmlab_region_seal_size(&f->r), 0);
	if ((pid = fork()) == 0) {
		int shrink = ftruncate(f->r.fd, 0) < 0 && errno == EPERM;
		int grow = ftruncate(f->r.fd, (off_t)(4 * f->page)) < 0 && errno == EPERM;
		_exit(shrink && grow ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(size_of(f->r.fd), 2 * f->page);
}

// shm_open's objects are born with F_SEAL_SEAL: no seal can ever be added.
static void
named_region_cannot_be_sealed(void **state)
{
	struct fx *f = *state;

	assert_int_equal(shmlab_region_create(&f->r, f->name, 2 * f->page), 0);
	assert_errno(shmlab_region_seal_size(&f->r), EPERM);
	assert_errno(shmlab_region_check_sealed(&f->r), EINVAL);
	assert_int_equal(ftruncate(f->r.fd, (off_t)f->page), 0);       // anyone may still resize it
}

static void
unsealed_memfd_is_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(shmlab_region_create(&f->r, NULL, f->page), 0);
	assert_errno(shmlab_region_check_sealed(&f->r), EINVAL);
}

// A peer shrank the file before the creator sealed it: sealed, but shorter
// than the view a reader would map. The size is checked after the seals.
static void
sealed_too_short_is_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(shmlab_region_create(&f->r, NULL, 2 * f->page), 0);
	assert_int_equal(ftruncate(f->r.fd, (off_t)f->page), 0);
	assert_int_equal(shmlab_region_seal_size(&f->r), 0);
	assert_errno(shmlab_region_check_sealed(&f->r), ERANGE);
}

static void
not_a_sealable_file(void **state)
{
	struct shmlab_region r = { .size = 1 };
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	r.fd = p[1];                    // the write end: F_ADD_SEALS needs a writable descriptor
	assert_errno(shmlab_region_seal_size(&r), EINVAL);
	assert_errno(shmlab_region_check_sealed(&r), EINVAL);
	close(p[0]);
	close(p[1]);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(sealed_memfd_keeps_its_size),
		T(seals_are_frozen),
		T(peer_cannot_resize),
		T(named_region_cannot_be_sealed),
		T(unsealed_memfd_is_refused),
		T(sealed_too_short_is_refused),
		T(not_a_sealable_file),
	};

	return cmocka_run_group_tests_name("seal", tests, NULL, NULL);
}
