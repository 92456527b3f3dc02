/*
 * The Win32 half of the harness (../platform.h): what only Windows does, in
 * Windows' words. The run's phases and their order are ../run.c's, the same
 * on both systems; ../posix.c is the other half.
 *
 * The harness keeps the region's handle until every worker has mapped it:
 * Windows removes a name with its last handle, so that handle is what keeps
 * the name alive, and closing it is the counterpart of shm_unlink. Each
 * worker is created suspended, put in the run's job object, then let go, so
 * no worker runs outside the job; each gets its own channel
 * (channel_win32.h). A wait is one WaitForMultipleObjects on the events of
 * the pending pipe reads first and the process handles after them, so a
 * worker's last words are read before its death is noted. On the deadline,
 * TerminateJobObject. The job is created with
 * JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: should the harness itself die,
 * Windows ends its workers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <windows.h>

#include "channel_win32.h"
#include "platform.h"
#include "process_win32.h"
#include "report.h"

const char platform_killer[] = "the run's job object";

// The Windows side of one worker; its record in struct run holds the facts.
struct proc {
	HANDLE process;                 // NULL until started, and once closed
	HANDLE chan;                    // server end; INVALID_HANDLE_VALUE once closed
	OVERLAPPED ov;                  // the one read always pending while chan is open
	char buf[CHAN_MSG_MAX];
};

static struct proc sys[MAX_PROCS];
static HANDLE job;
static struct shmlab_region region = { .fd = -1 };

char *
platform_beside(char *buf, size_t len, const char *name)
{
	DWORD n = GetModuleFileNameA(NULL, buf, (DWORD)len);
	char *slash;

	buf[n < len ? n : 0] = '\0';
	slash = strrchr(buf, '\\');
	snprintf(slash ? slash + 1 : buf, len - (size_t)(slash ? slash + 1 - buf : 0), "%s", name);
	return buf;
}

long long
platform_clock_ms(void)
{
	return (long long)GetTickCount64();
}

int
platform_begin(struct run *r)
{
	for (int i = 0; i < r->procs; i++)
		sys[i] = (struct proc){ .chan = INVALID_HANDLE_VALUE };
	// The desktop's process starts with the first window of a session and,
	// under headless Wine, ends a few seconds after its last user. Started
	// by a worker, it would be a process of the run's job that outlives the
	// run; asked for here, before the run's clock starts, it is the
	// harness's. (The Win32 tests keep it up all along: shmlab-desktop.exe.)
	if (r->sc->flags & WINDOWS)
		GetDesktopWindow();
	if ((job = make_job()) == NULL) {
		snprintf(r->problem, sizeof r->problem, "cannot create a job object (error %lu)",
		    (unsigned long)GetLastError());
		return -1;
	}
	r->region_fd = -1;
	if (shmlab_region_random_name(r->region, sizeof r->region) < 0
	    || shmlab_region_create(&region, r->region, r->sc->region_size) < 0) {
		snprintf(r->problem, sizeof r->problem, "cannot create the region: %s", strerror(errno));
		CloseHandle(job);
		return -1;
	}
	return 0;
}

static void
close_chan(struct run *r, int i)
{
	if (sys[i].chan != INVALID_HANDLE_VALUE) {
		CancelIo(sys[i].chan);
		CloseHandle(sys[i].chan);
		sys[i].chan = INVALID_HANDLE_VALUE;
	}
	if (sys[i].ov.hEvent) {
		CloseHandle(sys[i].ov.hEvent);
		sys[i].ov.hEvent = NULL;
	}
	r->w[i].chan = -1;
}

// Starts the next read on worker i's channel; its event is set when a
// message is in (at once, if one is waiting already).
static void
start_read(struct run *r, int i)
{
	ResetEvent(sys[i].ov.hEvent);
	if (!ReadFile(sys[i].chan, sys[i].buf, sizeof sys[i].buf - 1, NULL, &sys[i].ov)
	    && GetLastError() != ERROR_IO_PENDING)
		close_chan(r, i);
}

static void
listen_to(struct run *r, int i)
{
	DWORD n;

	if (!GetOverlappedResult(sys[i].chan, &sys[i].ov, &n, FALSE)) {
		close_chan(r, i);       // the worker has closed its end
		return;
	}
	sys[i].buf[n] = '\0';
	run_heard(r, i, sys[i].buf);
	start_read(r, i);
}

static void
note_exit(struct run *r, int i)
{
	DWORD code = 0;

	GetExitCodeProcess(sys[i].process, &code);
	CloseHandle(sys[i].process);
	sys[i].process = NULL;
	run_reaped(r, r->w[i].pid, (int)code);
}

static void
start(struct run *r, int i)
{
	const char *exe = (r->sc->flags & MIXED_ABI) && i % 2 ? r->worker32 : r->worker64;
	char cmd[2048] = "", arg[128];
	STARTUPINFOA si = { .cb = sizeof si };
	PROCESS_INFORMATION pi;
	HANDLE client;

	if (chan_pair(&sys[i].chan, &client) < 0) {
		run_problem(r, "cannot create a pipe for a worker");
		return;
	}
	sys[i].ov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
	r->w[i].chan = i;
	append_arg(cmd, sizeof cmd, exe);
	append_arg(cmd, sizeof cmd, r->sc->name);
	// Numbers only from here to --region: no quoting needed.
	snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd),
	    " --index=%d --procs=%d --views=%d --timeout-ms=%d --seed=%llu --chan=%llu",
	    i, r->procs, r->plan.views, r->timeout_ms, (unsigned long long)r->seed,
	    (unsigned long long)(uintptr_t)client);
	for (int v = 0; v < r->plan.views; v++)
		if (r->plan.at[i][v]) {
			snprintf(arg, sizeof arg, "--at=%#llx", (unsigned long long)r->plan.at[i][v]);
			append_arg(cmd, sizeof cmd, arg);
		}
	if (r->sc->flags & CONTRACT) {          // the library under test, for the worker to load
		append_arg(cmd, sizeof cmd, "--impl");
		append_arg(cmd, sizeof cmd, r->impl);
	}
	append_arg(cmd, sizeof cmd, "--region");
	append_arg(cmd, sizeof cmd, r->region);
	// The client end is the only inheritable handle while this worker starts:
	// the previous worker's was closed below before this one was made.
	if (!create_process(exe, cmd, &si, &pi)) {
		snprintf(cmd, sizeof cmd, "nostart cannot start %s (error %lu)", exe, (unsigned long)GetLastError());
		run_heard(r, i, cmd);
		CloseHandle(client);
		close_chan(r, i);
		return;
	}
	CloseHandle(client);
	if (!AssignProcessToJobObject(job, pi.hProcess)) {
		TerminateProcess(pi.hProcess, 1);
		run_problem(r, "cannot put a worker in the run's job object");
	}
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	sys[i].process = pi.hProcess;
	r->w[i].pid = (long)pi.dwProcessId;
	start_read(r, i);
}

int
platform_start_all(struct run *r)
{
	for (int i = 0; i < r->procs; i++)
		start(r, i);
	return 0;
}

int
platform_wait(struct run *r, int ms)
{
	HANDLE h[2 * MAX_PROCS];
	int who[2 * MAX_PROCS], reads, n = 0;
	DWORD k;

	for (int i = 0; i < r->procs; i++)
		if (r->w[i].chan >= 0)
			who[n] = i, h[n++] = sys[i].ov.hEvent;
	reads = n;
	for (int i = 0; i < r->procs; i++)
		if (sys[i].process)
			who[n] = i, h[n++] = sys[i].process;
	if (n == 0)
		return 1;
	k = WaitForMultipleObjects((DWORD)n, h, FALSE, (DWORD)ms);
	if (k == WAIT_TIMEOUT)
		return 0;
	if (k >= WAIT_OBJECT_0 + (DWORD)n)
		return -1;
	k -= WAIT_OBJECT_0;
	if ((int)k < reads)
		listen_to(r, who[k]);
	else
		note_exit(r, who[k]);
	return 0;
}

void
platform_send(struct run *r, int i, enum wire_word word)
{
	(void)r;
	chan_tell(sys[i].chan, &(struct wire_msg){ .word = word });
}

void
platform_release_region(struct run *r)
{
	(void)r;
	if (region.fd != -1)
		shmlab_region_close(&region);
}

void
platform_kill_all(struct run *r)
{
	(void)r;
	TerminateJobObject(job, 1);
}

static void
check_leftovers(struct run *r)
{
	JOBOBJECT_BASIC_ACCOUNTING_INFORMATION acct;
	HANDLE name = OpenFileMappingA(FILE_MAP_READ, FALSE, r->region);

	if (name != NULL) {
		run_problem(r, "leftover: the region's name still exists");
		CloseHandle(name);
	}
	if (!QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &acct, sizeof acct, NULL)
	    || acct.ActiveProcesses != 0) {
		run_problem(r, "leftover: processes of the run are still alive");
		TerminateJobObject(job, 1);
	}
	for (int i = 0; i < r->procs; i++)
		if (sys[i].process) {
			run_problem(r, "leftover: a worker was never seen to end");
			CloseHandle(sys[i].process);
			sys[i].process = NULL;
		}
}

void
platform_end(struct run *r)
{
	for (int i = 0; i < r->procs; i++)
		close_chan(r, i);
	check_leftovers(r);
	CloseHandle(job);               // KILL_ON_JOB_CLOSE: nothing outlives this
	job = NULL;
}

// An exit status that is an exception code (NTSTATUS severity "error"):
// the process died of a fault, as a POSIX process dies of a signal.
int
platform_died_of_fault(int status, int *cause)
{
	if (((unsigned)status & 0xC0000000u) != 0xC0000000u)
		return 0;
	*cause = status;
	return 1;
}

int
platform_exited_cleanly(int status)
{
	return status == 0;
}

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
