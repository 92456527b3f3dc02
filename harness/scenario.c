// What scenario.h promises besides the table: finding a scenario by name,
// and fail(). Both harnesses use it, each with the table scenarios.c builds
// for its system.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"

const struct scenario *
scenario_find(const char *name)
{
	for (const struct scenario *const *p = scenarios; *p; p++)
		if (strcmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

int
fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->message, sizeof w->message, fmt, ap);
	va_end(ap);
	return -1;
}
