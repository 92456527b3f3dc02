/*
 * Moving a descriptor (handles.h), the take stopped at every store while
 * another process takes the same ticket.
 *
 * 04-contract-handle-move-interleaved: a descriptor given with
 * SHMLAB_GIVE_MOVE is taken once; a second take is EALREADY. Two processes
 * that take one ticket at once race for it, and the ticket's state is the
 * word they race on. A take that reads "not yet taken" and later stores
 * "taken", without a compare-and-swap between them, lets both succeed: the
 * descriptor is then open in two processes that each believe they own it.
 * handle-move takes a ticket from one process only; this scenario makes
 * the race (interleave.h), in every run.
 *
 * Worker 0 gives a fresh descriptor with SHMLAB_GIVE_MOVE, then takes the
 * ticket itself, stopped before each of the take's stores; at the first
 * stop worker 1 takes the same ticket. Exactly one of the two takes must
 * succeed, the other fail with EALREADY. Then worker 0 settles the ticket,
 * which closes the given descriptor. The other workers have no part.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "interleave.h"
#include "shmlab/contract.h"
#include "shmlab/handles.h"

#define TICKETS         8       // moves worker 0 gives and takes, one after another
#define SETTLE_MS       2000    // a bound only: the ticket is taken by then
#define TICKET(k)       ((shmlab_off)SHMLAB_HEADER_SIZE + (shmlab_off)(k) * SHMLAB_TICKET_SIZE)

enum ask { TAKE = 1 };

// Worker 1's answer, in the control block's data: its take's result (0,
// or the errno), once per ticket.
enum { TOOK, TOOK_ERRNO, NDATA };

static int
prepare(struct worker *w, const struct shmlab_view *v)
{
	(void)w;
	interleave_reset(v);
	return 0;
}

static void
answer(struct worker *w, const struct shmlab_view *v, struct interleave *c)
{
	int fd = -1;

	if (c->what != TAKE || c->n != 0)
		return;         // one take per ticket: at the first stop
	c->data[TOOK] = (uint64_t)w->impl->handle_take(v, TICKET(c->arg), O_RDWR, &fd);
	c->data[TOOK_ERRNO] = c->data[TOOK] == 0 ? 0 : (uint64_t)errno;
	c->n = NDATA;
	if (fd >= 0)
		close(fd);
}

struct take { uint32_t k; int fd; };

static int
call_take(struct worker *w, const struct shmlab_view *v, void *arg)
{
	struct take *t = arg;

	return w->impl->handle_take(v, TICKET(t->k), O_RDWR, &t->fd);
}

// Of worker 0's take (rc, err) and worker 1's, exactly one succeeded.
static int
one_winner(struct worker *w, const struct interleave *c, int rc, int err, uint32_t k)
{
	int theirs = c->n == NDATA ? (int)c->data[TOOK] : 1, their_err = (int)c->data[TOOK_ERRNO];

	if (c->n != NDATA)
		return fail(w, "worker 0's %s made no store: worker 1 never took ticket %u", interleave_called, k);
	if (rc == 0 && theirs == 0)
		return fail(w, "ticket %u, a move, was taken twice: by worker 1 during worker 0's %s, and then by "
		    "worker 0; a take must claim the ticket with a compare-and-swap", k, interleave_called);
	if (rc != 0 && theirs != 0)
		return fail(w, "ticket %u, a move, was taken by nobody: worker 0's %s failed with %s, worker 1's "
		    "take with %s", k, interleave_called, errname(err), errname(their_err));
	if (rc != 0 && err != EALREADY)
		return fail(w, "worker 0's %s, after worker 1 took the move, failed with %s; expected EALREADY",
		    interleave_called, errname(err));
	if (theirs != 0 && their_err != EALREADY)
		return fail(w, "worker 1's take of ticket %u, after worker 0 took the move, failed with %s; expected "
		    "EALREADY", k, errname(their_err));
	return 0;
}

static int
one_move(struct worker *w, const struct shmlab_view *v, struct interleave *c, int file, uint32_t k)
{
	struct take t = { k, -1 };
	int given = dup(file), rc, err;
	char name[48];

	if (given < 0)
		return fail(w, "dup of the file to give: %s", errname(errno));
	c->n = 0;
	snprintf(name, sizeof name, "handle_take(ticket %u, a move)", k);
	if (SUCCEEDS(w, w->impl->handle_give(v, TICKET(k), given, SHMLAB_GIVE_MOVE), "handle_give(a move)") < 0) {
		close(given);
		return -1;
	}
	if (interleave_stopped(w, v, 0, name, call_take, &t, TAKE, k, &rc) < 0)
		return -1;
	err = errno;
	if (t.fd >= 0)
		close(t.fd);
	if (one_winner(w, c, rc, err, k) < 0)
		return -1;
	return SUCCEEDS(w, w->impl->handle_settle(v, TICKET(k), SETTLE_MS), "handle_settle(a move, taken)");
}

static int
stop_and_intrude(struct worker *w, const struct shmlab_view *v, struct interleave *c)
{
	int file = memfd_create("shmlab-move-interleaved", MFD_CLOEXEC), rc = 0;

	if (file < 0)
		return fail(w, "memfd_create: %s", errname(errno));
	for (uint32_t k = 0; rc == 0 && k < TICKETS; k++)
		rc = one_move(w, v, c, file, k);
	close(file);
	return rc;
}

static int
interleave_takes(struct worker *w, const struct shmlab_view *v)
{
	return interleave_run(w, v, stop_and_intrude, answer);
}

const struct scenario contract_handle_move_interleaved = {
	.name = "04-contract-handle-move-interleaved",
	.summary = "a take of a moved descriptor stopped at each store while another process takes it; exactly one wins",
	.handout = "labs/04-handles/README.md#pulling-a-descriptor-pidfd_getfd",
	.rule = "handle-move-interleaved",
	.region_size = 1 * MiB,
	.flags = CONTRACT | STORE_TRAP,
	.features = SHMLAB_FEATURE_HANDLES,
	.passes_under = ALL_STRATEGIES,
	.prepare = prepare,
	.run = interleave_takes,
};
