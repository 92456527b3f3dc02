/*
 * The worker's system half on Windows (../worker.h), and its main(). What
 * Windows offers in place of POSIX's means:
 *
 *   - a fault is caught by an unhandled-exception filter, which reports the
 *     exception code and the address (for an access violation, the address
 *     that was touched, ExceptionInformation[1]), then ends the process with
 *     the exception code as its exit status, as Windows itself would, so the
 *     harness also sees the real death;
 *   - a watchdog thread ends the process if the harness goes quiet for
 *     longer than the run's bound; the harness's job object ends it anyway
 *     if the harness itself dies (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE).
 *
 * There is no `fork`, so no worker ever starts another worker; a scenario
 * that needs a process of its own starts this program as a helper
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
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "helpers_win32.h"
#include "worker.h"

static HANDLE report_chan = INVALID_HANDLE_VALUE;      // for the exception filter

static LONG WINAPI
on_fault(EXCEPTION_POINTERS *ep)
{
	const EXCEPTION_RECORD *er = ep->ExceptionRecord;
	struct wire_msg m = { .word = WIRE_EXCEPTION, .nums = 2,
		.num = { er->ExceptionCode, (uintptr_t)er->ExceptionAddress } };

	if ((er->ExceptionCode == EXCEPTION_ACCESS_VIOLATION || er->ExceptionCode == EXCEPTION_IN_PAGE_ERROR)
	    && er->NumberParameters >= 2)
		m.num[1] = er->ExceptionInformation[1];         // the address touched, not the code's
	if (report_chan != INVALID_HANDLE_VALUE)
		chan_tell(report_chan, &m);
	TerminateProcess(GetCurrentProcess(), er->ExceptionCode);
	return EXCEPTION_CONTINUE_SEARCH;       // not reached
}

static DWORD WINAPI
watchdog(void *ms)
{
	Sleep((DWORD)(uintptr_t)ms);
	ExitProcess(3);
}

// --chan is an inherited handle's value, or `stdio`. No --fork-chans.
int
reach_harness(struct job *j)
{
	int stdio = j->chan_arg && strcmp(j->chan_arg, "stdio") == 0;

	if (j->chan_arg == NULL || j->fork_chans_arg)
		return -1;
	j->chan = stdio ? GetStdHandle(STD_OUTPUT_HANDLE) : (HANDLE)(uintptr_t)strtoull(j->chan_arg, NULL, 0);
	j->hear = stdio ? GetStdHandle(STD_INPUT_HANDLE) : j->chan;
	return j->chan == NULL ? -1 : 0;
}

void
guard(struct job *j)
{
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
	report_chan = j->chan;
	SetUnhandledExceptionFilter(on_fault);
	// Outlives the harness's own bound, as alarm() does on POSIX.
	CloseHandle(CreateThread(NULL, 0, watchdog, (void *)(uintptr_t)(j->timeout_ms + 5000), 0, NULL));
}

// Maps the file at j->region_file: every view the file's whole size, each at
// its address. The file's handle and the section's may close at once; the
// views keep the section.
void
map_given_region(struct job *j)
{
	HANDLE file, section;
	LARGE_INTEGER size;

	if (j->region_file == NULL) {
		errno = EINVAL;
		give_up(j, "Windows has no region descriptors");
	}
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

void
fence(const struct shmlab_view *v, int open)
{
	DWORD old;

	VirtualProtect(v->base, (SIZE_T)v->size, open ? PAGE_READWRITE : PAGE_NOACCESS, &old);
}

unsigned long long
own_pid(void)
{
	return GetCurrentProcessId();
}

// Where a loaded module lies: from its base, SizeOfImage bytes (its PE
// header, as the loader mapped it). Zeros for NULL, a module not loaded.
static void
module_range(HMODULE m, unsigned long long range[2])
{
	const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)m;
	const IMAGE_NT_HEADERS *nt;

	range[0] = range[1] = 0;
	if (m == NULL)
		return;
	nt = (const IMAGE_NT_HEADERS *)((const char *)m + dos->e_lfanew);
	range[0] = (uintptr_t)m;
	range[1] = (uintptr_t)m + nt->OptionalHeader.SizeOfImage;
}

// Windows has many heaps, and the harness names no address by them. The
// program is the .exe's image; the library, the scenario's DLL as this
// process loaded it (lab 06: where worker 0's function pointers lead).
void
own_ranges(const char *dll, unsigned long long range[6])
{
	range[0] = range[1] = 0;
	module_range(GetModuleHandleA(NULL), range + 2);
	module_range(dll ? GetModuleHandleA(dll) : NULL, range + 4);
}

// Not reached: reach_harness() refuses --fork-chans.
void
fork_the_others(struct job *j)
{
	errno = ENOSYS;
	give_up(j, "fork");
}

// Wine and Windows say nothing here that tells a shortage from a refusal.
int
short_of(int err, char *buf, size_t len)
{
	(void)err, (void)buf, (void)len;
	return 0;
}

_Noreturn void
leave(int status)
{
	ExitProcess((UINT)status);
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], GIVE_AND_EXIT) == 0)
		return give_and_exit(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(argv[1], HOLD_AND_DIE) == 0)
		return hold_and_die(argv[2]);
	return worker_main(argc, argv);
}
