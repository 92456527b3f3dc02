// 05-mq-descriptor-broken: worker 0 makes a POSIX message queue and stores
// its descriptor in the region; every other worker sends to that number. A
// message queue descriptor is a file descriptor on Linux (mq_overview(7)):
// an index into worker 0's table, meaningless anywhere else (lab 04). The
// queue has no name left to open, by design: worker 0 unlinks it at once,
// so nothing outlives the run.
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"
#include "shmlab/shared_type.h"

struct mailbox_by_descriptor {
	int32_t mqd;            // BROKEN: a descriptor number of worker 0's
	int32_t senders;        // how many workers send
};
SHMLAB_SHARED_TYPE(struct mailbox_by_descriptor);

static int
make_queue(struct worker *w, const struct shmlab_view *v)
{
	struct mailbox_by_descriptor *m = (struct mailbox_by_descriptor *)v->base;
	struct mq_attr attr = { .mq_maxmsg = 8, .mq_msgsize = 64 };
	char name[64];
	mqd_t q;

	snprintf(name, sizeof name, "/shmlab-lab05-%d", (int)getpid());
	q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK | O_CLOEXEC, 0600, &attr);
	if (q == (mqd_t)-1)
		return fail(w, "cannot make a message queue: %s", strerror(errno));
	mq_unlink(name);        // the descriptor keeps the queue; no name is left behind
	m->mqd = (int32_t)q;    // BROKEN: the number goes into the region
	m->senders = w->procs - 1;
	return 0;
}

// ANCHOR: send
static int
send_by_descriptor(struct worker *w, const struct shmlab_view *v)
{
	const struct mailbox_by_descriptor *m = (const struct mailbox_by_descriptor *)v->base;
	char text[32];

	if (w->index == 0)
		return 0;
	snprintf(text, sizeof text, "from worker %d", w->index);
	if (mq_send((mqd_t)m->mqd, text, strlen(text), 0) < 0)      // BROKEN: worker 0's number
		return fail(w, "mq_send to descriptor %d: %s: a descriptor is an index into one "
		    "process's table", (int)m->mqd, strerror(errno));
	return 0;
}
// ANCHOR_END: send

static int
count_messages(struct worker *w, const struct shmlab_view *v)
{
	const struct mailbox_by_descriptor *m = (const struct mailbox_by_descriptor *)v->base;
	char text[64];
	int got = 0;

	while (mq_receive((mqd_t)m->mqd, text, sizeof text, NULL) >= 0)
		got++;
	mq_close((mqd_t)m->mqd);
	if (got != m->senders * w->views)
		return fail(w, "worker 0 received %d messages, expected %d", got, m->senders * w->views);
	return 0;
}

const struct scenario lab05_mq_descriptor_broken = {
	.name = "05-mq-descriptor-broken",
	.summary = "a POSIX message queue descriptor stored in the region, used by other processes",
	.handout = "labs/05-global-names/README.md#what-goes-wrong",
	.region_size = 65536,
	.passes_under = ONLY(FORK),
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = make_queue,
	.run = send_by_descriptor,
	.verify = count_messages,
};
