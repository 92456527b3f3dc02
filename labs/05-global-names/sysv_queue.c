// 05-sysv-queue-fixed and 05-stale-queue-id-broken: a SysV message queue,
// named by the id msgget(2) returns. The id is not an index into any
// process's table: it names the queue in every process of the IPC namespace
// (ipc_namespaces(7)), as an HWND names a window in every process of a
// desktop. Worker 0 makes the queue and stores the id; every worker sends to
// it; worker 0 counts the messages and removes the queue (IPC_RMID), which
// nothing else would ever do: a SysV queue outlives its processes.
//
// A name can outlive what it names. In the stale variant worker 0 removes
// the queue before anyone sends, and makes another one, as a program that
// restarts a service would (then removes that one too, so that nothing is
// left when every send fails): the stored id now names nothing. Linux makes
// ids from a slot and a sequence number, so a stale id fails (EINVAL)
// rather than naming the new queue, until the sequence wraps.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>

#include "addresses.h"
#include "scenario.h"
#include "shmlab/shared_type.h"

// ANCHOR: layout
struct mailbox_by_id {
	int32_t queue_id;       // FIXED: a SysV id, the same in every process
	int32_t newer_queue_id; // the stale variant's second queue, else -1
};
SHMLAB_SHARED_TYPE(struct mailbox_by_id);

struct message {
	long type;              // msgsnd(2): a positive type first
	char text[32];
};
// ANCHOR_END: layout

static int
make_queue(struct worker *w, const struct shmlab_view *v)
{
	struct mailbox_by_id *m = (struct mailbox_by_id *)v->base;

	m->queue_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	m->newer_queue_id = -1;
	return m->queue_id < 0 ? fail(w, "msgget: %s", strerror(errno)) : 0;
}

static int
replace_queue(struct worker *w, const struct shmlab_view *v)
{
	struct mailbox_by_id *m = (struct mailbox_by_id *)v->base;

	if (make_queue(w, v) < 0)
		return -1;
	msgctl(m->queue_id, IPC_RMID, NULL);    // the queue goes; its id stays in the region
	m->newer_queue_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (m->newer_queue_id < 0)
		return fail(w, "msgget: %s", strerror(errno));
	// Removed too, so that a run in which every send fails leaves nothing
	// behind; its id is kept to show that it is not the old one.
	msgctl(m->newer_queue_id, IPC_RMID, NULL);
	return 0;
}

// ANCHOR: send
static int
send_by_id(struct worker *w, const struct shmlab_view *v)
{
	const struct mailbox_by_id *m = (const struct mailbox_by_id *)v->base;
	struct message msg = { .type = w->index + 1 };
	int32_t id = m->queue_id;       // read once

	snprintf(msg.text, sizeof msg.text, "from worker %d", w->index);
	if (msgsnd(id, &msg, sizeof msg.text, IPC_NOWAIT) < 0)
		return fail(w, "msgsnd to queue id %d: %s: the queue it named is gone (the one made "
		    "after it got id %d)", id, strerror(errno), m->newer_queue_id);
	return 0;
}
// ANCHOR_END: send

// Worker 0: one message from each view of each worker, then the queues go.
static int
count_messages(struct worker *w, const struct shmlab_view *v)
{
	const struct mailbox_by_id *m = (const struct mailbox_by_id *)v->base;
	struct message msg;
	int got = 0, from[MAX_PROCS] = { 0 };

	while (msgrcv(m->queue_id, &msg, sizeof msg.text, 0, IPC_NOWAIT) >= 0) {
		got++;
		if (msg.type >= 1 && msg.type <= MAX_PROCS)
			from[msg.type - 1]++;
	}
	msgctl(m->queue_id, IPC_RMID, NULL);
	for (int i = 0; i < w->procs; i++)
		if (from[i] != w->views)
			return fail(w, "worker 0 received %d messages from worker %d, expected %d",
			    from[i], i, w->views);
	return got == w->procs * w->views ? 0 : fail(w, "worker 0 received %d messages", got);
}

const struct scenario lab05_sysv_queue_fixed = {
	.name = "05-sysv-queue-fixed",
	.summary = "a SysV message queue id stored in the region: one name in every process",
	.handout = "labs/05-global-names/README.md#the-fix",
	.region_size = 65536,
	.flags = SYSV_IPC,
	.passes_under = ALL_STRATEGIES,
	.prepare = make_queue,
	.run = send_by_id,
	.verify = count_messages,
};

const struct scenario lab05_stale_queue_id_broken = {
	.name = "05-stale-queue-id-broken",
	.summary = "the id of a queue that was removed and replaced",
	.handout = "labs/05-global-names/README.md#names-go-stale",
	.region_size = 65536,
	.flags = SYSV_IPC,
	.caught_under = ALL_STRATEGIES,
	.prepare = replace_queue,
	.run = send_by_id,
	.verify = count_messages,
};
