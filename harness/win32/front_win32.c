/*
 * The Win32 answers to ../front.h. The strategies are POSIX's but `fork`,
 * which Windows does not have: asking for it is a usage error (exit 2) that
 * says so. Bases are multiples of 64 KiB, the only places Windows maps a
 * view. A CONTRACT scenario tests the DLL given with --impl, by default
 * shmlab.dll beside this program (the reference); the POSIX harness's
 * SHMLAB_IMPL names a shared object, so it is not read here. Lab 01 is
 * skipped without a 32-bit worker that this system can run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <bcrypt.h>

#include "front.h"
#include "platform.h"
#include "process_win32.h"

const char front_usage[] =
    "usage: shmlab-harness list [--json]\n"
    "       shmlab-harness impl [DLL]\n"
    "       shmlab-harness contract            the contract's version and feature sets, as JSON\n"
    "       shmlab-harness run SCENARIO [--procs N] [--strategy distinct|double|same|kernel]\n"
    "                      [--seed K] [--timeout-ms T] [--json FILE] [--quiet]\n"
    "                      [--impl DLL]   (CONTRACT scenarios; default: the reference,\n"
    "                                      shmlab.dll beside this program)\n"
    "                      [--expect]     exit 0 if the run went as predicted, 1 if not\n"
    "       shmlab-harness kill-test [--kills N] [--seed K] [--lock none|mutex|semaphore]\n"
    "                      [--no-recovery] [--timeout-ms T] [--json FILE]\n"
    "                                     workers killed inside the allocator (../kill_test.c)\n";

const char front_kill_worker[] = "shmlab-kill-worker.exe";

// How to run this program again, for replay lines: under Wine, a path on the
// Z: drive is the Unix path, run with `wine`, or with the wrapper that
// started us (build/bin/shmlab-wine sets SHMLAB_WINE_SHOWN), so the line
// works in a shell; a path under the current directory is shown relative
// to it, as the learner typed it.
const char *
front_start(const char *argv0)
{
	static char unix_cmd[2 * MAX_PATH + 8];
	char path[MAX_PATH], cwd[MAX_PATH], here[MAX_PATH];
	const char *shown = shell_path(argv0, path, sizeof path), *wine = getenv("SHMLAB_WINE_SHOWN");
	size_t n;

	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
	if (shown == argv0)
		return argv0;
	n = GetCurrentDirectoryA(sizeof cwd, cwd);
	if (n > 0 && n < sizeof cwd && shell_path(cwd, here, sizeof here) == here) {
		n = strlen(here);
		if (n > 1 && strncmp(shown, here, n) == 0 && shown[n] == '/')
			shown += n + 1;
	}
	snprintf(unix_cmd, sizeof unix_cmd, "%s %s", wine && *wine ? wine : "wine", shown);
	return unix_cmd;
}

uint64_t
front_random(void)
{
	uint64_t x;

	return BCRYPT_SUCCESS(BCryptGenRandom(NULL, (PUCHAR)&x, sizeof x, BCRYPT_USE_SYSTEM_PREFERRED_RNG)) ? x
	    : GetTickCount64();
}

// The workers live beside this program: shmlab-worker.exe, and for lab 01
// shmlab-worker32.exe, if it was built; so does the reference, shmlab.dll.
void
front_find_programs(struct run *r)
{
	static char w64[MAX_PATH], w32[MAX_PATH], dll[MAX_PATH];

	r->worker64 = platform_beside(w64, sizeof w64, "shmlab-worker.exe");
	platform_beside(w32, sizeof w32, "shmlab-worker32.exe");
	r->worker32 = front_can_start(w32) ? w32 : NULL;
	if (r->impl == NULL)
		r->impl = platform_beside(dll, sizeof dll, "shmlab.dll");
}

int
front_can_start(const char *path)
{
	return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES;
}

const char *
front_refuses(const struct run *r, const struct outputs *o)
{
	if (r->strategy == FORK)
		return "no `fork` on Windows: a process cannot copy itself there, so every worker is started "
		    "with CreateProcess; use distinct, double, same or kernel";
	if (o->svg)
		return "no --svg here: the address map is drawn by the POSIX harness";
	return NULL;
}

// Why a mixed-ABI run cannot have its 32-bit readers here, or NULL if it can.
static const char *
no_32bit_reader(const struct run *r)
{
	if (getenv("SHMLAB_NO_I386") && *getenv("SHMLAB_NO_I386"))
		return "SHMLAB_NO_I386 is set: the harness acts as if Wine's 32-bit half (wine32) were "
		    "missing or this kernel refused 32-bit x86 programs";
	if (r->other_abi == OTHER_ABI_WIN64)
		return "--other-abi win64 is the POSIX harness's reader: on the Win32 track the other ABI "
		    "is 32-bit Windows (i386)";
	if (r->worker32 == NULL)
		return "needs the 32-bit Windows worker, shmlab-worker32.exe, which was not built "
		    "(no i686-w64-mingw32-gcc when CMake configured; Debian: gcc-mingw-w64-i686)";
	if (pointer_bits_of(r->worker32, 15000) != 32)
		return "needs a 32-bit Windows worker, and this Wine cannot run 32-bit programs: Wine's "
		    "32-bit half is missing (Debian: wine32, from the i386 architecture) or this kernel "
		    "refuses 32-bit x86 programs (IA-32 emulation is off); see "
		    "labs/01-values-and-structs/README.md";
	return NULL;
}

int
front_cannot_run(struct run *r, char *why, size_t len)
{
	const char *not_here = (r->sc->flags & MIXED_ABI) && r->procs > 1 ? no_32bit_reader(r) : NULL;

	if (not_here)
		snprintf(why, len, "%s", not_here);
	return not_here != NULL;
}

// Windows' allocation granularity. A 32-bit reader needs bases below 4 GiB:
// choose_addresses_aligned gives a mixed run the low range, for everyone.
size_t
front_view_align(const struct run *r)
{
	(void)r;
	return 65536;
}

// Nothing to try again: Wine runs this whole harness, not one worker.
void
front_after_run(struct run *r)
{
	(void)r;
}

// No command of its own.
int
front_command(int argc, char **argv, int *status)
{
	(void)argc, (void)argv, (void)status;
	return 0;
}
