/*
 * The POSIX half of the harness: what only a POSIX system does, in POSIX's
 * words. The run's phases and their order are run.c's, the same on both
 * systems; win32/win32.c is the other half.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

// "SIGSEGV", from glibc's table of abbreviations.
static const char *
signal_name(int sig)
{
	static char buf[16];
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, sizeof buf, "SIG%s", abbrev);
	else
		snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}

// A path is shown as it is: the shell runs on this system.
static const char *
path_as_is(const char *path, char *buf, size_t len)
{
	(void)buf, (void)len;
	return path;
}

const struct report_terms report_terms = {
	.platform = NULL, .title = "", .posix_facts = 1, .death = signal_name, .shown_path = path_as_is,
};
