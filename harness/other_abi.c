// The readers of another ABI, and whether this machine runs them (other_abi.h).
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "other_abi.h"

#ifndef SHMLAB_WINE64_DEFAULT
#define SHMLAB_WINE64_DEFAULT "/usr/lib/wine/wine64"
#endif

enum { I386_PROBE_MS = 10000, WINE_PROBE_MS = 120000 };  // a new Wine prefix takes seconds

// The directory above bindir (bindir ends in "bin/"), into buf.
static void
build_dir(char *buf, size_t len, const char *bindir)
{
	size_t n = strlen(bindir);

	snprintf(buf, len, "%.*s", (int)(n >= 4 ? n - 4 : 0), bindir);
}

static char wine_prefix[PATH_MAX + 16];     // this build's, beside the Win32 track

void
other_abi_find(struct run *r, const char *bindir)
{
	static char w32[PATH_MAX + 32], win64[PATH_MAX + 48];
	char top[PATH_MAX];
	const char *wine = getenv("SHMLAB_WINE");

	build_dir(top, sizeof top, bindir);
	snprintf(w32, sizeof w32, "%sshmlab-worker-i386", bindir);
	snprintf(win64, sizeof win64, "%swin32/bin/shmlab-worker.exe", top);
	snprintf(wine_prefix, sizeof wine_prefix, "%swin32/prefix", top);
	r->worker32 = access(w32, X_OK) == 0 ? w32 : NULL;
	r->worker_win64 = access(win64, R_OK) == 0 ? win64 : NULL;
	r->wine64 = wine && *wine ? wine : SHMLAB_WINE64_DEFAULT;
}

// The environment Wine readers run in (the probe and the run's workers):
// this build's Wine prefix unless WINEPREFIX is set, Wine saying only its
// errors unless WINEDEBUG is set, no display.
static void
wine_environment(void)
{
	setenv("WINEPREFIX", wine_prefix, 0);
	setenv("WINEDEBUG", "-all,err+all", 0);    // Wine's errors only, should it fail
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
}

// Waits at most ms for pid to end; returns its wait status, or -1 after
// killing it when the time ran out. The bound needs pidfd_open(2), Linux 5.3.
static int
wait_bounded(pid_t pid, int ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status = 0, ended = 1;
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	if (pidfd >= 0) {
		while (poll(&p, 1, ms) < 0 && errno == EINTR)
			;
		ended = (p.revents & POLLIN) != 0;
		if (!ended)
			kill(pid, SIGKILL);
		close(pidfd);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return ended ? status : -1;
}

// Runs argv with no input and its output discarded. Returns its exit status;
// -1 with errno set to exec's own error when it could not start (ENOEXEC:
// a format this kernel refuses), or to ETIMEDOUT when it did not end in ms.
static int
exit_status_of(char *const argv[], int ms)
{
	int pipefd[2], err = 0, status;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		err = errno;
		(void)!write(pipefd[1], &err, sizeof err);
		_exit(127);
	}
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -1;
	}
	status = wait_bounded(pid, ms);
	if (read(pipefd[0], &err, sizeof err) != sizeof err)
		err = 0;
	close(pipefd[0]);
	if (err)
		return errno = err, -1;
	if (status < 0)
		return errno = ETIMEDOUT, -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
i386_ready(const struct run *r, char *why, size_t len)
{
	char *argv[] = { (char *)r->worker32, "--abi", NULL };
	int bits;

	if (getenv("SHMLAB_NO_I386") && *getenv("SHMLAB_NO_I386"))
		return snprintf(why, len, "SHMLAB_NO_I386 is set: the harness acts as if this kernel "
		    "refused 32-bit x86 programs"), 0;
	if (r->worker32 == NULL)
		return snprintf(why, len, "the 32-bit worker was not built: the compiler has no 32-bit "
		    "libraries (Debian: gcc-multilib)"), 0;
	if ((bits = exit_status_of(argv, I386_PROBE_MS)) == 32)
		return 1;
	if (bits < 0 && errno == ENOEXEC)
		return snprintf(why, len, "this kernel cannot run 32-bit x86 programs (IA-32 emulation "
		    "is off: CONFIG_IA32_EMULATION, or the ia32_emulation= boot parameter)"), 0;
	return snprintf(why, len, "the 32-bit worker does not run here (%s)",
	    bits < 0 ? strerror(errno) : "wrong exit status"), 0;
}

static int
win64_ready(const struct run *r, char *why, size_t len)
{
	char *argv[] = { (char *)r->wine64, (char *)r->worker_win64, "--abi", NULL };
	int bits;

	if (r->worker_win64 == NULL)
		return snprintf(why, len, "the Win32 track was not built (mingw-w64; Debian: "
		    "gcc-mingw-w64-x86-64)"), 0;
	if (access(r->wine64, X_OK) < 0)
		return snprintf(why, len, "no 64-bit Wine loader at %s (Debian: wine64; or set "
		    "SHMLAB_WINE)", r->wine64), 0;
	wine_environment();
	if ((bits = exit_status_of(argv, WINE_PROBE_MS)) == 64)
		return 1;
	return snprintf(why, len, "64-bit Wine does not run the Windows worker (%s); try: "
	    "%s %s --abi", bits < 0 ? strerror(errno) : "wrong exit status", r->wine64, r->worker_win64), 0;
}

int
other_abi_ready(struct run *r, char *why, size_t len)
{
	char no32[200], no64[300];

	if (r->other_abi == OTHER_ABI_I386)
		return i386_ready(r, why, len);
	if (r->other_abi == OTHER_ABI_WIN64)
		return win64_ready(r, why, len);
	if (i386_ready(r, no32, sizeof no32))
		return r->other_abi = OTHER_ABI_I386, 1;
	if (win64_ready(r, no64, sizeof no64))
		return r->other_abi = OTHER_ABI_WIN64, 1;
	snprintf(why, len, "no reader of another ABI runs here: i386: %s; win64: %s", no32, no64);
	return 0;
}

int
other_abi_twin(struct run *r, char *why, size_t len)
{
	static char twin[PATH_MAX + 8];
	const char *slash = strrchr(r->impl, '/');
	int dir = slash ? (int)(slash - r->impl + 1) : 0;

	snprintf(twin, sizeof twin, "%.*si386/%s", dir, r->impl, r->impl + dir);
	if (access(twin, R_OK) == 0)
		return r->impl32 = twin, 1;
	return snprintf(why, len, "no i386 build of %s at %s: build the implementation for i386 too (-m32; "
	    "cmake does so for the project's own libraries where it builds i386 programs), or run where "
	    "that build is (under --strategy fork every worker is 64-bit and needs none, but then no "
	    "process of another ABI shares the region)", r->impl, twin), 0;
}

int
wine_failed_to_start(const struct run *r, int *which)
{
	for (int i = 0; i < r->procs; i++) {
		const struct worker_record *w = &r->w[i];
		if (windows_reader(r, i) && w->reaped && !w->heard && !w->killed) {
			*which = i;
			return 1;
		}
	}
	return 0;
}
