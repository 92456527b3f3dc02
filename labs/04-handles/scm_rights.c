// 04-scm-rights-fixed: worker 0 hands its open file to each reader over an
// AF_UNIX socket, as SCM_RIGHTS ancillary data: the kernel makes a new
// descriptor in the receiver for the same open file description (unix(7)).
// The socket's name is abstract (it starts with a NUL byte), so it lives in
// no directory and disappears with the last descriptor of the socket.
//
// One conversation per reader and per view, served one at a time by worker 0,
// so the shared file offset can be checked without races:
//
//   worker 0 -> reader   its offset now, and two descriptors: its file, and a
//                        note it made for this reader and closes at once
//   reader -> worker 0   how many bytes it read through the file's descriptor
//   worker 0 -> reader   "done": worker 0 has checked that its own offset moved
//
// then the reader reads the note, which worker 0 closed long before: an open
// file lives until its last descriptor is closed, wherever that one is.
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "handoff.h"
#include "scenario.h"

#define BOUND_MS 4000           // longest wait for a peer; the harness's deadline backs it
#define START 7                 // where worker 0 leaves its offset before the first reader
#define CHUNK 16                // bytes each reader reads through the shared offset

static const char note_text[] = "the note worker 0 closed before you read it\n";

static int served;              // worker 0: conversations finished
static int listener = -1;       // worker 0: its listening socket, from prepare to the last reader
static int file = -1;           // worker 0: its file

static socklen_t
address(const struct handoff *h, struct sockaddr_un *a)
{
	size_t len = strnlen(h->socket, sizeof h->socket);

	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, h->socket, len);        // sun_path[0] == 0: abstract
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
}

// Waits up to BOUND_MS for fd to become readable. Returns 0, or -1 with errno
// ETIMEDOUT.
static int
wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	while ((n = poll(&p, 1, BOUND_MS)) < 0 && errno == EINTR)
		;
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

static int
start_serving(struct worker *w, const struct shmlab_view *v)
{
	struct handoff *h = (struct handoff *)v->base;
	struct sockaddr_un a;

	file = make_file(NULL, FILE_SIZE);
	if (file < 0 || lseek(file, START, SEEK_SET) != START || describe(file, h) < 0)
		return fail(w, "cannot make worker 0's file: %s", strerror(errno));
	h->pid = (int32_t)getpid();
	h->fd = file;           // for the record only: no reader uses it
	snprintf(h->socket, sizeof h->socket, "shmlab-04-%ld-%016llx",
	    (long)getpid(), (unsigned long long)w->seed);
	listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&a, address(h, &a)) < 0
	    || listen(listener, 2 * 32) < 0)            // every reader of every view at once
		return fail(w, "cannot listen on @%s: %s", h->socket, strerror(errno));
	return 0;
}

// ANCHOR: send
static int
send_file(int conn, int fd, int note, int64_t offset)
{
	int fds[2] = { fd, note };
	union {                 // aligned for struct cmsghdr, as cmsg(3) asks
		char buf[CMSG_SPACE(sizeof fds)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &offset, .iov_len = sizeof offset };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof u.buf,
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;      // FIXED: the kernel makes descriptors in the receiver
	c->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(c), fds, sizeof fds);
	return sendmsg(conn, &m, MSG_NOSIGNAL) == (ssize_t)sizeof offset ? 0 : -1;
}
// ANCHOR_END: send

// One conversation with one reader, on conn.
static int
serve(struct worker *w, int conn)
{
	int64_t before, read_by_reader = 0;
	off_t after;
	int note = make_file(note_text, sizeof note_text - 1);

	if (note < 0)
		return fail(w, "cannot make the note: %s", strerror(errno));
	before = (int64_t)lseek(file, 0, SEEK_CUR);
	if (send_file(conn, file, note, before) < 0) {
		close(note);
		return fail(w, "sendmsg with SCM_RIGHTS: %s", strerror(errno));
	}
	close(note);            // worker 0 holds no descriptor of the note now
	errno = 0;
	if (wait_readable(conn) < 0 || recv(conn, &read_by_reader, sizeof read_by_reader, 0) != sizeof read_by_reader)
		return fail(w, "no word from reader %d of %d: %s", served + 1, (w->procs - 1) * w->views,
		    errno ? strerror(errno) : "it hung up");
	after = lseek(file, 0, SEEK_CUR);
	if ((int64_t)after != before + read_by_reader)
		return fail(w, "a reader read %lld bytes, and worker 0's offset went from %lld to %lld: "
		    "not one shared offset", (long long)read_by_reader, (long long)before, (long long)after);
	if (send(conn, "done", 4, MSG_NOSIGNAL) != 4)
		return fail(w, "cannot tell the reader: %s", strerror(errno));
	return 0;
}

// Worker 0 serves every reader of every view in its first call; the second
// call under `double` finds nothing left to do.
static int
serve_all(struct worker *w)
{
	int target = (w->procs - 1) * w->views;

	for (; served < target; served++) {
		errno = 0;
		int conn = wait_readable(listener) < 0 ? -1 : accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0)
			return fail(w, "only %d of %d readers connected: %s", served, target, strerror(errno));
		int r = serve(w, conn);
		close(conn);
		if (r < 0)
			return -1;
	}
	if (listener >= 0)
		close(listener);
	listener = -1;
	return 0;
}

// ANCHOR: receive
static int
receive_file(int conn, int *fd, int *note, int64_t *offset)
{
	int fds[2];
	union {
		char buf[CMSG_SPACE(sizeof fds)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = offset, .iov_len = sizeof *offset };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof u.buf,
	};
	struct cmsghdr *c;

	if (recvmsg(conn, &m, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof *offset)
		return -1;
	c = CMSG_FIRSTHDR(&m);
	if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS
	    || c->cmsg_len != CMSG_LEN(sizeof fds) || (m.msg_flags & MSG_CTRUNC)) {
		errno = EPROTO;
		return -1;
	}
	memcpy(fds, CMSG_DATA(c), sizeof fds);
	*fd = fds[0];           // FIXED: a number in this process's own table
	*note = fds[1];
	return 0;
}
// ANCHOR_END: receive

// ANCHOR: check
static int
check_file(struct worker *w, int conn, int fd, int note, int64_t offset, const struct handoff *h)
{
	char why[120], buf[CHUNK], ack[4], text[sizeof note_text];
	int64_t n = CHUNK;

	if (same_file(fd, h, offset, CHUNK, why, sizeof why) < 0)
		return fail(w, "received fd %d (worker 0's was %d) is %s", fd, h->fd, why);
	if (lseek(fd, 0, SEEK_CUR) != offset)
		return fail(w, "received fd %d is at offset %lld, worker 0's at %lld: not one shared offset",
		    fd, (long long)lseek(fd, 0, SEEK_CUR), (long long)offset);
	if (read(fd, buf, CHUNK) != CHUNK)      // moves the offset for worker 0 too
		return fail(w, "cannot read %d bytes through fd %d: %s", CHUNK, fd, strerror(errno));
	if (send(conn, &n, sizeof n, MSG_NOSIGNAL) != sizeof n)
		return fail(w, "cannot answer worker 0: %s", strerror(errno));
	if (wait_readable(conn) < 0 || recv(conn, ack, sizeof ack, 0) != sizeof ack)
		return fail(w, "worker 0 did not confirm that its offset moved (see its report)");
	// Worker 0 closed its descriptor of the note before it even read our answer.
	if (pread(note, text, sizeof text - 1, 0) != (ssize_t)sizeof text - 1
	    || memcmp(text, note_text, sizeof text - 1) != 0)
		return fail(w, "the note, closed by worker 0, does not read back here");
	return 0;
}
// ANCHOR_END: check

static int
connect_and_check(struct worker *w, const struct shmlab_view *v)
{
	const struct handoff *h = (const struct handoff *)v->base;
	struct sockaddr_un a;
	int64_t offset;
	int fd = -1, note = -1, r;
	int conn = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (conn < 0 || connect(conn, (struct sockaddr *)&a, address(h, &a)) < 0) {
		r = fail(w, "cannot connect to worker 0 at @%.*s: %s", SOCKET_NAME_MAX, h->socket, strerror(errno));
	} else if (wait_readable(conn) < 0 || receive_file(conn, &fd, &note, &offset) < 0) {
		r = fail(w, "no descriptor from worker 0: %s", strerror(errno));
	} else {
		r = check_file(w, conn, fd, note, offset, h);
	}
	if (fd >= 0)
		close(fd);      // this process's descriptors; worker 0's are its own
	if (note >= 0)
		close(note);    // the note's last descriptor: now it is gone
	if (conn >= 0)
		close(conn);
	return r;
}

static int
run(struct worker *w, const struct shmlab_view *v)
{
	return w->index == 0 ? serve_all(w) : connect_and_check(w, v);
}

const struct scenario lab04_scm_rights_fixed = {
	.name = "04-scm-rights-fixed",
	.summary = "the open file passed over an AF_UNIX socket with SCM_RIGHTS",
	.handout = "labs/04-handles/README.md#passing-a-descriptor-scm_rights",
	.region_size = 4096,
	.passes_under = ALL_STRATEGIES,
	.prepare = start_serving,
	.run = run,
};
