// Helpers of the contract scenarios (see check.h).
#include <stdio.h>
#include <string.h>

#include "check.h"

int check_rc;

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
