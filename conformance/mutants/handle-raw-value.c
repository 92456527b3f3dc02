// Mutant: a descriptor number is not a descriptor elsewhere; here take hands back the number the giver stored
// Replaces: reference/handles.c
// Caught by: 04-contract-handle-give-take
// That scenario has each reader hold a file at the number worker 0 gave
// before it takes (its own file, or under `fork` its copy of worker 0's), so
// the number handed back was open before the take: not a new descriptor,
// and under every strategy but `fork` not even worker 0's file.
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

	if (ticket_at(v, ticket, &t) < 0)
		return -1;
	if (access != O_RDONLY && access != O_WRONLY && access != O_RDWR)
		return fail_with(EINVAL);
	if (snapshot(t, &s) < 0)
		return -1;
	if ((s.state & KIND) == MOVED)
		return fail_with(EALREADY);
	if (claim(t) < 0)
		return -1;
	// MUTANT: the giver's number, an index into the giver's table, is used here as it is
	*fd = s.fd;
	return 0;
}
