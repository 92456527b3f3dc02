// Who a process is (process.h).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process.h"

// Fields 3 and 22 of /proc/<pid>/stat, counted after the ')' that ends the
// command name (which may itself hold spaces and parentheses).
int
shmlab_proc_stat(pid_t pid, char *state, uint64_t *start)
{
	char path[32], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		errno = errno == ENOENT ? ESRCH : errno;
		return -1;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) {
		errno = ESRCH;
		return -1;
	}
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == '\0') {
		errno = EIO;
		return -1;
	}
	if (state != NULL)
		*state = p[2];
	for (int field = 2; field < 22; field++)
		if ((p = strchr(p + 1, ' ')) == NULL) {
			errno = EIO;
			return -1;
		}
	*start = strtoull(p + 1, NULL, 10);
	return 0;
}
