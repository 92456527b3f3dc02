// 04-pidfd-getfd-fixed: the readers pull worker 0's descriptor themselves,
// with pidfd_open(2) (Linux 5.3) and pidfd_getfd(2) (Linux 5.6). The region
// carries worker 0's pid and descriptor number: facts the kernel can act on,
// not a descriptor. The kernel checks that the caller could ptrace worker 0
// (PTRACE_MODE_ATTACH_REALCREDS, ptrace(2)) and makes a new descriptor, with
// FD_CLOEXEC set, for the same open file description.
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "handoff.h"
#include "scenario.h"

#define START 7                 // where worker 0 leaves its offset; the readers only pread

static int
publish(struct worker *w, const struct shmlab_view *v)
{
	struct handoff *h = (struct handoff *)v->base;
	int fd = make_file(NULL, FILE_SIZE);

	if (fd < 0 || lseek(fd, START, SEEK_SET) != START || describe(fd, h) < 0)
		return fail(w, "cannot make worker 0's file: %s", strerror(errno));
	h->pid = (int32_t)getpid();
	h->fd = fd;             // a number the kernel looks up in worker 0's table
	// Under Yama's ptrace_scope 1 only ancestors may ptrace a process unless it
	// names a tracer: the harness that started every worker of this run.
	// Without Yama the call fails with EINVAL, and nothing was needed.
	(void)prctl(PR_SET_PTRACER, (unsigned long)getppid(), 0UL, 0UL, 0UL);
	return 0;
}

static int
explain(struct worker *w, const char *call, int err, const struct handoff *h)
{
	switch (err) {
	case ENOSYS:
		return fail(w, "%s: ENOSYS: this kernel has no pidfd_open (5.3) or pidfd_getfd (5.6); "
		    "use SCM_RIGHTS (04-scm-rights-fixed)", call);
	case EPERM:
		return fail(w, "%s: EPERM: this process may not ptrace worker 0 (pid %d): "
		    "PTRACE_MODE_ATTACH_REALCREDS needs the same user, and Yama's ptrace_scope "
		    "may forbid it; see the handout", call, (int)h->pid);
	case ESRCH:
		return fail(w, "%s: ESRCH: worker 0 (pid %d) is gone", call, (int)h->pid);
	case EBADF:
		return fail(w, "%s: EBADF: fd %d is not open in worker 0", call, (int)h->fd);
	default:
		return fail(w, "%s: %s", call, strerror(err));
	}
}

// ANCHOR: pull
static int
pull(struct worker *w, const struct handoff *h)
{
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)h->pid, 0);
	int fd;

	if (pidfd < 0)
		return explain(w, "pidfd_open", errno, h);
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)h->fd, 0);  // FIXED: the kernel makes one here
	if (fd < 0) {
		int err = errno;
		close(pidfd);
		return explain(w, "pidfd_getfd", err, h);
	}
	close(pidfd);
	return fd;
#else
	return explain(w, "pidfd_getfd", ENOSYS, h);   // headers older than Linux 5.6
#endif
}
// ANCHOR_END: pull

// ANCHOR: check
static int
pull_and_check(struct worker *w, const struct shmlab_view *v)
{
	const struct handoff *h = (const struct handoff *)v->base;
	char why[120];
	off_t at;
	int fd;

	if (w->index == 0)
		return 0;
	if ((fd = pull(w, h)) < 0)
		return -1;
	if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC)) {
		close(fd);
		return fail(w, "the pulled fd %d is not FD_CLOEXEC, and pidfd_getfd(2) says it is", fd);
	}
	if (same_file(fd, h, 0, 16, why, sizeof why) < 0) {
		close(fd);
		return fail(w, "the pulled fd %d (worker 0's %d) is %s", fd, (int)h->fd, why);
	}
	at = lseek(fd, 0, SEEK_CUR);
	close(fd);
	if (at != h->offset)
		return fail(w, "the pulled fd is at offset %lld, worker 0's at %lld: not one shared offset",
		    (long long)at, (long long)h->offset);
	return 0;
}
// ANCHOR_END: check

const struct scenario lab04_pidfd_getfd_fixed = {
	.name = "04-pidfd-getfd-fixed",
	.summary = "the readers pull worker 0's descriptor with pidfd_open and pidfd_getfd",
	.handout = "labs/04-handles/README.md#pulling-a-descriptor-pidfd_getfd",
	.region_size = 4096,
	.passes_under = ALL_STRATEGIES,
	.prepare = publish,
	.run = pull_and_check,
};
