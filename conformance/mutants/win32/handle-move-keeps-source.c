// Mutant: taking a moved handle closes the giver's; here take duplicates it without DUPLICATE_CLOSE_SOURCE
// Replaces: reference/handles_win32.c
// Caught by: 04-contract-handle-move
// That scenario gives a section with SHMLAB_GIVE_MOVE, lets worker 1 take
// it, settles it, and then checks that worker 0's handle is closed
// (GetHandleInformation fails with ERROR_INVALID_HANDLE): here it is still
// open.
// Killed under: distinct double same kernel
//
// Everything else is reference/handles_win32.c as it stands (see ../README.md).
#include "shmlab/handles.h"

#define shmlab_handle_take reference_handle_take
#include "../../../reference/handles_win32.c"
#undef shmlab_handle_take

int
shmlab_handle_take(const struct shmlab_view *v, shmlab_off ticket, DWORD access, HANDLE *out)
{
	struct snapshot s;
	struct ticket *t;
	HANDLE giver;
	int rc;

	if (ticket_at(v, ticket, &t) < 0 || snapshot(t, &s) < 0)
		return -1;
	if ((s.state & KIND) == CLAIMED)
		return fail_with(EALREADY);
	if (access == 0)
		access = s.access;
	if (access & ~s.access)
		return fail_with(EACCES);
	if (open_giver(&s, &giver) < 0)
		return -1;
	// MUTANT: options 0 for a move too: no DUPLICATE_CLOSE_SOURCE, the giver keeps its handle
	if (s.flags & SHMLAB_GIVE_MOVE)
		rc = take_move(t, &s, giver, access, 0, out);
	else
		rc = take_copy(t, &s, giver, access, 0, out);
	CloseHandle(giver);
	return rc;
}
