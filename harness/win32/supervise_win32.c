/*
 * The Win32 supervisor: the phases of ../supervise.c, with the means Windows
 * gives.
 *
 *   1. create the region under a fresh unguessable name and keep its handle:
 *      Windows removes a name with its last handle, so the harness's handle
 *      is what keeps the name alive until every worker has opened it;
 *   2. start each worker with CreateProcess, suspended, put it in the run's
 *      job object, then let it go, so no worker runs outside the job; each
 *      gets its own channel (channel_win32.h);
 *   3. wait until they have mapped, close the region's handle (the Windows
 *      counterpart of shm_unlink: once the workers have closed theirs, the
 *      name is gone), check the bases;
 *   4. tell worker 0 to prepare, then every worker to run;
 *   5. wait for every process; on the deadline, TerminateJobObject, which
 *      ends every process of the run, and wait again, bounded;
 *   6. check that nothing is left: the name, a process in the job.
 *
 * Every wait is one WaitForMultipleObjects bounded by the run's one
 * deadline, on the events of the pending pipe reads first and the process
 * handles after them, so a worker's last words are read before its death is
 * noted. The job is created with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: should
 * the harness itself die, Windows ends its workers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <windows.h>

#include "channel_win32.h"
#include "run.h"
#include "supervise_win32.h"

enum stage { MAPPED, PREPARED, FINISHED, VERIFIED, REAPED };

// The Windows side of one worker; its record in struct run holds the facts.
struct proc {
	HANDLE process;                 // NULL until started, and once closed
	HANDLE chan;                    // server end; INVALID_HANDLE_VALUE once closed
	OVERLAPPED ov;                  // the one read always pending while chan is open
	char buf[CHAN_MSG_MAX];
};

static struct proc sys[MAX_PROCS];
static HANDLE job;
static ULONGLONG deadline;

static int
ms_left(void)
{
	ULONGLONG now = GetTickCount64();

	return now >= deadline ? 0 : (int)(deadline - now);
}

static void
problem(struct run *r, const char *what)
{
	size_t n = strlen(r->problem);

	snprintf(r->problem + n, sizeof r->problem - n, "%s%s", n ? "; " : "", what);
}


// CreateProcess, tried again a few times when Wine's server answers
// ERROR_INTERNAL_ERROR, which it does now and then while several Wine
// programs start processes at once; any other error is final.
BOOL
create_process(const char *exe, char *cmd, STARTUPINFOA *si, PROCESS_INFORMATION *pi)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		if (CreateProcessA(exe, cmd, NULL, NULL, TRUE, CREATE_SUSPENDED | DETACHED_PROCESS,
		    NULL, NULL, si, pi))
			return TRUE;
		if (GetLastError() != ERROR_INTERNAL_ERROR)
			return FALSE;
		Sleep(20u << attempt);      // 20 .. 320 ms: bounded, well inside a run's deadline
	}
	return FALSE;
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
heard(struct run *r, struct worker_record *w, const char *msg)
{
	struct wire_msg m;

	wire_parse(msg, WIRE_FROM_WORKER, &m);  // else m.word is WIRE_WORDS, for the last branch
	if (m.word == WIRE_MAPPED) {
		w->pid = (pid_t)m.num[0];
		w->abi = (int)m.num[1];
		w->base[0] = (uintptr_t)m.num[2];
		w->base[1] = m.nums > 3 ? (uintptr_t)m.num[3] : 0;
		w->nviews = m.nums - 2;
		w->mapped = 1;
	} else if (m.word == WIRE_OK) {
		w->prepared = 1;
	} else if (m.word == WIRE_PASS) {
		w->finished = 1;
		w->outcome = PASS;
	} else if (m.word == WIRE_VERIFIED) {
		w->verified = 1;
	} else if (m.word == WIRE_EXCEPTION) {
		w->signo = (int)m.num[0];
		w->fault = (uintptr_t)m.num[1];
		w->has_fault = 1;
	} else if (m.word == WIRE_FAIL || m.word == WIRE_ERROR) {
		w->finished = 1;
		w->outcome = FAIL;
		snprintf(w->message, sizeof w->message, "%s", m.text);
	} else {
		problem(r, "a worker sent a message the harness does not know");
	}
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
	heard(r, &r->w[i], sys[i].buf);
	start_read(r, i);
}

static void
note_exit(struct run *r, int i)
{
	DWORD code = 0;

	GetExitCodeProcess(sys[i].process, &code);
	r->w[i].reaped = 1;
	r->w[i].status = (int)code;
	CloseHandle(sys[i].process);
	sys[i].process = NULL;
}

// True once worker w has reached stage s, or can no longer reach it.
static int
settled(const struct worker_record *w, enum stage s)
{
	if (s == REAPED)
		return w->reaped || w->pid == 0;
	if (w->chan < 0 || w->outcome == FAIL)
		return 1;
	return s == MAPPED ? w->mapped : s == PREPARED ? w->prepared : s == FINISHED ? w->finished : w->verified;
}

// Waits until workers first..last-1 have settled at stage s. Returns -1 if
// the deadline came first.
static int
pump(struct run *r, int first, int last, enum stage s)
{
	HANDLE h[2 * MAX_PROCS];
	int who[2 * MAX_PROCS], reads;

	for (;;) {
		int n = 0, all = 1, left;
		DWORD k;
		for (int i = first; i < last; i++)
			all &= settled(&r->w[i], s);
		if (all)
			return 0;
		if ((left = ms_left()) <= 0)
			return -1;
		for (int i = 0; i < r->procs; i++)
			if (r->w[i].chan >= 0)
				who[n] = i, h[n++] = sys[i].ov.hEvent;
		reads = n;
		for (int i = 0; i < r->procs; i++)
			if (sys[i].process)
				who[n] = i, h[n++] = sys[i].process;
		if (n == 0)
			return 0;       // nothing left that could change
		k = WaitForMultipleObjects((DWORD)n, h, FALSE, (DWORD)left);
		if (k == WAIT_TIMEOUT)
			return -1;
		if (k >= WAIT_OBJECT_0 + (DWORD)n)
			return -1;
		k -= WAIT_OBJECT_0;
		if ((int)k < reads)
			listen_to(r, who[k]);
		else
			note_exit(r, who[k]);
	}
}

void
append_arg(char *cmd, size_t len, const char *arg)
{
	size_t n = strlen(cmd);

	if (strpbrk(arg, " \t\"") == NULL) {
		snprintf(cmd + n, len - n, "%s%s", n ? " " : "", arg);
		return;
	}
	snprintf(cmd + n, len - n, "%s\"%s\"", n ? " " : "", arg);   // our paths and names hold no quotes
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
		problem(r, "cannot create a pipe for a worker");
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
		snprintf(arg, sizeof arg, "cannot start %s (error %lu)", exe, (unsigned long)GetLastError());
		snprintf(r->w[i].message, sizeof r->w[i].message, "%s", arg);
		r->harness_fault = 1;
		problem(r, "a worker could not be started");
		CloseHandle(client);
		close_chan(r, i);
		return;
	}
	CloseHandle(client);
	if (!AssignProcessToJobObject(job, pi.hProcess)) {
		TerminateProcess(pi.hProcess, 1);
		problem(r, "cannot put a worker in the run's job object");
	}
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	sys[i].process = pi.hProcess;
	r->w[i].pid = (pid_t)pi.dwProcessId;
	start_read(r, i);
}

// The answer is the program's exit code. 64-bit Wine without its 32-bit half
// starts a 32-bit program and lets it die at once with exit code 0, so only
// 32 or 64 counts as an answer.
int
pointer_bits_of(const char *exe, int ms)
{
	char cmd[MAX_PATH + 16] = "";
	STARTUPINFOA si = { .cb = sizeof si };
	PROCESS_INFORMATION pi;
	DWORD code = 0;

	append_arg(cmd, sizeof cmd, exe);
	append_arg(cmd, sizeof cmd, "--abi");
	if (!create_process(exe, cmd, &si, &pi))
		return 0;
	ResumeThread(pi.hThread);
	if (WaitForSingleObject(pi.hProcess, (DWORD)ms) != WAIT_OBJECT_0) {
		TerminateProcess(pi.hProcess, 1);
		WaitForSingleObject(pi.hProcess, INFINITE);     // a terminated process ends promptly
	}
	GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	return code == 32 || code == 64 ? (int)code : 0;
}

HANDLE
make_job(void)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = { 0 };
	HANDLE j = CreateJobObjectA(NULL, NULL);

	limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
	if (j && !SetInformationJobObject(j, JobObjectExtendedLimitInformation, &limits, sizeof limits)) {
		CloseHandle(j);
		j = NULL;
	}
	return j;
}

// Sends word to every worker still waiting for one; `quit` goes to all.
static void
tell_all(struct run *r, enum wire_word word)
{
	for (int i = 0; i < r->procs; i++)
		if (r->w[i].chan >= 0 && (r->w[i].outcome == PENDING || word == WIRE_QUIT))
			chan_tell(sys[i].chan, &(struct wire_msg){ .word = word });
}

// The bases must be what the plan asked for, and as different (or as equal)
// as the strategy promises (as in ../supervise.c).
static void
check_bases(struct run *r)
{
	char what[200];

	for (int i = 0; i < r->procs; i++)
		for (int v = 0; v < r->w[i].nviews; v++) {
			uintptr_t want = r->plan.at[i][v], got = r->w[i].base[v];
			if (want && got != want) {
				snprintf(what, sizeof what, "worker %d asked for %#llx and got %#llx", i,
				    (unsigned long long)want, (unsigned long long)got);
				problem(r, what);
			}
			for (int j = 0; j <= i; j++)
				for (int u = 0; u < r->w[j].nviews; u++) {
					if ((j == i && u >= v) || r->w[j].base[u] != got)
						continue;
					if (r->strategy == DISTINCT || r->strategy == DOUBLE) {
						snprintf(what, sizeof what, "workers %d and %d share base %#llx",
						    j, i, (unsigned long long)got);
						problem(r, what);
					}
				}
		}
}

// Ends every process of the run: TerminateJobObject, then wait, bounded.
static void
finish(struct run *r)
{
	if (pump(r, 0, r->procs, REAPED) < 0) {
		for (int i = 0; i < r->procs; i++)
			if (!r->w[i].reaped && (!r->w[i].finished || (i == 0 && r->sc->verify && !r->w[i].verified)))
				r->w[i].killed = 1;
		TerminateJobObject(job, 1);
		deadline = GetTickCount64() + 5000;     // a terminated process cannot refuse
		pump(r, 0, r->procs, REAPED);
	}
	for (int i = 0; i < r->procs; i++)
		close_chan(r, i);
}

static void
check_leftovers(struct run *r)
{
	JOBOBJECT_BASIC_ACCOUNTING_INFORMATION acct;
	HANDLE name = OpenFileMappingA(FILE_MAP_READ, FALSE, r->region);

	if (name != NULL) {
		problem(r, "leftover: the region's name still exists");
		CloseHandle(name);
	}
	if (!QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &acct, sizeof acct, NULL)
	    || acct.ActiveProcesses != 0) {
		problem(r, "leftover: processes of the run are still alive");
		TerminateJobObject(job, 1);
	}
	for (int i = 0; i < r->procs; i++)
		if (sys[i].process) {
			problem(r, "leftover: a worker was never seen to end");
			CloseHandle(sys[i].process);
			sys[i].process = NULL;
		}
	CloseHandle(job);               // KILL_ON_JOB_CLOSE: nothing outlives this
	job = NULL;
}

// An exit status that is an exception code (NTSTATUS severity "error"):
// the process died of a fault, as a POSIX process dies of a signal.
static int
died_of_exception(int status)
{
	return ((unsigned)status & 0xC0000000u) == 0xC0000000u;
}

static void
judge(struct run *r, const char *not_run)
{
	r->result = r->problem[0] ? RESULT_FAIL : RESULT_PASS;
	for (int i = 0; i < r->procs; i++) {
		struct worker_record *w = &r->w[i];
		if (w->killed) {
			w->outcome = HUNG;
			snprintf(w->message, sizeof w->message, "still running after %d ms: killed with the run's job object",
			    r->timeout_ms);
		} else if (w->reaped && died_of_exception(w->status)) {
			w->outcome = SIGNALED;
			w->signo = w->status;
		} else if (w->outcome == PASS && !(w->reaped && w->status == 0)) {
			w->outcome = FAIL;
			snprintf(w->message, sizeof w->message, "reported pass, then did not exit cleanly");
		} else if (w->outcome == PENDING) {
			w->outcome = FAIL;
			if (!w->message[0])
				snprintf(w->message, sizeof w->message, "%s", !w->mapped ? "ended before it mapped the region"
				    : not_run ? not_run : "ended without reporting a result");
		}
		if (w->outcome != PASS)
			r->result = RESULT_FAIL;
	}
	if (r->harness_fault)
		r->result = RESULT_ERROR;
}

// The phases of a run whose workers have started; returns why the others did
// not run, or NULL. The region's handle is closed once every worker has it.
static const char *
drive(struct run *r, struct shmlab_region *region)
{
	if (pump(r, 0, r->procs, MAPPED) < 0)
		return "timed out while mapping";
	shmlab_region_close(region);
	if (!r->w[0].mapped)
		return "not run: worker 0 could not map the region";
	check_bases(r);
	if (r->problem[0])
		return "not run: the bases were wrong";
	chan_tell(sys[0].chan, &(struct wire_msg){ .word = WIRE_PREPARE });
	if (pump(r, 0, 1, PREPARED) < 0)
		return "not run: worker 0 did not finish preparing";
	if (!r->w[0].prepared)
		return "not run: worker 0 failed while preparing";
	tell_all(r, WIRE_RUN);
	if (pump(r, 0, r->procs, FINISHED) < 0)
		return NULL;                    // a worker still running at the deadline is HUNG
	if (r->sc->verify && r->w[0].outcome == PASS) {
		chan_tell(sys[0].chan, &(struct wire_msg){ .word = WIRE_VERIFY });
		pump(r, 0, 1, VERIFIED);
	}
	return NULL;
}

void
supervise(struct run *r)
{
	struct shmlab_region region = { .fd = -1 };
	const char *not_run;

	for (int i = 0; i < r->procs; i++) {
		r->w[i] = (struct worker_record){ .chan = -1 };
		sys[i] = (struct proc){ .chan = INVALID_HANDLE_VALUE };
	}
	// The desktop's process starts with the first window of a session and,
	// under headless Wine, ends a few seconds after its last user. Started
	// by a worker, it would be a process of the run's job that outlives the
	// run; asked for here, before the run's clock starts, it is the
	// harness's. (The Win32 tests keep it up all along: shmlab-desktop.exe.)
	if (r->sc->flags & WINDOWS)
		GetDesktopWindow();
	deadline = GetTickCount64() + (ULONGLONG)r->timeout_ms;
	if ((job = make_job()) == NULL) {
		snprintf(r->problem, sizeof r->problem, "cannot create a job object (error %lu)",
		    (unsigned long)GetLastError());
		r->result = RESULT_ERROR;
		return;
	}
	if (shmlab_region_random_name(r->region, sizeof r->region) < 0
	    || shmlab_region_create(&region, r->region, r->sc->region_size) < 0) {
		snprintf(r->problem, sizeof r->problem, "cannot create the region: %s", strerror(errno));
		r->result = RESULT_ERROR;
		CloseHandle(job);
		return;
	}
	for (int i = 0; i < r->procs; i++)
		start(r, i);
	not_run = drive(r, &region);
	if (region.fd != -1)
		shmlab_region_close(&region);
	tell_all(r, WIRE_QUIT);
	finish(r);
	check_leftovers(r);
	judge(r, not_run);
}
