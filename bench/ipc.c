/*
 * 3 and 4. Passing a descriptor, and sending to a global name: latency
 * between two processes, each figure beside the plain operation it adds to.
 *
 *   pipe_rtt      one byte there and back over an AF_UNIX socket (baseline)
 *   scm_rights    the same with a descriptor attached (SCM_RIGHTS), which
 *                 the receiver closes before it answers
 *   dup           dup and close in one process (baseline for a pull)
 *   pidfd_getfd   a descriptor pulled from the other process, and closed
 *   sysv_rtt      a message there and back through a SysV queue by its id
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static int
send_fd(int sock, int fd)
{
	char byte = 'f', buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int
receive_fd(int sock)
{
	char byte, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf };
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	if ((c = CMSG_FIRSTHDR(&m)) && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

// The echoing side: answers each byte (closing any descriptor that came
// with it) until the socket closes.
static _Noreturn void
echo(int sock, int with_fd)
{
	char byte = 'a';

	alarm(120);
	for (;;) {
		if (with_fd) {
			int fd = receive_fd(sock);
			if (fd < 0)
				_exit(0);
			close(fd);
		} else if (read(sock, &byte, 1) != 1) {
			_exit(0);
		}
		if (write(sock, &byte, 1) != 1)
			_exit(0);
	}
}

// Microseconds per round trip, the median of o->reps runs of n.
static double
round_trips(const struct bench_opts *o, int n, int with_fd)
{
	int sv[2], fd = dup(0), failed = 0;
	double us[REPS_MAX];
	char byte = 'b';
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		echo(sv[1], with_fd);
	}
	close(sv[1]);
	for (int r = 0; r < o->reps && !failed; r++) {
		uint64_t t0 = now_ns();
		for (int k = 0; k < n && !failed; k++)
			failed = (with_fd ? send_fd(sv[0], fd) : (write(sv[0], &byte, 1) == 1 ? 0 : -1)) < 0
			    || read(sv[0], &byte, 1) != 1;
		us[r] = (double)(now_ns() - t0) / n / 1e3;
	}
	close(sv[0]);
	close(fd);
	waitpid(pid, NULL, 0);
	return failed ? -1 : median(us, o->reps);
}

static double
dups(const struct bench_opts *o, int n)
{
	double us[REPS_MAX];

	for (int r = 0; r < o->reps; r++) {
		uint64_t t0 = now_ns();
		for (int k = 0; k < n; k++)
			close(dup(0));
		us[r] = (double)(now_ns() - t0) / n / 1e3;
	}
	return median(us, o->reps);
}

// The taker is a child pulling the parent's stdin; its times come back on a
// pipe. Needs the right to ptrace the parent (ptrace(2)); -1 without it.
static double
pidfd_pulls(const struct bench_opts *o, int n)
{
	int report[2];
	double us[REPS_MAX];
	pid_t parent = getpid(), pid;

	if (pipe(report) < 0)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		int pidfd = (int)syscall(SYS_pidfd_open, parent, 0);
		for (int r = 0; r < o->reps; r++) {
			uint64_t t0 = now_ns();
			for (int k = 0; k < n; k++) {
				int fd = (int)syscall(SYS_pidfd_getfd, pidfd, 0, 0);
				if (fd < 0) {
					us[r] = -1;
					break;
				}
				close(fd);
			}
			if (us[r] != -1)
				us[r] = (double)(now_ns() - t0) / n / 1e3;
		}
		_exit(pidfd >= 0 && write(report[1], us, sizeof us) == (ssize_t)sizeof us ? 0 : 1);
	}
	close(report[1]);
	if (read(report[0], us, sizeof us) != (ssize_t)sizeof us)
		us[0] = -1;
	close(report[0]);
	waitpid(pid, NULL, 0);
	for (int r = 0; r < o->reps; r++)
		if (us[r] < 0)
			return -1;
	return median(us, o->reps);
}

struct msg { long type; char text[8]; };

// Type 1 goes to the child, type 2 comes back: one queue, named by its id.
static double
sysv_round_trips(const struct bench_opts *o, int n)
{
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600), failed = 0;
	double us[REPS_MAX];
	struct msg m = { 1, "ping" };
	pid_t pid;

	if (id < 0)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		alarm(120);
		while (msgrcv(id, &m, sizeof m.text, 1, 0) >= 0) {
			m.type = 2;
			if (msgsnd(id, &m, sizeof m.text, 0) < 0)
				break;
		}
		_exit(0);                       // the queue was removed: done
	}
	for (int r = 0; r < o->reps && !failed; r++) {
		uint64_t t0 = now_ns();
		for (int k = 0; k < n && !failed; k++) {
			m.type = 1;
			failed = msgsnd(id, &m, sizeof m.text, 0) < 0 || msgrcv(id, &m, sizeof m.text, 2, 0) < 0;
		}
		us[r] = (double)(now_ns() - t0) / n / 1e3;
	}
	msgctl(id, IPC_RMID, NULL);             // the child's msgrcv fails, and it exits
	waitpid(pid, NULL, 0);
	return failed ? -1 : median(us, o->reps);
}

void
bench_ipc(const struct bench_opts *o, struct ipc_result *r)
{
	int n = o->quick ? 2000 : 20000;

	r->pipe_rtt_us = round_trips(o, n, 0);
	r->scm_rights_us = round_trips(o, n, 1);
	r->dup_us = dups(o, n * 10);
	r->pidfd_getfd_us = pidfd_pulls(o, n * 10);
	r->sysv_rtt_us = sysv_round_trips(o, n);
}
