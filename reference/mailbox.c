/*
 * Mailboxes (global_ids.h): a SysV message queue, named in the region by its
 * id.
 *
 * The id msgget(2) returns names the queue in every process of the IPC
 * namespace, so the region may hold it: it is the POSIX counterpart of an
 * HWND, not of a HANDLE. What the region holds is two words, written once by
 * the creator: the id, then a magic number with release order, so a process
 * that sees the magic (acquire) sees the id too. Destroy clears the magic
 * with a compare-and-swap before it removes the queue, so two destroyers
 * cannot both remove it, and senders that come later get EINVAL from the
 * magic, not from a queue id that might, one day, name another queue.
 *
 * msgrcv(2) has no timeout, so a bounded receive polls with IPC_NOWAIT and a
 * short sleep that doubles up to 6.4 ms: a receive is at most that late. It
 * times out only once timeout_ms have passed, counted in nanoseconds: whole
 * milliseconds of each part, rounded toward zero, would end it up to 1 ms
 * early whenever the wait crosses a second.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/msg.h>
#include <time.h>

#include "shmlab/global_ids.h"

#define MAILBOX_MAGIC UINT32_C(0x58424d53)      // "SMBX"

struct mailbox {
	_Atomic uint32_t magic;
	int32_t queue_id;
	uint64_t reserved;
};

_Static_assert(sizeof(struct mailbox) == SHMLAB_MAILBOX_SIZE, "mailbox layout is pinned");

struct message {
	long type;                              // msgop(2): a positive type first
	char text[SHMLAB_MAILBOX_MSG_MAX];
};

static int
fail_with(int err)
{
	errno = err;
	return -1;
}

static int
mailbox_at(const struct shmlab_view *v, shmlab_off box, struct mailbox **m)
{
	if (box == SHMLAB_NULL_OFF)     // names no place: off_to_ptr would give NULL
		return fail_with(ERANGE);
	if (box % 8 != 0)
		return fail_with(EINVAL);
	return shmlab_off_to_ptr(v, box, sizeof **m, (void **)m);
}

// The queue id of the mailbox at box, read once, after its magic.
static int
queue_of(const struct shmlab_view *v, shmlab_off box, int *id)
{
	struct mailbox *m;

	if (mailbox_at(v, box, &m) < 0)
		return -1;
	if (atomic_load_explicit(&m->magic, memory_order_acquire) != MAILBOX_MAGIC)
		return fail_with(EINVAL);
	*id = m->queue_id;
	return 0;
}

int
shmlab_mailbox_create(const struct shmlab_view *v, shmlab_off box)
{
	struct mailbox *m;
	int id;

	if (mailbox_at(v, box, &m) < 0)
		return -1;
	if ((id = msgget(IPC_PRIVATE, IPC_CREAT | 0600)) < 0)
		return -1;
	m->queue_id = id;
	m->reserved = 0;
	atomic_store_explicit(&m->magic, MAILBOX_MAGIC, memory_order_release);
	return 0;
}

int
shmlab_mailbox_send(const struct shmlab_view *v, shmlab_off box, const void *msg, size_t len)
{
	struct message out = { .type = 1 };
	int id;

	if (queue_of(v, box, &id) < 0)
		return -1;
	if (len > sizeof out.text)
		return fail_with(EMSGSIZE);
	memcpy(out.text, msg, len);
	if (msgsnd(id, &out, len, IPC_NOWAIT) < 0)
		return fail_with(errno == EIDRM ? EINVAL : errno);
	return 0;
}

// Nanoseconds from `from` to `to`, on one clock.
static int64_t
ns_between(const struct timespec *from, const struct timespec *to)
{
	return (int64_t)(to->tv_sec - from->tv_sec) * 1000000000 + (to->tv_nsec - from->tv_nsec);
}

static void
nap(long ns)
{
	nanosleep(&(struct timespec){ .tv_nsec = ns }, NULL);
}

int
shmlab_mailbox_recv(const struct shmlab_view *v, shmlab_off box, void *buf, size_t cap, size_t *len, int timeout_ms)
{
	struct message in;
	struct timespec start, now;
	long wait_ns = 50000;
	int id;

	if (queue_of(v, box, &id) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		// No MSG_NOERROR: a message longer than cap fails with E2BIG and stays.
		ssize_t n = msgrcv(id, &in, cap < sizeof in.text ? cap : sizeof in.text, 0, IPC_NOWAIT);
		if (n >= 0) {
			memcpy(buf, in.text, (size_t)n);
			*len = (size_t)n;
			return 0;
		}
		if (errno != ENOMSG)
			return fail_with(errno == EIDRM ? EINVAL : errno);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ns_between(&start, &now) >= (int64_t)timeout_ms * 1000000)
			return fail_with(ETIMEDOUT);
		nap(wait_ns);
		if (wait_ns < 4000000)
			wait_ns *= 2;
	}
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
	return msgctl(m->queue_id, IPC_RMID, NULL) < 0 && errno != EINVAL && errno != EIDRM ? -1 : 0;
}
