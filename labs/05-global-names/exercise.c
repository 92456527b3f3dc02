/*
 * Lab 05 exercise: a mailbox named by a global id.
 *
 * The labs' exercises together form your implementation of the shmlab
 * contract (conformance/CONTRACT.md), built into libshmlab-learner.so. This
 * file is lab 05's part, the mailbox of the feature set global ids
 * (SHMLAB_FEATURE_GLOBAL_IDS): shmlab_mailbox_create(), _send(), _recv()
 * and _destroy(), as reference/include/shmlab/global_ids.h specifies them,
 * each a stub marked TODO that fails with ENOSYS. The mailbox's layout and
 * the helpers for a bounded wait are written for you. Lab 06's part is the
 * other half of the set: until it is done too, the set is not whole.
 *
 * Check it (see the handout's "Exercise"):
 *
 *   ./tour check 05            the rules of labs 01 to 05, a table of what passes
 *   ./tour check 05 --hint     and a hint for the first rule that fails
 *   ./tour watch 05            again at every save
 *
 * The rules are mailbox-global-id and recv-timeout.
 *
 * The rule. What the region holds must name the queue in every process that
 * maps it. A message queue descriptor (mq_open(3)) is a number in one
 * process's table, like any descriptor (lab 04). A System V message queue
 * id (msgget(2)) is the kernel's name for the queue in the whole IPC
 * namespace: any process that reads it from the region can msgsnd(2) to it.
 * So the mailbox holds the id, and nothing of any one process.
 */
#include <errno.h>
#include <string.h>
#include <sys/msg.h>
#include <time.h>

#include "learner.h"

// ANCHOR: mailbox
#define MAILBOX_MAGIC   UINT32_C(0x3178626d)    // the bytes "mbx1": a mailbox is here

struct learner_mailbox {
	uint32_t magic;         // MAILBOX_MAGIC while the queue exists; atomics only
	int32_t queue;          // msgget(2)'s id: the same queue in every process
	uint64_t pad;
};

static_assert(sizeof(struct learner_mailbox) == SHMLAB_MAILBOX_SIZE, "a mailbox fills its 16 bytes");
static_assert(offsetof(struct learner_mailbox, queue) == 4, "mailbox layout is pinned");
// ANCHOR_END: mailbox

// What msgsnd(2) and msgrcv(2) take: a positive type, then the bytes. It
// lives in this process's memory, never in the region (a long is 4 bytes
// in an i386 process, 8 in an x86-64 one).
struct message {
	long type;
	char text[SHMLAB_MAILBOX_MSG_MAX];
};

// Written for you; unused until your code calls it.
#define GIVEN __attribute__((unused))

// Sleeps a while between two looks at a queue: msgrcv(2) has no timeout, so
// a bounded receive looks with IPC_NOWAIT and naps. *nap_ns starts at 0 and
// doubles from 50 us up to 6.4 ms: a message is seen at most that late, and
// a long wait costs a few hundred wakeups a second, asleep in between.
static GIVEN void
nap(long *nap_ns)
{
	*nap_ns = *nap_ns == 0 ? 50000 : *nap_ns < 6400000 ? *nap_ns * 2 : *nap_ns;
	nanosleep(&(struct timespec){ .tv_nsec = *nap_ns }, NULL);
}

// ANCHOR: create
// Makes a queue (msgget(2): IPC_PRIVATE, IPC_CREAT, mode 0600) and writes
// its id at box, then the magic with a release store: a process that sees
// the magic (acquire) sees the id. ERANGE (box is the null offset 0, or
// the 16 bytes are not inside the view), EINVAL (box not aligned to 8),
// msgget's errno (ENOSPC).
int
shmlab_mailbox_create(const struct shmlab_view *v, shmlab_off box)
// ANCHOR_END: create
{
	(void)v;
	(void)box;
	errno = ENOSYS;         // TODO: msgget, store the id, publish the magic
	return -1;
}

// Sends len bytes, without waiting (IPC_NOWAIT). ERANGE, EINVAL (no magic:
// no mailbox there), EMSGSIZE (len over SHMLAB_MAILBOX_MSG_MAX), EAGAIN (the
// queue is full). A queue removed meanwhile is EIDRM or EINVAL from the
// kernel: say EINVAL, as for a destroyed mailbox.
int
shmlab_mailbox_send(const struct shmlab_view *v, shmlab_off box, const void *msg, size_t len)
{
	(void)v;
	(void)box;
	(void)msg;
	(void)len;
	errno = ENOSYS;         // TODO: read the id once, then msgsnd
	return -1;
}

// Takes the oldest message into buf (at most cap bytes) and its length into
// *len, waiting at most timeout_ms: look with msgrcv(IPC_NOWAIT), and while
// there is none (ENOMSG), nap() until the deadline; then ETIMEDOUT. Without
// MSG_NOERROR a message longer than cap fails with E2BIG and stays queued.
int
shmlab_mailbox_recv(const struct shmlab_view *v, shmlab_off box, void *buf, size_t cap, size_t *len,
    int timeout_ms)
{
	(void)v;
	(void)box;
	(void)buf;
	(void)cap;
	(void)len;
	(void)timeout_ms;
	errno = ENOSYS;         // TODO: read the id once, then look and nap until the deadline
	return -1;
}

// Clears the magic by compare-and-swap, so that of two destroyers one wins
// and the other gets EINVAL, then removes the queue (msgctl(2) IPC_RMID).
// ERANGE, EINVAL (no mailbox there).
int
shmlab_mailbox_destroy(const struct shmlab_view *v, shmlab_off box)
{
	(void)v;
	(void)box;
	errno = ENOSYS;         // TODO: claim the magic, then IPC_RMID
	return -1;
}
