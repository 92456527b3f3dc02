// Mutant: a take makes exactly one descriptor; here, asked for less access, it leaves the pidfd_getfd duplicate open
// Replaces: reference/handles.c
// Caught by: 04-contract-handle-no-leak
// That scenario counts the taker's descriptors (/proc/self/fd) before and
// after a take with O_RDONLY of an O_RDWR source, which the reference
// reopens read-only: here the duplicate it reopened stays open too, two more
// descriptors where there must be one.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/handles.c as it stands (see README.md).
#include <fcntl.h>
#include "shmlab/handles.h"

#define shmlab_handle_take reference_handle_take
#include "../../reference/handles.c"
#undef shmlab_handle_take

int
shmlab_handle_take(const struct shmlab_view *v, shmlab_off ticket, int access, int *fd)
{
	struct snapshot s;
	struct ticket *t;
	char path[40];
	int got, have;

	if (ticket_at(v, ticket, &t) < 0)
		return -1;
	if (access != O_RDONLY && access != O_WRONLY && access != O_RDWR)
		return fail_with(EINVAL);
	if (snapshot(t, &s) < 0)
		return -1;
	if ((s.state & KIND) == MOVED)
		return fail_with(EALREADY);
	if ((got = pull(&s)) < 0 || (have = fcntl(got, F_GETFL)) < 0)
		return -1;
	if ((have & O_ACCMODE) != access) {
		if (rights(access) & ~rights(have & O_ACCMODE)) {
			close(got);
			return fail_with(EACCES);
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", got);
		// MUTANT: the reopened descriptor replaces got, which is never closed
		if ((got = open(path, access | O_CLOEXEC)) < 0)
			return -1;
	}
	if (claim(t) < 0)
		return close_keeping_errno(got);
	*fd = got;
	return 0;
}
