// Mutant: settling a moved descriptor closes the giver's; here settle clears the ticket and keeps it open
// Replaces: reference/handles.c
// Caught by: 04-contract-handle-move
// That scenario gives a descriptor with SHMLAB_GIVE_MOVE, lets worker 1 take
// it, settles it, and then checks that worker 0's number is closed
// (fcntl F_GETFD fails with EBADF): here it is still open.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/handles.c as it stands (see README.md).
#include "shmlab/handles.h"

#define shmlab_handle_settle reference_handle_settle
#include "../../reference/handles.c"
#undef shmlab_handle_settle

int
shmlab_handle_settle(const struct shmlab_view *v, shmlab_off ticket, int timeout_ms)
{
	struct snapshot s;
	struct ticket *t;

	if (ticket_at(v, ticket, &t) < 0 || snapshot(t, &s) < 0)
		return -1;
	if (s.pid != (int32_t)getpid() || timeout_ms < 0)
		return fail_with(EINVAL);
	if (wait_taken(t, timeout_ms) < 0)
		return -1;
	// MUTANT: no close_source(&s) for SHMLAB_GIVE_MOVE: the giver keeps its descriptor
	clear(t);
	return 0;
}
