/*
 * A Win32 worker: one process that maps the region and runs its part of a
 * scenario, started by the harness with CreateProcess, so it has an address
 * space of its own. The same protocol as ../worker.c, with what Windows
 * offers in place of signals:
 *
 *   - a fault is caught by an unhandled-exception filter, which reports the
 *     exception code and the address (for an access violation, the address
 *     that was touched, ExceptionInformation[1]) through the pipe, then ends
 *     the process with the exception code as its exit status, as Windows
 *     itself would, so the harness also sees the real death;
 *   - a watchdog thread ends the process if the harness goes quiet for
 *     longer than the run's bound; the harness's job object ends it anyway
 *     if the harness itself dies (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE).
 *
 * For a CONTRACT scenario the worker loads the library under test (--impl, a
 * DLL, with ../impl.c) and maps its views through it, as ../worker.c does.
 *
 * There is no `fork` on Windows, so no worker ever starts another worker; a
 * scenario that needs a process of its own starts this program as a helper
 * (helpers_win32.h).
 *
 * The POSIX harness starts this program too, under 64-bit Wine, as lab 01's
 * reader of another ABI (../other_abi.h): then its channel is its standard
 * input and output (--chan=stdio, a socket on which Wine keeps every write
 * one message), and the region is the Linux harness's shm file, opened by
 * its path on Wine's drive Z: (--region-file) and mapped with
 * MapViewOfFileEx at the address asked, as any file can be.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "addresses.h"
#include "channel_win32.h"
#include "helpers_win32.h"
#include "impl.h"
#include "scenario.h"

struct job {
	const struct scenario *sc;
	struct worker w;
	struct impl impl;               // CONTRACT scenarios: loaded from impl_path
	const char *impl_path;
	const char *region;
	const char *region_file;        // a file to map instead of a named region
	HANDLE chan, chan_in;           // chan_in: where words come from; chan, unless stdio
	int timeout_ms;
	int nviews;
	uintptr_t at[MAX_VIEWS];
	struct shmlab_view view[MAX_VIEWS];
};

static HANDLE report_chan = INVALID_HANDLE_VALUE;      // for the exception filter

static LONG WINAPI
on_fault(EXCEPTION_POINTERS *ep)
{
	const EXCEPTION_RECORD *er = ep->ExceptionRecord;
	DWORD code = er->ExceptionCode;
	uintptr_t addr = (uintptr_t)er->ExceptionAddress;

	if ((code == EXCEPTION_ACCESS_VIOLATION || code == EXCEPTION_IN_PAGE_ERROR) && er->NumberParameters >= 2)
		addr = (uintptr_t)er->ExceptionInformation[1];     // the address touched, not the code's
	if (report_chan != INVALID_HANDLE_VALUE)
		chan_send(report_chan, "signal %#lx %#llx", (unsigned long)code, (unsigned long long)addr);
	TerminateProcess(GetCurrentProcess(), code);
	return EXCEPTION_CONTINUE_SEARCH;       // not reached
}

static DWORD WINAPI
watchdog(void *ms)
{
	Sleep((DWORD)(uintptr_t)ms);
	ExitProcess(3);
}

static _Noreturn void
give_up(struct job *j, const char *what)
{
	chan_send(j->chan, "error %s: %s", what, strerror(errno));
	ExitProcess(3);
}

// Maps the file at j->region_file: every view the file's whole size, each at
// its address. The file's handle and the section's may close at once; the
// views keep the section.
static void
map_file_views(struct job *j)
{
	HANDLE file, section;
	LARGE_INTEGER size;

	file = CreateFileA(j->region_file, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE
	    | FILE_SHARE_DELETE, NULL, OPEN_EXISTING, 0, NULL);
	if (file == INVALID_HANDLE_VALUE || !GetFileSizeEx(file, &size)) {
		errno = ENOENT;
		give_up(j, j->region_file);
	}
	section = CreateFileMappingA(file, NULL, PAGE_READWRITE, 0, 0, NULL);
	CloseHandle(file);
	if (section == NULL) {
		errno = EINVAL;
		give_up(j, "CreateFileMapping");
	}
	for (int v = 0; v < j->nviews; v++) {
		j->view[v].size = (uint64_t)size.QuadPart;
		j->view[v].base = MapViewOfFileEx(section, FILE_MAP_ALL_ACCESS, 0, 0, 0, (void *)j->at[v]);
		if (j->view[v].base == NULL) {
			errno = EEXIST;
			give_up(j, "MapViewOfFileEx at the address asked");
		}
	}
	CloseHandle(section);
}

// Opens and maps the region: the file given (lab 01's reader under the POSIX
// harness); else through the library under test for a CONTRACT scenario
// (mapping at a given address is part of the contract), through the
// reference linked in otherwise.
static void
map_views(struct job *j)
{
	char why[120];

	if (j->region_file)
		map_file_views(j);
	else if (impl_map_views(j->w.impl, j->region, j->nviews, j->at, j->view, why, sizeof why) < 0)
		give_up(j, why);
}

static void
load_impl(struct job *j)
{
	char why[CHAN_MSG_MAX - 16];

	if (!(j->sc->flags & CONTRACT))
		return;
	if (j->impl_path == NULL || impl_load(&j->impl, j->impl_path, why, sizeof why) < 0) {
		chan_send(j->chan, "error %s", j->impl_path ? why : "no implementation given (--impl)");
		ExitProcess(3);
	}
	j->w.impl = &j->impl;
}

static void
announce(struct job *j)
{
	char bases[64] = "";

	for (int v = 0; v < j->nviews; v++)
		snprintf(bases + strlen(bases), sizeof bases - strlen(bases), " %#llx",
		    (unsigned long long)(uintptr_t)j->view[v].base);
	chan_send(j->chan, "mapped %lu %d%s", (unsigned long)GetCurrentProcessId(), (int)sizeof(void *) * 8, bases);
}

// Makes every view but `open` inaccessible, so a reference that escapes the
// view it was read through faults instead of quietly reading the same bytes.
static void
fence_all_but(struct job *j, int open)
{
	DWORD old;

	for (int v = 0; v < j->nviews; v++)
		VirtualProtect(j->view[v].base, (SIZE_T)j->view[v].size,
		    v == open ? PAGE_READWRITE : PAGE_NOACCESS, &old);
}

static int
run_through(struct job *j, int (*step)(struct worker *, const struct shmlab_view *), int v)
{
	if (step == NULL)
		return 0;
	fence_all_but(j, v);
	j->w.view = v;
	return step(&j->w, &j->view[v]);
}

static void
step_or_fail(struct job *j, int (*step)(struct worker *, const struct shmlab_view *), int v)
{
	if (run_through(j, step, v) < 0) {
		chan_send(j->chan, "fail %s", j->w.message);
		ExitProcess(1);
	}
}

static void
obey(struct job *j)
{
	char cmd[CHAN_MSG_MAX];
	int n;

	for (;;) {
		n = chan_recv(j->chan_in, cmd, sizeof cmd, j->timeout_ms);
		if (n < 0)
			give_up(j, "no word from the harness");
		if (n == 0 || strcmp(cmd, "quit") == 0)
			ExitProcess(0);
		if (strcmp(cmd, "prepare") == 0) {
			step_or_fail(j, j->sc->prepare, 0);
			chan_send(j->chan, "ok 0 0");   // no heap bounds: Windows has many heaps
		} else if (strcmp(cmd, "run") == 0) {
			for (int v = j->nviews - 1; v >= 0; v--)
				step_or_fail(j, j->sc->run, v);
			chan_send(j->chan, "pass");
		} else if (strcmp(cmd, "verify") == 0) {
			step_or_fail(j, j->sc->verify, j->nviews - 1);
			chan_send(j->chan, "verified");
		}
	}
}

static int
parse(struct job *j, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "index", 1, 0, 'i' }, { "procs", 1, 0, 'n' }, { "region", 1, 0, 'r' },
		{ "chan", 1, 0, 'c' }, { "at", 1, 0, 'a' }, { "views", 1, 0, 'v' },
		{ "timeout-ms", 1, 0, 't' }, { "seed", 1, 0, 's' }, { "impl", 1, 0, 'l' },
		{ "region-file", 1, 0, 'f' }, { 0, 0, 0, 0 },
	};
	int c, nat = 0;

	j->w.procs = 1;
	j->nviews = 1;
	j->timeout_ms = 10000;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': j->w.index = atoi(optarg); break;
		case 'n': j->w.procs = atoi(optarg); break;
		case 'r': j->region = optarg; break;
		case 'c':
			j->chan = strcmp(optarg, "stdio") == 0 ? GetStdHandle(STD_OUTPUT_HANDLE)
			    : (HANDLE)(uintptr_t)strtoull(optarg, NULL, 0);
			j->chan_in = strcmp(optarg, "stdio") == 0 ? GetStdHandle(STD_INPUT_HANDLE) : j->chan;
			break;
		case 'f': j->region_file = optarg; break;
		case 'v': j->nviews = atoi(optarg); break;
		case 't': j->timeout_ms = atoi(optarg); break;
		case 's': j->w.seed = strtoull(optarg, NULL, 0); break;
		case 'l': j->impl_path = optarg; break;
		case 'a':
			if (nat == MAX_VIEWS)
				return -1;
			j->at[nat++] = (uintptr_t)strtoull(optarg, NULL, 0);
			break;
		default: return -1;
		}
	}
	if (optind != argc - 1 || (j->region == NULL) == (j->region_file == NULL) || j->chan == NULL || j->nviews < 1 || j->nviews > MAX_VIEWS)
		return -1;
	j->w.views = j->nviews;
	j->sc = scenario_find(argv[optind]);
	return j->sc ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct job j = { .w.region_fd = -1 };  // Win32 offers no descriptor

	if (argc == 2 && strcmp(argv[1], "--abi") == 0)
		return (int)sizeof(void *) * 8;        // the harness asks before a mixed-ABI run
	if (argc == 5 && strcmp(argv[1], GIVE_AND_EXIT) == 0)
		return give_and_exit(argv[2], argv[3], argv[4]);
	if (parse(&j, argc, argv) < 0) {
		fprintf(stderr, "shmlab worker: started with bad arguments; the harness starts workers\n");
		return 2;
	}
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
	report_chan = j.chan;
	SetUnhandledExceptionFilter(on_fault);
	// Outlives the harness's own bound, as alarm() does on POSIX.
	CloseHandle(CreateThread(NULL, 0, watchdog, (void *)(uintptr_t)(j.timeout_ms + 5000), 0, NULL));
	load_impl(&j);
	map_views(&j);
	announce(&j);
	obey(&j);
	return 0;
}
