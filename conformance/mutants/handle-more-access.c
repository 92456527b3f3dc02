// Mutant: a taken descriptor has no more access than asked; here take ignores `access` and returns the giver's
// Replaces: reference/handles.c
// Caught by: 04-contract-handle-access
// That scenario takes an O_RDWR source with O_RDONLY and checks F_GETFL and
// that a write fails with EBADF: here the descriptor is the giver's open
// file description, O_RDWR, and the write succeeds.
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
	int got;

	if (ticket_at(v, ticket, &t) < 0)
		return -1;
	if (access != O_RDONLY && access != O_WRONLY && access != O_RDWR)
		return fail_with(EINVAL);
	if (snapshot(t, &s) < 0)
		return -1;
	if ((s.state & KIND) == MOVED)
		return fail_with(EALREADY);
	// MUTANT: no narrow(got, access): the duplicate keeps the giver's access, whatever was asked
	if ((got = pull(&s)) < 0)
		return -1;
	if (claim(t) < 0)
		return close_keeping_errno(got);
	*fd = got;
	return 0;
}
