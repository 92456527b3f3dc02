/*
 * The kill test's processes on Windows (../kill_procs.h), as
 * win32.c starts a run's: each worker is created suspended, put in
 * the test's job object (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: should the
 * harness die, Windows ends them all), then let go, with its channel's
 * client end as the one handle it inherits. A victim ends itself at its
 * kill point with TerminateProcess and KILL_EXIT_CODE; the harness ends a
 * stuck worker with TerminateProcess and 1.
 *
 * The harness holds the region's handle for the whole test: Windows keeps a
 * name exactly as long as a handle is open, and has no unlink. It also makes
 * the heap's lock, named after the region (win32/kill_worker_win32.c says
 * why a name), before any worker starts, so no worker ever creates it, and
 * holds it to the end: a lock's state outlives every worker.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <windows.h>

#include "channel_win32.h"
#include "kill_procs.h"
#include "process_win32.h"

#define VIEW_ALIGN 65536u       // Windows' allocation granularity

const struct kill_lock kill_locks[] = {
	{ "none", NULL, NULL },
	{ "mutex", "WAIT_ABANDONED", NULL },
	{ "semaphore", NULL, "a semaphore has no owner, so nobody gives back the count its holder took" },
	{ NULL, NULL, NULL },
};

const char kill_death[] = "TerminateProcess", kill_platform[] = "win32";

static struct {
	HANDLE process, chan;   // NULL when not started
} procs[SURVIVORS + 1];
static HANDLE job, lock;
static struct shmlab_region region = { .fd = -1 };
static char lock_name[SHMLAB_NAME_MAX + 16];

// Makes the heap's lock, free: a mutex nobody owns, a semaphore of count 1.
static HANDLE
make_lock(const char *kind)
{
	HANDLE h;

	SetLastError(0);
	h = strcmp(kind, "mutex") == 0 ? CreateMutexA(NULL, FALSE, lock_name) : CreateSemaphoreA(NULL, 1, 1, lock_name);
	if (h && GetLastError() == ERROR_ALREADY_EXISTS) {
		CloseHandle(h);         // someone else's: ours must be new
		h = NULL;
	}
	return h;
}

int
procs_setup(struct kill_test *t, uint64_t size, char *why, size_t len)
{
	if (choose_addresses_aligned(&t->plan, DISTINCT, t->o->seed, SLOTS, size, 0, VIEW_ALIGN, why, len) < 0)
		return -1;
	if ((job = make_job()) == NULL) {
		snprintf(why, len, "cannot create a job object (error %lu)", (unsigned long)GetLastError());
		return -1;
	}
	if (shmlab_region_random_name(t->region, sizeof t->region) < 0
	    || shmlab_region_create(&region, t->region, size) < 0) {
		snprintf(why, len, "cannot create a region: %s", strerror(errno));
		CloseHandle(job);
		return -1;
	}
	snprintf(lock_name, sizeof lock_name, "%s%s", t->region, KILL_LOCK_SUFFIX);
	if (t->o->lock != &kill_locks[0] && (lock = make_lock(t->o->lock->name)) == NULL) {
		snprintf(why, len, "cannot create the heap's lock %s (error %lu)", lock_name,
		    (unsigned long)GetLastError());
		shmlab_region_close(&region);
		CloseHandle(job);
		return -1;
	}
	return 0;
}

int
proc_start(struct kill_test *t, int p, const char *role, int slot, uint64_t seed)
{
	char cmd[1024] = "", arg[64];
	STARTUPINFOA si = { .cb = sizeof si };
	PROCESS_INFORMATION pi;
	HANDLE client;

	if (chan_pair(&procs[p].chan, &client) < 0) {
		procs[p].chan = NULL;
		return failed(t, "cannot create a pipe for a worker (error %lu)", (unsigned long)GetLastError());
	}
	append_arg(cmd, sizeof cmd, t->worker);
	append_arg(cmd, sizeof cmd, role);
	append_arg(cmd, sizeof cmd, t->region);
	snprintf(arg, sizeof arg, " %#llx %llu %s %d %llu", (unsigned long long)t->plan.at[slot][0],
	    (unsigned long long)seed, t->o->lock->name, t->o->recover, (unsigned long long)(uintptr_t)client);
	strncat(cmd, arg, sizeof cmd - strlen(cmd) - 1);        // numbers and a lock's name: no quoting
	// The client end is the only inheritable handle while this worker starts:
	// the previous worker's was closed before this one was made.
	if (!create_process(t->worker, cmd, &si, &pi)) {
		CloseHandle(client);
		CloseHandle(procs[p].chan);
		procs[p].chan = NULL;
		return failed(t, "cannot start %s (error %lu)", t->worker, (unsigned long)GetLastError());
	}
	CloseHandle(client);
	procs[p].process = pi.hProcess;
	if (!AssignProcessToJobObject(job, pi.hProcess)) {
		TerminateProcess(pi.hProcess, 1);
		CloseHandle(pi.hThread);
		return failed(t, "cannot put a worker in the test's job object (error %lu)",
		    (unsigned long)GetLastError());
	}
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	return 0;
}

int
proc_started(int p)
{
	return procs[p].process != NULL;
}

kill_chan
proc_chan(int p)
{
	return procs[p].chan;
}

enum ending
proc_end(struct kill_test *t, int p, int now, unsigned *status)
{
	HANDLE h = procs[p].process;
	DWORD code = 1, waited;

	if (h == NULL)
		return NOT_ENDED;
	if (now)
		TerminateProcess(h, 1);
	if (procs[p].chan) {
		CloseHandle(procs[p].chan);     // the end of its channel is its cue to exit
		procs[p].chan = NULL;
	}
	if ((waited = WaitForSingleObject(h, (DWORD)t->o->step_ms)) != WAIT_OBJECT_0) {
		TerminateProcess(h, 1);
		WaitForSingleObject(h, 5000);   // a terminated process cannot refuse
	}
	GetExitCodeProcess(h, &code);
	CloseHandle(h);
	procs[p].process = NULL;
	*status = (unsigned)code;
	if (waited != WAIT_OBJECT_0)
		return NOT_ENDED;
	return code == KILL_EXIT_CODE ? ENDED_AT_KILL_POINT : code == 0 ? ENDED_CLEAN : ENDED_OTHERWISE;
}

void
procs_teardown(struct kill_test *t)
{
	JOBOBJECT_BASIC_ACCOUNTING_INFORMATION acct;
	HANDLE h;

	for (int p = 0; p <= SURVIVORS; p++)
		if (procs[p].process && proc_end(t, p, 1, &(unsigned){ 0 }) == NOT_ENDED)
			failed(t, "leftover: a worker did not end when terminated");
	if (!QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &acct, sizeof acct, NULL)
	    || acct.ActiveProcesses != 0)
		failed(t, "leftover: processes of the test are still alive in its job");
	CloseHandle(job);               // KILL_ON_JOB_CLOSE: nothing outlives this
	shmlab_region_close(&region);
	if (lock)
		CloseHandle(lock);
	if ((h = OpenFileMappingA(FILE_MAP_READ, FALSE, t->region)) != NULL) {
		failed(t, "leftover: the region's name %s still exists", t->region);
		CloseHandle(h);
	}
	if ((h = OpenMutexA(SYNCHRONIZE, FALSE, lock_name)) != NULL
	    || (h = OpenSemaphoreA(SYNCHRONIZE, FALSE, lock_name)) != NULL) {
		failed(t, "leftover: the heap's lock %s still exists", lock_name);
		CloseHandle(h);
	}
	job = lock = NULL;
}
