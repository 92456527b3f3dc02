// 04-exec-inherit-fixed and 04-exec-cloexec-broken: a descriptor survives
// execve(2) unless it has FD_CLOEXEC (fcntl(2)). Each worker opens a file,
// starts /bin/cat with fork and execve, and asks it to read /dev/fd/N, which
// exists in cat only if descriptor N came across the exec. The file has no
// name anywhere (memfd_create), so that descriptor is cat's only way to it.
//
// The broken version leaves FD_CLOEXEC set, as every descriptor should be by
// default; the fixed one clears it on the one descriptor meant for the child.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "handoff.h"
#include "scenario.h"

#define BOUND_MS 4000           // longest wait for cat; the harness's deadline backs it

static const char content[] = "the file the parent opened\n";

// Reads everything the child writes to the pipe, for up to BOUND_MS.
// Returns the length, or -1 when the child did not finish in time.
static ssize_t
collect(int pipe_r, char *buf, size_t len)
{
	size_t got = 0;
	struct pollfd p = { .fd = pipe_r, .events = POLLIN };

	for (;;) {
		int n = poll(&p, 1, BOUND_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		ssize_t r = read(pipe_r, buf + got, len - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (got += (size_t)r) == len - 1)
			break;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

// Starts /bin/cat /dev/fd/<fd> with its stdout and stderr on a pipe, and
// reads what it prints into out. Returns cat's exit status, or -1 with
// out set to why.
static int
cat_in_child(int fd, char *out, size_t len)
{
	char path[32];
	char *argv[] = { "cat", path, NULL };
	int p[2], status = 0, killed = 0;
	pid_t pid;

	snprintf(path, sizeof path, "/dev/fd/%d", fd);
	if (pipe2(p, O_CLOEXEC) < 0)
		return snprintf(out, len, "pipe: %s", strerror(errno)), -1;
	pid = fork();
	if (pid == 0) {         // only async-signal-safe calls until execve
		dup2(p[1], 1);  // dup2 clears FD_CLOEXEC on 1 and 2
		dup2(p[1], 2);
		execv("/bin/cat", argv);
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return snprintf(out, len, "fork: %s", strerror(errno)), -1;
	}
	if (collect(p[0], out, len) < 0) {
		kill(pid, SIGKILL);
		snprintf(out, len, "/bin/cat did not finish in %d ms: killed", BOUND_MS);
		killed = 1;
	}
	close(p[0]);
	// After EOF on the pipe, or after SIGKILL, cat is ending: this wait is short.
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return killed ? -1 : status;
}

// ANCHOR: inherit
static int
exec_and_check(struct worker *w, int keep_across_exec)
{
	char out[160];
	int fd = make_file(content, sizeof content - 1);       // FD_CLOEXEC, like every fd we open
	int status;

	if (fd < 0)
		return fail(w, "cannot make the file: %s", strerror(errno));
	if (keep_across_exec && fcntl(fd, F_SETFD, 0) < 0)     // FIXED: this one survives execve
		return fail(w, "cannot clear FD_CLOEXEC: %s", strerror(errno));
	status = cat_in_child(fd, out, sizeof out);
	close(fd);
	if (status < 0)
		return fail(w, "%s", out);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && strcmp(out, content) == 0)
		return 0;
	out[strcspn(out, "\n")] = '\0';
	return fail(w, "the exec'd /bin/cat could not read fd %d, which had FD_CLOEXEC %s: \"%s\"",
	    fd, keep_across_exec ? "cleared" : "set", out);
}
// ANCHOR_END: inherit

static int
inherit(struct worker *w, const struct shmlab_view *v)
{
	(void)v;
	return exec_and_check(w, 1);
}

static int
forget_to_clear(struct worker *w, const struct shmlab_view *v)
{
	(void)v;
	return exec_and_check(w, 0);
}

const struct scenario lab04_exec_cloexec_broken = {
	.name = "04-exec-cloexec-broken",
	.summary = "a descriptor with FD_CLOEXEC given to an exec'd child: closed at the exec",
	.handout = "labs/04-handles/README.md#inheriting-a-descriptor-across-exec",
	.region_size = 4096,
	.caught_under = ALL_STRATEGIES,
	.run = forget_to_clear,
};

const struct scenario lab04_exec_inherit_fixed = {
	.name = "04-exec-inherit-fixed",
	.summary = "a descriptor without FD_CLOEXEC, inherited across fork and execve",
	.handout = "labs/04-handles/README.md#inheriting-a-descriptor-across-exec",
	.region_size = 4096,
	.passes_under = ALL_STRATEGIES,
	.run = inherit,
};
