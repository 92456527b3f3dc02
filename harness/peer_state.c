/*
 * Another process's state (peer_state.h), from /proc/PID/stat and the
 * process's CPU clock. Both calls are async-signal-safe on Linux: the store
 * trap's hook makes them from a signal handler.
 */
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "peer_state.h"

uint64_t
peer_cpu_ns(long pid)
{
	clockid_t clock;
	struct timespec ts;

	if (clock_getcpuclockid((pid_t)pid, &clock) != 0 || clock_gettime(clock, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// "/proc/PID/stat" into path, without stdio (not async-signal-safe).
static void
stat_path(char path[static 32], long pid)
{
	char digits[20];
	int n = 0, len = 0;

	do
		digits[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) > 0);
	for (const char *s = "/proc/"; *s; s++)
		path[len++] = *s;
	while (n > 0)
		path[len++] = digits[--n];
	for (const char *s = "/stat"; *s; s++)
		path[len++] = *s;
	path[len] = '\0';
}

// The state letter of /proc/PID/stat ('R', 'S', 'D', ...), or 0 if gone.
// It follows the last ')': the command name in parentheses may hold any byte.
static char
state_of(long pid)
{
	char path[32], buf[512];
	ssize_t n;
	int fd;

	stat_path(path, pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	for (ssize_t i = n - 1; i > 0; i--)
		if (buf[i] == ')')
			return i + 2 < n ? buf[i + 2] : 0;
	return 0;
}

int
peer_waiting(long pid, uint64_t cpu_then, uint64_t spin_ns)
{
	char state = state_of(pid);

	if (state == 0 || state == 'Z' || state == 'X')
		return -1;
	if (state == 'S')
		return 1;
	return peer_cpu_ns(pid) - cpu_then > spin_ns;
}
