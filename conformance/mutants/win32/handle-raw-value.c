// Mutant: a HANDLE value is an index into one process's table; here take hands back the value the giver stored
// Replaces: reference/handles_win32.c
// Caught by: 04-contract-handle-give-take
// That scenario has each reader make sections of its own until one has the
// value worker 0 gave before it takes, so the value handed back was open
// before the take (not a new handle) and names the reader's own section, not
// worker 0's.
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

	if (ticket_at(v, ticket, &t) < 0 || snapshot(t, &s) < 0)
		return -1;
	if ((s.state & KIND) == CLAIMED)
		return fail_with(EALREADY);
	if (access == 0)
		access = s.access;
	if (access & ~s.access)
		return fail_with(EACCES);
	if (count_copy(t) < 0)
		return -1;
	// MUTANT: the giver's value, an index into the giver's handle table, is used here as it is
	*out = s.handle;
	return 0;
}
