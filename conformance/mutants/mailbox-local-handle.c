// Mutant: a mailbox is named in the region by a global id; here by a POSIX message queue descriptor, worker 0's alone
// Replaces: reference/mailbox.c
// Caught by: 05-contract-mailbox-global-id
// The queue is real and works in the process that made it (and in its
// forked children, which inherit the descriptor), so only a process started
// on its own sees that the number names nothing in its table.
// Killed under: distinct double same kernel
//
// Everything else is reference/mailbox.c as it stands (see README.md).
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <unistd.h>

#define shmlab_mailbox_create reference_mailbox_create
#define shmlab_mailbox_send reference_mailbox_send
#define shmlab_mailbox_recv reference_mailbox_recv
#define shmlab_mailbox_destroy reference_mailbox_destroy
#include "../../reference/mailbox.c"
#undef shmlab_mailbox_create
#undef shmlab_mailbox_send
#undef shmlab_mailbox_recv
#undef shmlab_mailbox_destroy

int
shmlab_mailbox_create(const struct shmlab_view *v, shmlab_off box)
{
	struct mq_attr attr = { .mq_maxmsg = 10, .mq_msgsize = SHMLAB_MAILBOX_MSG_MAX };
	struct mailbox *m;
	char name[64];
	mqd_t q;

	if (mailbox_at(v, box, &m) < 0)
		return -1;
	snprintf(name, sizeof name, "/shmlab-mutant-%d", (int)getpid());
	if ((q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK, 0600, &attr)) == (mqd_t)-1)
		return -1;
	mq_unlink(name);
	// MUTANT: a descriptor, an index into this process's table, goes into the region
	m->queue_id = (int32_t)q;
	atomic_store_explicit(&m->magic, MAILBOX_MAGIC, memory_order_release);
	return 0;
}

int
shmlab_mailbox_send(const struct shmlab_view *v, shmlab_off box, const void *msg, size_t len)
{
	int q;

	if (queue_of(v, box, &q) < 0)
		return -1;
	if (len > SHMLAB_MAILBOX_MSG_MAX)
		return fail_with(EMSGSIZE);
	return mq_send((mqd_t)q, msg, len, 0);
}

// A message too long for the caller's buffer waits here for the next
// receive, as it would stay in a SysV queue: this mutant has one bug only.
static char kept[SHMLAB_MAILBOX_MSG_MAX];
static ssize_t kept_len = -1;

int
shmlab_mailbox_recv(const struct shmlab_view *v, shmlab_off box, void *buf, size_t cap, size_t *len, int timeout_ms)
{
	int q;

	if (queue_of(v, box, &q) < 0)
		return -1;
	for (int waited = 0; kept_len < 0; waited++) {
		kept_len = mq_receive((mqd_t)q, kept, sizeof kept, NULL);
		if (kept_len >= 0)
			break;
		if (errno != EAGAIN)
			return -1;
		if (waited >= timeout_ms)
			return fail_with(ETIMEDOUT);
		nap(1000000);
	}
	if ((size_t)kept_len > cap)
		return fail_with(E2BIG);
	memcpy(buf, kept, (size_t)kept_len);
	*len = (size_t)kept_len;
	kept_len = -1;
	return 0;
}

int
shmlab_mailbox_destroy(const struct shmlab_view *v, shmlab_off box)
{
	struct mailbox *m;
	uint32_t magic = MAILBOX_MAGIC;

	if (mailbox_at(v, box, &m) < 0)
		return -1;
	if (!atomic_compare_exchange_strong_explicit(&m->magic, &magic, 0, memory_order_acq_rel,
	    memory_order_acquire))
		return fail_with(EINVAL);
	return mq_close((mqd_t)m->queue_id);
}
