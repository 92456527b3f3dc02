// Mutant: a take claims a moved ticket with a load and a later store, not a compare-and-swap
// Replaces: reference/handles.c
// Caught by: 04-contract-handle-move-interleaved
// That scenario stops worker 0's handle_take of a moved descriptor before
// its store while worker 1 takes the same ticket: here worker 0 has read
// "not taken yet" and stores "taken" after worker 1 did the same, so both
// takes succeed and the descriptor is open in two processes that each
// believe they own it. handle-move, which takes a ticket from one process
// only, lets it through.
// Killed under: distinct double fork same kernel
//
// Everything else is reference/handles.c as it stands (see README.md).
#include "shmlab/handles.h"

#define shmlab_handle_take reference_handle_take
#include "../../reference/handles.c"
#undef shmlab_handle_take

// Counts a take, or for a move claims it; wakes a giver waiting in settle.
static int
claim_unlocked(struct ticket *t)
{
	uint32_t seen = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE), want;

	do {
		switch (seen & KIND) {
		case COPY:
			want = seen + ONE_TAKE;
			break;
		case MOVE:
			want = MOVED | ONE_TAKE;
			break;
		case MOVED:
			return fail_with(EALREADY);
		default:
			return fail_with(EINVAL);       // withdrawn or settled meanwhile
		}
	} while (0);
	// MUTANT: what was read above is stored now, whatever happened between
	__atomic_store_n(&t->state, want, __ATOMIC_RELEASE);
	syscall(SYS_futex, &t->state, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	return 0;
}

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
	if ((got = pull(&s)) < 0 || (got = narrow(got, access)) < 0)
		return -1;
	if (claim_unlocked(t) < 0)
		return close_keeping_errno(got);
	*fd = got;
	return 0;
}
