/*
 * The Win32 half of the harness: what only Windows does, in Windows' words.
 * The run's phases and their order are ../run.c's, the same on both
 * systems; ../posix.c is the other half.
 */
#include <stdio.h>
#include <string.h>

#include <windows.h>

#include "report.h"
#include "supervise_win32.h"

// The name of an exception code, "EXCEPTION_ACCESS_VIOLATION", else its hex:
// what a Win32 report says where a POSIX one names a signal.
static const char *
exception_name(int code)
{
	static const struct { unsigned code; const char *name; } names[] = {
		{ 0xC0000005u, "EXCEPTION_ACCESS_VIOLATION" }, { 0xC0000006u, "EXCEPTION_IN_PAGE_ERROR" },
		{ 0xC000001Du, "EXCEPTION_ILLEGAL_INSTRUCTION" }, { 0xC0000094u, "EXCEPTION_INT_DIVIDE_BY_ZERO" },
		{ 0xC00000FDu, "EXCEPTION_STACK_OVERFLOW" }, { 0x80000003u, "EXCEPTION_BREAKPOINT" },
	};
	static char buf[16];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].code == (unsigned)code)
			return names[i].name;
	snprintf(buf, sizeof buf, "%#010x", (unsigned)code);
	return buf;
}

const char *
shell_path(const char *path, char *buf, size_t len)
{
	HMODULE ntdll = GetModuleHandleA("ntdll.dll");
	size_t n;

	if (ntdll == NULL || GetProcAddress(ntdll, "wine_get_version") == NULL
	    || (path[0] != 'Z' && path[0] != 'z') || path[1] != ':' || path[2] != '\\')
		return path;
	n = (size_t)snprintf(buf, len, "%s", path + 2);
	for (size_t i = 0; i < n && i < len; i++)
		if (buf[i] == '\\')
			buf[i] = '/';
	return buf;
}

const struct report_terms report_terms = {
	.platform = "win32", .title = "  (Win32)", .posix_facts = 0, .death = exception_name,
	.shown_path = shell_path,
};
