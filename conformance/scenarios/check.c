// Helpers of the contract scenarios (see check.h).
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#ifndef _WIN32
#include <sys/stat.h>
#include <sys/sysmacros.h>
#endif

#include "check.h"

int check_rc;

#ifdef _WIN32
// glibc names errno values (strerrorname_np); mingw-w64's C runtime does not.
// These are the ones the Win32 track's scenarios can meet; errname() prints
// any other by its number.
static const char *
strerrorname_np(int err)
{
	static const struct { int value; const char *name; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { EINTR, "EINTR" },
		{ EIO, "EIO" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" }, { EEXIST, "EEXIST" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
		{ ERANGE, "ERANGE" }, { ENAMETOOLONG, "ENAMETOOLONG" }, { ENOSYS, "ENOSYS" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { EALREADY, "EALREADY" }, { EINPROGRESS, "EINPROGRESS" },
		{ EPROTO, "EPROTO" }, { ETIMEDOUT, "ETIMEDOUT" },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].value == err)
			return names[i].name;
	return NULL;
}
#endif

const char *
errname(int err)
{
	static char other[24];
	const char *name = err ? strerrorname_np(err) : "no errno";

	if (name)
		return name;
	snprintf(other, sizeof other, "errno %d", err);
	return other;
}

int
refused(struct worker *w, int rc, int err, int want, const char *what)
{
	if (rc == -1 && err == want)
		return 0;
	if (rc == -1)
		return fail(w, "%s: expected -1 with %s, got -1 with %s", what, errname(want), errname(err));
	return fail(w, "%s: expected -1 with %s, got %d (accepted)", what, errname(want), rc);
}

int
succeeded(struct worker *w, int rc, int err, const char *what)
{
	if (rc == 0)
		return 0;
	if (rc == -1)
		return fail(w, "%s: expected 0, got -1 with %s", what, errname(err));
	return fail(w, "%s: expected 0, got %d", what, rc);
}

#ifndef _WIN32
// The views of the region open as fd in this process: lines of
// /proc/self/maps (proc(5)) that name its device and inode.
int
views_of(int fd)
{
	struct stat st;
	char line[512];
	unsigned major_no, minor_no;
	unsigned long long ino;
	int n = 0;
	FILE *maps = fopen("/proc/self/maps", "r");

	if (maps == NULL || fstat(fd, &st) < 0) {
		if (maps)
			fclose(maps);
		return -1;
	}
	while (fgets(line, sizeof line, maps))
		if (sscanf(line, "%*x-%*x %*s %*x %x:%x %llu", &major_no, &minor_no, &ino) == 3
		    && ino == (unsigned long long)st.st_ino && major_no == major(st.st_dev)
		    && minor_no == minor(st.st_dev))
			n++;
	fclose(maps);
	return n;
}
#endif
