// assert_errno(call, err): the call fails (-1) and says why with err. errno
// is cleared first, so a stale errno from an earlier call cannot pass. The
// cmocka test files include it after <cmocka.h>.
#ifndef SHMLAB_TEST_ASSERT_ERRNO_H
#define SHMLAB_TEST_ASSERT_ERRNO_H

#include <errno.h>

#define assert_errno(call, err) do { \
	errno = 0; \
	assert_int_equal((call), -1); \
	assert_int_equal(errno, (err)); \
} while (0)

#endif
