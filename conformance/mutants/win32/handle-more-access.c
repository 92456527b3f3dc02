// Mutant: a taken handle has no more access than asked; here take duplicates with DUPLICATE_SAME_ACCESS, ignoring `access`
// Replaces: reference/handles_win32.c
// Caught by: 04-contract-handle-access
// That scenario takes a read-write section with FILE_MAP_READ and maps the
// handle for writing, which must fail with ERROR_ACCESS_DENIED: here the
// handle has worker 0's access, and the mapping succeeds.
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
	int rc;

	if (ticket_at(v, ticket, &t) < 0 || snapshot(t, &s) < 0)
		return -1;
	if ((s.state & KIND) == CLAIMED)
		return fail_with(EALREADY);
	if (access == 0)
		access = s.access;
	if (access & ~s.access)
		return fail_with(EACCES);
	// MUTANT: DUPLICATE_SAME_ACCESS: the duplicate gets the giver's access, and `access` is ignored
	options = DUPLICATE_SAME_ACCESS | ((s.flags & SHMLAB_GIVE_MOVE) ? DUPLICATE_CLOSE_SOURCE : 0);
	if (open_giver(&s, &giver) < 0)
		return -1;
	if (s.flags & SHMLAB_GIVE_MOVE)
		rc = take_move(t, &s, giver, access, options, out);
	else
		rc = take_copy(t, &s, giver, access, options, out);
	CloseHandle(giver);
	return rc;
}
