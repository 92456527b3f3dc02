// 07-named-mutex-fixed and 07-abandoned-mutex-fixed (Win32): the lock that
// works between processes is a kernel object. A mutex made with a name
// (CreateMutex) is found by that name from any process of the session, and
// each process waits on it through a handle of its own; the kernel, not one
// process, keeps its waiters and its owner. "Mutex Objects": the owner is a
// thread, and a mutex whose owning thread ends without releasing it is
// abandoned: the next wait "returns WAIT_ABANDONED" and owns it
// (WaitForSingleObject), the Win32 counterpart of a robust mutex's
// EOWNERDEAD. The data it protected may be half-updated: the new owner
// repairs it before it goes on.
//
// The names come from the run (win32_locks.h), so runs never share a mutex,
// and every process closes every handle it opened.
//
// 07-named-mutex-fixed: every worker moves units between three counters of
// the region, ROUNDS times, under the mutex; a + b + c == SUM is checked at
// every entry, and `inside` counts holders: never more than one.
//
// 07-abandoned-mutex-fixed: worker 0 starts the worker program again as a
// holder (HOLD_AND_DIE, harness/win32/helpers_win32.h), which takes the mutex,
// does half of a move in a named section, and is ended with TerminateProcess
// while it holds the mutex. Exactly one worker's wait then returns
// WAIT_ABANDONED; that worker repairs the counters; every other wait returns
// WAIT_OBJECT_0 and finds them whole.
#include "win32_locks.h"
#include "helpers_win32.h"

#define ROUNDS 200

static HANDLE mutex;            // this process's handle to the run's mutex

static int
open_mutex(struct worker *w, const struct locks *l)
{
	char name[OBJECT_NAME_MAX + 8];

	snprintf(name, sizeof name, "%s-mutex", l->name);
	// ANCHOR: create
	// FIXED: a kernel object, found by its name in every process; not owned yet.
	if (mutex == NULL && (mutex = CreateMutexA(NULL, FALSE, name)) == NULL)
		return fail(w, "CreateMutex(%s): error %lu", name, (unsigned long)GetLastError());
	// ANCHOR_END: create
	return 0;
}

static int
close_mutex(struct worker *w)
{
	if (mutex && !CloseHandle(mutex))
		return fail(w, "CloseHandle(mutex): error %lu", (unsigned long)GetLastError());
	mutex = NULL;
	return 0;
}

// The three counters a critical section keeps whole: a, b, c of the region,
// or those of the holder's section.
struct counters { LONG a, b, c, held; };

// ANCHOR: lock
// 1: held, and the last owner died holding it; 0: held; -1: not held.
static int
lock(struct worker *w)
{
	switch (WaitForSingleObject(mutex, WAIT_MS)) {          // FIXED: bounded
	case WAIT_OBJECT_0:
		return 0;
	case WAIT_ABANDONED:
		return 1;       // ours now; what it protects may be half-updated
	case WAIT_TIMEOUT:
		return fail(w, "the mutex was not ours within %d ms", WAIT_MS);
	}
	return fail(w, "WaitForSingleObject(mutex): error %lu", (unsigned long)GetLastError());
}
// ANCHOR_END: lock

// One move under the lock: checks that no one else is inside and that the
// sum holds, then moves a unit from one counter to the next.
static int
move_one(struct worker *w, struct locks *l, volatile struct counters *k, int round)
{
	volatile LONG *from = round % 3 == 0 ? &k->a : round % 3 == 1 ? &k->b : &k->c;
	volatile LONG *to = round % 3 == 0 ? &k->b : round % 3 == 1 ? &k->c : &k->a;
	int rc = 0;

	if (InterlockedIncrement(&l->inside) != 1)
		rc = fail(w, "two holders inside the mutex at once");
	else if (k->a + k->b + k->c != SUM)
		rc = fail(w, "a + b + c = %ld, not %d, under the mutex", k->a + k->b + k->c, SUM);
	else if (*from > 0) {
		*from -= 1;
		Sleep(0);       // let another process try to come in between the halves
		*to += 1;
	}
	l->total += 1;
	InterlockedDecrement(&l->inside);
	return rc;
}

static int
make_mutex(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;

	name_objects(l, w);
	l->a = SUM;
	return open_mutex(w, l);
}

static int
move_under_mutex(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;
	struct counters *k = (struct counters *)&l->a;
	int rc = 0;

	if (open_mutex(w, l) < 0)
		return -1;
	for (int i = 0; i < ROUNDS && rc == 0; i++) {
		if ((rc = lock(w)) > 0)
			rc = fail(w, "WAIT_ABANDONED: no holder has died in this lesson");
		else if (rc == 0) {
			rc = move_one(w, l, k, i + w->index);
			ReleaseMutex(mutex);
		}
	}
	if (w->index != 0 && w->view == 0 && close_mutex(w) < 0)
		rc = -1;
	return rc;
}

static int
count_moves(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;
	LONG64 want = (LONG64)w->procs * w->views * ROUNDS;

	if (l->total != want || l->a + l->b + l->c != SUM)
		return fail(w, "%lld moves (expected %lld), a + b + c = %ld (expected %d)",
		    (long long)l->total, (long long)want, l->a + l->b + l->c, SUM);
	return close_mutex(w);
}

const struct scenario lab07_named_mutex_fixed = {
	.name = "07-named-mutex-fixed",
	.summary = "a named mutex (a kernel object) guards counters in the region",
	.handout = "labs/07-locks/README.md#on-windows",
	.region_size = 65536,
	.passes_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = make_mutex,
	.run = move_under_mutex,
	.verify = count_moves,
};

// ---------------------------------------------------------------- a holder that dies

static HANDLE section;          // worker 0's: the holder's counters
static volatile struct counters *held;

static HANDLE
start_program(char *cmd, PROCESS_INFORMATION *pi)
{
	char exe[MAX_PATH];
	STARTUPINFOA si = { .cb = sizeof si };
	DWORD n = GetModuleFileNameA(NULL, exe, sizeof exe);

	if (n == 0 || n >= sizeof exe)
		return NULL;
	for (int attempt = 0; attempt < 5; attempt++) {         // Wine's server, now and then
		if (CreateProcessA(exe, cmd, NULL, NULL, FALSE, DETACHED_PROCESS, NULL, NULL, &si, pi))
			return pi->hProcess;
		if (GetLastError() != ERROR_INTERNAL_ERROR)
			return NULL;
		Sleep(20u << attempt);
	}
	return NULL;
}

// ANCHOR: kill
// Starts the holder, waits until it holds the mutex in the middle of a move,
// and ends it there.
static int
kill_a_holder(struct worker *w, const struct locks *l)
{
	char cmd[2 * MAX_PATH];
	PROCESS_INFORMATION pi;
	int rc = 0;

	snprintf(cmd, sizeof cmd, "shmlab-worker.exe %s %s", HOLD_AND_DIE, l->name);
	if (start_program(cmd, &pi) == NULL)
		return fail(w, "cannot start the holder: error %lu", (unsigned long)GetLastError());
	if (wait_count(&held->held, 1) < 0)
		rc = fail(w, "the holder did not take the mutex within %d ms", WAIT_MS);
	TerminateProcess(pi.hProcess, 9);       // holding the mutex, half-way through a move
	if (WaitForSingleObject(pi.hProcess, WAIT_MS) != WAIT_OBJECT_0)
		rc = fail(w, "the holder did not end within %d ms of TerminateProcess", WAIT_MS);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	return rc;
}
// ANCHOR_END: kill

static int
map_counters(const char *name, int make)
{
	char sname[OBJECT_NAME_MAX + 8];

	snprintf(sname, sizeof sname, "%s-data", name);
	section = make ? CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, sname)
	    : OpenFileMappingA(FILE_MAP_WRITE, FALSE, sname);
	if (section == NULL)
		return -1;
	if ((held = MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, sizeof *held)) == NULL) {
		CloseHandle(section);
		return -1;
	}
	return 0;
}

static void
unmap_counters(void)
{
	UnmapViewOfFile((const void *)held);
	CloseHandle(section);
	held = NULL;
	section = NULL;
}

static int
make_and_abandon(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;

	name_objects(l, w);
	if (open_mutex(w, l) < 0)
		return -1;
	if (map_counters(l->name, 1) < 0)
		return fail(w, "cannot make the holder's section: error %lu", (unsigned long)GetLastError());
	held->a = SUM;
	return kill_a_holder(w, l);
}

// ANCHOR: repair
static int
take_after_death(struct worker *w, struct locks *l, volatile struct counters *k)
{
	int owner_died = lock(w), rc = 0;

	if (owner_died < 0)
		return -1;
	if (owner_died) {
		InterlockedIncrement(&l->done);         // how many were told: exactly one
		k->b = SUM - k->a - k->c;               // repair: finish the dead holder's move
		k->held = 0;
	}
	if (k->a + k->b + k->c != SUM)
		rc = fail(w, "a + b + c = %ld, not %d, after %s", k->a + k->b + k->c, SUM,
		    owner_died ? "the repair" : "WAIT_OBJECT_0");
	ReleaseMutex(mutex);
	return rc;
}
// ANCHOR_END: repair

static int
survive(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;
	int rc;

	if (open_mutex(w, l) < 0)
		return -1;
	if (held == NULL && map_counters(l->name, 0) < 0)
		return fail(w, "cannot open the holder's section: error %lu", (unsigned long)GetLastError());
	rc = take_after_death(w, l, held);
	if (w->index != 0 && w->view == 0) {
		unmap_counters();
		if (close_mutex(w) < 0)
			rc = -1;
	}
	return rc;
}

static int
told_once(struct worker *w, const struct shmlab_view *v)
{
	struct locks *l = (struct locks *)v->base;
	int rc = 0;

	if (l->done != 1)
		rc = fail(w, "%ld waits returned WAIT_ABANDONED, expected exactly one", l->done);
	unmap_counters();
	return close_mutex(w) < 0 ? -1 : rc;
}

const struct scenario lab07_abandoned_mutex_fixed = {
	.name = "07-abandoned-mutex-fixed",
	.summary = "a named mutex whose holder is killed: the next wait returns WAIT_ABANDONED and repairs",
	.handout = "labs/07-locks/README.md#on-windows",
	.region_size = 65536,
	.passes_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = make_and_abandon,
	.run = survive,
	.verify = told_once,
};

// ANCHOR: holder
// The holder (HOLD_AND_DIE): takes the run's mutex, takes a unit out of a
// and says so, and is ended before it puts the unit into b.
int
hold_and_die(const char *name)
{
	char mname[OBJECT_NAME_MAX + 8];

	snprintf(mname, sizeof mname, "%s-mutex", name);
	if (map_counters(name, 0) < 0 || (mutex = OpenMutexA(SYNCHRONIZE, FALSE, mname)) == NULL)
		return 3;
	if (WaitForSingleObject(mutex, WAIT_MS) != WAIT_OBJECT_0)
		return 4;
	held->a -= 1;                           // half of a move: b += 1 is never done
	InterlockedExchange(&held->held, 1);
	WaitForSingleObject(GetCurrentProcess(), WAIT_MS);      // until TerminateProcess; bounded
	return 5;                               // not ended: exits holding it, which abandons it too
}
// ANCHOR_END: holder
