/*
 * 5. What the harness costs: starting, mapping, running and ending N workers
 * of 00-selftest-pass (each a fork and exec, a channel, a region mapped at a
 * chosen address, and the leftover checks), beside starting N copies of
 * /bin/true at once and waiting for them. And the POSIX conformance suite's
 * wall time on the reference, as CTest runs it.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

static int
spawn_wait(char *const argv[], int quiet)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	posix_spawn_file_actions_init(&fa);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1 /* O_WRONLY */, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static double
spawn_n(int n)
{
	char *argv[] = { "/bin/true", NULL };
	pid_t pid[64];
	uint64_t t0 = now_ns();

	for (int i = 0; i < n; i++)
		if (posix_spawn(&pid[i], argv[0], NULL, NULL, argv, environ) != 0)
			return -1;
	for (int i = 0; i < n; i++)
		waitpid(pid[i], NULL, 0);
	return (double)(now_ns() - t0) / 1e6;
}

void
bench_harness(const struct bench_opts *o, int procs, struct harness_result *r)
{
	char n[16], *argv[] = { (char *)o->harness, "run", "00-selftest-pass", "--procs", n,
	    "--strategy", "distinct", "--quiet", NULL };
	double h[REPS_MAX], s[REPS_MAX];

	snprintf(n, sizeof n, "%d", procs);
	r->procs = procs;
	for (int k = 0; k < o->reps; k++) {
		uint64_t t0 = now_ns();
		h[k] = spawn_wait(argv, 1) == 0 ? (double)(now_ns() - t0) / 1e6 : -1;
		s[k] = spawn_n(procs);
	}
	r->harness_ms = median(h, o->reps);
	r->spawn_ms = median(s, o->reps);
	if (h[0] < 0)
		r->harness_ms = -1;
}

double
bench_suite_seconds(const struct bench_opts *o)
{
	char *argv[] = { SHMLAB_CTEST, "--test-dir", (char *)o->build_dir, "-L", "conformance",
	    "-E", "mutants|win32", "-j2", "--quiet", NULL };
	uint64_t t0;

	if (o->build_dir == NULL || access(argv[0], X_OK) < 0)
		return -1;
	t0 = now_ns();
	return spawn_wait(argv, 1) == 0 ? (double)(now_ns() - t0) / 1e9 : -1;
}

// The Win32 figures: shmlab-bench-win32.exe under Wine, in the build's Wine
// prefix, which the Win32 tests make (ctest -L win32); its wineserver is
// stopped afterwards. 0, or -1 with the reason in why.
int
bench_win32(const struct bench_opts *o, struct win32_result *r, char *why, size_t len)
{
	char exe[4096], prefix[4096], cmd[8300], line[256] = "";
	FILE *out;

	snprintf(exe, sizeof exe, "%s/win32/bin/shmlab-bench-win32.exe", o->build_dir);
	snprintf(prefix, sizeof prefix, "%s/win32/prefix", o->build_dir);
	if (!*SHMLAB_WINE || !*SHMLAB_WINESERVER || access(exe, R_OK) < 0)
		return snprintf(why, len, "no Wine or no Win32 build"), -1;
	if (access(prefix, R_OK) < 0)
		return snprintf(why, len, "no Wine prefix yet: run ctest -L win32 once"), -1;
	setenv("WINEPREFIX", prefix, 1);
	setenv("WINEDEBUG", "-all", 1);
	unsetenv("DISPLAY");
	snprintf(cmd, sizeof cmd, "%s '%s' 2>/dev/null", SHMLAB_WINE, exe);
	if ((out = popen(cmd, "r")) == NULL)
		return snprintf(why, len, "cannot run Wine"), -1;
	if (fgets(line, sizeof line, out) == NULL
	    || sscanf(line, "event_rtt=%lf hwnd_rtt=%lf dup_local=%lf dup_remote=%lf", &r->event_rtt_us,
	    &r->hwnd_rtt_us, &r->dup_local_us, &r->dup_remote_us) != 4)
		snprintf(why, len, "shmlab-bench-win32.exe printed nothing usable");
	else
		why[0] = '\0';
	pclose(out);
	char *kill[] = { SHMLAB_WINESERVER, "-k", NULL };
	spawn_wait(kill, 1);
	return why[0] ? -1 : 0;
}
