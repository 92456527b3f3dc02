/*
 * Loading an implementation of the contract on Windows: the three calls of
 * <dlfcn.h> that ../impl.c makes (dlfcn.h), with LoadLibrary for dlopen and
 * GetProcAddress for dlsym, so that ../impl.c fills struct impl from a DLL
 * as it does from a shared object: the same table, the same checks, the
 * same messages.
 *
 * LoadLibrary finds a DLL given by a full path there, and one given by a
 * bare name along the DLL search path ("Dynamic-Link Library Search Order").
 * Under Wine a Unix path works too (/x/y.dll is \x\y.dll on the current
 * drive, which is Z:, the root, when Wine was started from a Unix directory).
 */
#include <stdio.h>
#include <string.h>

#include <windows.h>

#include "dlfcn.h"

static char why[300];
static int failed;

// Keeps what Windows says about error e, for dlerror().
static void
remember(const char *what, DWORD e)
{
	char text[200] = "";
	size_t n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0,
	    text, sizeof text, NULL);

	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		text[--n] = '\0';
	snprintf(why, sizeof why, "%s: error %lu%s%s", what, (unsigned long)e, n ? ", " : "", text);
	failed = 1;
}

void *
dlopen(const char *path, int mode)
{
	HMODULE lib;

	(void)mode;
	if ((lib = LoadLibraryA(path)) == NULL)
		remember("LoadLibrary", GetLastError());
	return (void *)lib;
}

void *
dlsym(void *lib, const char *name)
{
	FARPROC f = GetProcAddress((HMODULE)lib, name);
	void *p;

	if (f == NULL) {
		remember("GetProcAddress", GetLastError());
		return NULL;
	}
	memcpy(&p, &f, sizeof p);       // a function's address as void *, as dlsym(3) gives it
	return p;
}

char *
dlerror(void)
{
	if (!failed)
		return NULL;
	failed = 0;
	return why;
}
