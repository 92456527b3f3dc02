/*
 * The contract scenarios' helpers (../../conformance/scenarios/check.c), for
 * the Win32 build: that file as it is, but for the names of errno values,
 * which glibc's strerrorname_np gives it on POSIX and which mingw-w64's C
 * runtime does not have. errno_name() gives the ones the scenarios of this
 * track can meet; errname() prints any other by its number.
 */
#include <errno.h>
#include <stddef.h>

static const char *errno_name(int err);
#define strerrorname_np errno_name
#include "../../conformance/scenarios/check.c"
#undef strerrorname_np

static const char *
errno_name(int err)
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
