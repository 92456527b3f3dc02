/*
 * shmlab-harness.exe: the Win32 harness, with the command line of ../main.c.
 *
 *   shmlab-harness list [--json]
 *   shmlab-harness run SCENARIO [--procs N] [--strategy S] [--seed K]
 *                      [--timeout-ms T] [--json FILE] [--quiet] [--impl DLL]
 *   shmlab-harness kill-test [--kills N] [--seed K] [--lock none|mutex|semaphore]
 *                      [--no-recovery] [--timeout-ms T] [--json FILE]
 *
 * The strategies are POSIX's but `fork`, which Windows does not have: asking
 * for it is a usage error (exit 2) that says so. Bases are multiples of
 * 64 KiB, the only places Windows maps a view. A CONTRACT scenario tests the
 * DLL given with --impl, by default shmlab.dll beside this program (the
 * reference); the POSIX harness's SHMLAB_IMPL names a shared object, so it
 * is not read here. Exit status: 0 the run passed, 1 it failed, 2 bad usage
 * or the harness could not do its job (a library that cannot be loaded
 * included), 77 skipped (lab 01 without a 32-bit worker that this system can
 * run, or a library that does not declare a feature set the scenario needs).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <bcrypt.h>

#include "impl.h"
#include "kill_test.h"
#include "report.h"
#include "process_win32.h"

enum { EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_SKIP = 77 };
#define VIEW_ALIGN 65536u       // Windows' allocation granularity

static const char *progname = "shmlab-harness";

// How to run this program again, for replay lines: under Wine, a path on the
// Z: drive is the Unix path, run with `wine`, so the line works in a shell.
static const char *
replay_name(const char *argv0)
{
	static char unix_cmd[MAX_PATH + 8];
	char path[MAX_PATH];
	const char *shown = shell_path(argv0, path, sizeof path);

	if (shown == argv0)
		return argv0;
	snprintf(unix_cmd, sizeof unix_cmd, "wine %s", shown);
	return unix_cmd;
}

static const char usage[] =
    "usage: shmlab-harness list [--json]\n"
    "       shmlab-harness run SCENARIO [--procs N] [--strategy distinct|double|same|kernel]\n"
    "                      [--seed K] [--timeout-ms T] [--json FILE] [--quiet]\n"
    "                      [--impl DLL]   (CONTRACT scenarios; default: the reference,\n"
    "                                      shmlab.dll beside this program)\n"
    "       shmlab-harness kill-test [--kills N] [--seed K] [--lock none|mutex|semaphore]\n"
    "                      [--no-recovery] [--timeout-ms T] [--json FILE]\n"
    "                                     workers killed inside the allocator (../kill_test.c)\n";

// The workers live beside this program: shmlab-worker.exe, and for lab 01
// shmlab-worker32.exe, if it was built; so does the reference, shmlab.dll,
// the library CONTRACT scenarios test unless --impl names another.
static void
find_worker(struct run *r)
{
	static char w64[MAX_PATH + 32], w32[MAX_PATH + 32], dll[MAX_PATH + 32];
	char self[MAX_PATH];
	DWORD n = GetModuleFileNameA(NULL, self, sizeof self);
	char *slash;

	self[n < sizeof self ? n : 0] = '\0';
	slash = strrchr(self, '\\');
	if (slash)
		slash[1] = '\0';
	snprintf(w64, sizeof w64, "%sshmlab-worker.exe", self);
	snprintf(w32, sizeof w32, "%sshmlab-worker32.exe", self);
	snprintf(dll, sizeof dll, "%sshmlab.dll", self);
	r->worker64 = w64;
	r->worker32 = GetFileAttributesA(w32) == INVALID_FILE_ATTRIBUTES ? NULL : w32;
	if (r->impl == NULL)
		r->impl = dll;
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

static int
skip(const struct run *r, const struct outputs *o, const char *why)
{
	if (o->json && report_json(o->json, r, progname, why) < 0)
		fprintf(stderr, "shmlab-harness: cannot write %s\n", o->json);
	printf("%s  strategy %s: SKIP: %s\n", r->sc->name, strategy_name(r->strategy), why);
	return EXIT_SKIP;
}

// A CONTRACT scenario's library, loaded here before any worker starts, as
// ../main.c does: one that cannot be tested is refused (exit 2), one that
// does not declare a feature set the scenario needs is skipped (77), never
// passed. Returns 0 to go on, else the exit status.
static int
refuse_or_skip(struct run *r, const struct outputs *o)
{
	char why[400], names[64];
	struct impl im;

	if (!(r->sc->flags & CONTRACT))
		return 0;
	if (impl_load(&im, r->impl, why, sizeof why) < 0) {
		fprintf(stderr, "shmlab-harness: %s\n", why);
		return EXIT_USAGE;
	}
	r->impl_version = im.version;
	if (!(r->sc->features & ~im.features))
		return 0;
	snprintf(why, sizeof why, "%s not supported by %s (its shmlab_features() does not declare it)",
	    feature_list(r->sc->features & ~im.features, names, sizeof names), r->impl);
	return skip(r, o, why);
}

static int
run(int argc, char **argv)
{
	static struct run r = { .procs = 2, .strategy = DISTINCT, .timeout_ms = 10000 };
	struct outputs o = { 0 };
	const char *not_here;
	char why[160];
	int stop;

	uint64_t seed;

	if (parse_run(argc, argv, &r, &o, usage) < 0)
		return EXIT_USAGE;
	if (r.strategy == FORK) {
		fprintf(stderr, "shmlab-harness: no `fork` on Windows: a process cannot copy itself there, so every "
		    "worker is started with CreateProcess; use distinct, double, same or kernel\n");
		return EXIT_USAGE;
	}
	if (o.svg) {
		fprintf(stderr, "shmlab-harness: no --svg here: the address map is drawn by the POSIX harness\n");
		return EXIT_USAGE;
	}
	if (!o.seed_given && BCRYPT_SUCCESS(BCryptGenRandom(NULL, (PUCHAR)&seed, sizeof seed,
	    BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
		r.seed = seed & UINT32_MAX;
	find_worker(&r);
	if (GetFileAttributesA(r.worker64) == INVALID_FILE_ATTRIBUTES) {
		fprintf(stderr, "shmlab-harness: cannot find the worker program %s: build it\n", r.worker64);
		return EXIT_USAGE;
	}
	if ((stop = refuse_or_skip(&r, &o)) != 0)
		return stop;
	if ((r.sc->flags & MIXED_ABI) && r.procs > 1 && (not_here = no_32bit_reader(&r)) != NULL)
		return skip(&r, &o, not_here);
	// A 32-bit reader needs bases below 4 GiB: the low range, for everyone.
	if (choose_addresses_aligned(&r.plan, r.strategy, r.seed, r.procs, r.sc->region_size,
	    (r.sc->flags & MIXED_ABI) != 0, VIEW_ALIGN, why, sizeof why) < 0) {
		fprintf(stderr, "shmlab-harness: %s\n", why);
		return EXIT_USAGE;
	}
	fflush(stdout);
	supervise(&r);
	if (!o.quiet)
		report_text(stdout, &r, progname);
	if (o.json && report_json(o.json, &r, progname, NULL) < 0)
		fprintf(stderr, "shmlab-harness: cannot write %s\n", o.json);
	if (r.result == RESULT_ERROR)
		fprintf(stderr, "shmlab-harness: %s\n", r.problem);
	if (o.expect)
		return verdict_of(&r) == VERDICT_AS_PREDICTED ? 0 : verdict_of(&r) == VERDICT_ERROR ? EXIT_USAGE
		    : EXIT_FAILED;
	return r.result == RESULT_PASS ? 0 : r.result == RESULT_ERROR ? EXIT_USAGE : EXIT_FAILED;
}

// The kill test, with the workers beside this program: shmlab-kill-worker.exe.
static int
kill_command(int argc, char **argv)
{
	struct kill_options o = { .seed = GetTickCount64() };
	char worker[MAX_PATH + 32];
	DWORD n = GetModuleFileNameA(NULL, worker, MAX_PATH);
	char *slash;

	if (BCRYPT_SUCCESS(BCryptGenRandom(NULL, (PUCHAR)&o.seed, sizeof o.seed, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
		o.seed %= 1000000000;   // short enough to read out and type back, as on POSIX
	if (kill_parse(argc, argv, &o) < 0)
		return fprintf(stderr, "%s", usage), EXIT_USAGE;
	worker[n < MAX_PATH ? n : 0] = '\0';
	if ((slash = strrchr(worker, '\\')) != NULL)
		slash[1] = '\0';
	strcat(worker, "shmlab-kill-worker.exe");
	fflush(stdout);
	return kill_test(worker, &o, progname);
}

int
main(int argc, char **argv)
{
	progname = replay_name(argv[0]);
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		for (const struct scenario *const *p = scenarios; *p; p++)
			printf("%s\n", (*p)->name);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "list") == 0 && strcmp(argv[2], "--json") == 0)
		return report_list_json(stdout), 0;
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "kill-test") == 0)
		return kill_command(argc - 1, argv + 1);
	fprintf(stderr, "%s", usage);
	return EXIT_USAGE;
}
