// Mutant: a take makes exactly one handle; here it never closes the handle to the giver's process it opened
// Replaces: reference/handles_win32.c
// Caught by: 04-contract-handle-no-leak
// That scenario lists the handles open in the taker (GetHandleInformation on
// each value) before and after a take: here there are two more, the handle
// taken and the one OpenProcess gave, where there must be one.
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
	DWORD options;

	if (ticket_at(v, ticket, &t) < 0 || snapshot(t, &s) < 0)
		return -1;
	if ((s.state & KIND) == CLAIMED)
		return fail_with(EALREADY);
	if (access == 0)
		access = s.access;
	if (access & ~s.access)
		return fail_with(EACCES);
	options = (s.flags & SHMLAB_GIVE_MOVE) ? DUPLICATE_CLOSE_SOURCE : 0;
	if (open_giver(&s, &giver) < 0)
		return -1;
	// MUTANT: no CloseHandle(giver): every take leaves the giver's process open in the taker
	if (s.flags & SHMLAB_GIVE_MOVE)
		return take_move(t, &s, giver, access, options, out);
	return take_copy(t, &s, giver, access, options, out);
}
