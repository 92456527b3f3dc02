#include <stdio.h>
#include <sys/resource.h>

#include "rlimits.h"

const char *
limit_of(int resource, char *buf, size_t len)
{
	struct rlimit lim;

	if (getrlimit(resource, &lim) < 0)
		return "unknown";
	if (lim.rlim_cur == RLIM_INFINITY)
		return "unlimited";
	if (resource == RLIMIT_AS)      // ulimit -v counts KiB
		snprintf(buf, len, "%llu KiB", (unsigned long long)lim.rlim_cur / 1024);
	else
		snprintf(buf, len, "%llu", (unsigned long long)lim.rlim_cur);
	return buf;
}
