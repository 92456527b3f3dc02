/*
 * Handles (handles.h), on Windows: the four rules of handles.c with HANDLEs,
 * under the same scenario names and rules, so that the two tracks' results
 * line up. Every scenario needs SHMLAB_FEATURE_HANDLES: a library that does
 * not declare it is skipped, never passed.
 *
 * What worker 0 gives is a section: an unnamed file mapping backed by the
 * paging file (CreateFileMapping with INVALID_HANDLE_VALUE), which no other
 * process can reach but through a handle. Worker 0 fills it with pattern()
 * bytes, records its own handle value in the region (for messages, and for
 * the readers of give-take to collide with), and gives it through tickets;
 * the other workers take handles of their own and map the section through
 * them; worker 0 settles the tickets in verify, once every worker is done.
 *
 * 04-contract-handle-give-take: a taken handle is new in this process (each
 * reader first makes sections of its own until one has worker 0's value, so
 * the giver's value handed back is caught), names worker 0's section (its
 * bytes, and a mark the reader writes that worker 0 then finds through its
 * own handle), and is not inheritable; a ticket outside the region is ERANGE,
 * a zeroed one EINVAL, a ticket of a process that has exited ESRCH, giving a
 * closed handle EBADF; settling a copy leaves worker 0's handle open.
 *
 * 04-contract-handle-no-leak: a take adds exactly one handle to the taker's
 * table, the one it returns, and closing it takes the table back to where it
 * was; takes that fail, before the giver's process is opened or after,
 * change nothing.
 *
 * 04-contract-handle-access: a handle taken with FILE_MAP_READ cannot map the
 * section for writing (ERROR_ACCESS_DENIED); a read-only source gives
 * read-only handles; asking more than the giver stated is EACCES.
 *
 * 04-contract-handle-move: a moved handle is taken once (EALREADY the second
 * time), and once it is settled worker 0's own handle is closed; a copy stays
 * open and is settled once (EINVAL after); a ticket nobody takes times out
 * (ETIMEDOUT), leaves the handle open and is withdrawn (EINVAL).
 *
 * A ticket of a process that has exited needs a process that gives and then
 * exits while the run goes on, and Windows has no fork: worker 0 makes a
 * second region through the library, starts the worker program again as the
 * helper give_and_exit() (helpers_win32.h), which maps that region, gives a
 * section of its own there and exits, and closes the helper's handles. The
 * readers map the second region too, and take its ticket.
 *
 * Counting a process's handles: Wine 8's GetProcessHandleCount succeeds and
 * says 0, whatever the process holds, and its SystemProcessInformation count
 * does not move when a handle is made. So handle_table() asks
 * GetHandleInformation about each value in turn, which says which values are
 * open, and the check is the stronger one: the values open after a take are
 * those open before plus the one the take returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers_win32.h"

#define SECTION_BYTES   4096
#define SETTLE_MS       100     // a bound only: every reader has finished by verify, so a
                                // ticket not taken by then never will be
#define HELPER_MS       5000    // the bound on the helper's life
#define OWN_MAX         4096    // sections a reader may make to reach worker 0's value
#define TABLE_MAX       1024    // open handles handle_table() can hold
#define SCAN_GAP        256     // values past the last open one that it still asks about
#define READ_WRITE      (FILE_MAP_READ | FILE_MAP_WRITE)
#define MARK_AT(i)      (1024 + 32 * (i))       // where reader i writes in the section

struct gift {                   // at SHMLAB_HEADER_SIZE: what worker 0 records
	word64 handle;          // its section's value in ITS table: for messages, and to collide with
	char dead[SHMLAB_NAME_MAX];     // the region holding the ticket of a process that has exited
};

#define GIFT            ((shmlab_off)SHMLAB_HEADER_SIZE)
#define TICKET(i)       (GIFT + 128 + (shmlab_off)(i) * SHMLAB_TICKET_SIZE)
#define DEAD_TICKET     ((shmlab_off)SHMLAB_HEADER_SIZE)        // in the second region

_Static_assert(sizeof(struct gift) <= 128, "the gift fits before the tickets");

static HANDLE section, second;                  // worker 0's
static struct shmlab_region dead_region;        // worker 0's handle keeps the helper's region

static char
pattern(size_t off, int which)
{
	return (char)((which ? 'A' : 'a') + off % 26);
}

static struct gift *
gift_of(const struct shmlab_view *v)
{
	return (struct gift *)(v->base + GIFT);
}

// A Win32 error for messages: the names these scenarios meet, else the number.
static const char *
win_error(DWORD e, char *buf, size_t len)
{
	switch (e) {
	case ERROR_ACCESS_DENIED: return "ERROR_ACCESS_DENIED";
	case ERROR_INVALID_HANDLE: return "ERROR_INVALID_HANDLE";
	case ERROR_INVALID_PARAMETER: return "ERROR_INVALID_PARAMETER";
	}
	snprintf(buf, len, "error %lu", (unsigned long)e);
	return buf;
}

#define WINERR(e) win_error((e), (char[24]){ 0 }, 24)
#define HEX(h) ((unsigned long long)(uintptr_t)(h))

// A section of SECTION_BYTES pattern bytes, with no name: the only way to it
// is a handle. Returns the handle, or NULL with GetLastError() set.
static HANDLE
make_section(int which)
{
	HANDLE s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, SECTION_BYTES, NULL);
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0)) == NULL) {
		DWORD e = GetLastError();
		CloseHandle(s);
		SetLastError(e);
		return NULL;
	}
	for (size_t i = 0; i < SECTION_BYTES; i++)
		p[i] = pattern(i, which);
	UnmapViewOfFile(p);
	return s;
}

// Worker 0's section, recorded in the gift; with `two`, its second one too.
static int
open_sections(struct worker *w, const struct shmlab_view *v, int two)
{
	if ((section = make_section(0)) == NULL || (two && (second = make_section(1)) == NULL))
		return fail(w, "cannot make worker 0's sections: %s", WINERR(GetLastError()));
	gift_of(v)->handle = (uint64_t)(uintptr_t)section;
	return 0;
}

// 0 when h names worker 0's section number `which`: it maps, with its bytes.
static int
is_given_section(struct worker *w, const struct shmlab_view *v, HANDLE h, int which, const char *what)
{
	const char *p = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
	HANDLE given = (HANDLE)(uintptr_t)gift_of(v)->handle;
	int rc = 0;

	if (p == NULL)
		return fail(w, "%s: handle %#llx does not map for reading (%s): not worker 0's section%s", what,
		    HEX(h), WINERR(GetLastError()), h == given ? ", only worker 0's value for it" : "");
	for (size_t i = 64; i < 96 && rc == 0; i++)
		if (p[i] != pattern(i, which))
			rc = fail(w, "%s: handle %#llx maps a section that reads \"%.8s\" at 64, not worker 0's "
			    "\"%c%c%c...\"%s", what, HEX(h), p + 64, pattern(64, which), pattern(65, which),
			    pattern(66, which), h == given ? ": it is worker 0's value, which names this "
			    "process's own section here" : "");
	UnmapViewOfFile(p);
	return rc;
}

// Takes the ticket with `access` into *h; 0, or fail()'s -1.
static int
take(struct worker *w, const struct shmlab_view *v, int ticket, DWORD access, HANDLE *h, const char *what)
{
	*h = NULL;
	return SUCCEEDS(w, w->impl->handle_take(v, TICKET(ticket), access, h), what);
}

static int
settle(struct worker *w, const struct shmlab_view *v, int ticket, const char *what)
{
	return SUCCEEDS(w, w->impl->handle_settle(v, TICKET(ticket), SETTLE_MS), what);
}

static int
is_open(HANDLE h)
{
	DWORD flags;

	return GetHandleInformation(h, &flags) != 0;
}

// Closes worker 0's sections and the helper's region, whatever is open.
static void
close_all(struct worker *w)
{
	if (section && is_open(section))
		CloseHandle(section);
	if (second && is_open(second))
		CloseHandle(second);
	if (dead_region.name[0])
		w->impl->region_close(&dead_region);
	section = second = NULL;
	dead_region.name[0] = '\0';
}

// ------------------------------------------------------------ the open handles

struct table {
	int n;
	uintptr_t value[TABLE_MAX];     // ascending
};

// The values open in this process: GetHandleInformation succeeds for a value
// exactly when it is an open handle. Values are multiples of 4, handed out
// lowest first, so the scan stops SCAN_GAP values past the last open one.
static int
handle_table(struct table *t)
{
	uintptr_t last = 0;
	DWORD flags;

	t->n = 0;
	for (uintptr_t value = 4; value <= last + 4 * SCAN_GAP; value += 4) {
		if (!GetHandleInformation((HANDLE)value, &flags))
			continue;
		if (t->n == TABLE_MAX)
			return -1;
		t->value[t->n++] = last = value;
	}
	return 0;
}

static int
in_table(const struct table *t, uintptr_t value)
{
	for (int i = 0; i < t->n; i++)
		if (t->value[i] == value)
			return 1;
	return 0;
}

// What `after` has that `before` has not ("+0x44") and the reverse ("-0x48"),
// into buf; the number of differences.
static int
difference(const struct table *before, const struct table *after, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	for (int i = 0; i < after->n; i++)
		if (!in_table(before, after->value[i])) {
			snprintf(buf + strlen(buf), len - strlen(buf), " +%#llx", (unsigned long long)after->value[i]);
			n++;
		}
	for (int i = 0; i < before->n; i++)
		if (!in_table(after, before->value[i])) {
			snprintf(buf + strlen(buf), len - strlen(buf), " -%#llx", (unsigned long long)before->value[i]);
			n++;
		}
	return n;
}

// ------------------------------------------------------------ a giver that has exited

// Starts this program again as the helper GIVE_AND_EXIT; retries a few times
// when Wine's server answers ERROR_INTERNAL_ERROR, as it does now and then
// while several Wine programs start processes at once.
static BOOL
start_helper(const char *exe, char *cmd, PROCESS_INFORMATION *pi)
{
	STARTUPINFOA si = { .cb = sizeof si };

	for (int attempt = 0; attempt < 5; attempt++) {
		if (CreateProcessA(exe, cmd, NULL, NULL, FALSE, DETACHED_PROCESS, NULL, NULL, &si, pi))
			return TRUE;
		if (GetLastError() != ERROR_INTERNAL_ERROR)
			return FALSE;
		Sleep(20u << attempt);
	}
	return FALSE;
}

// Runs the helper on the second region and waits for it, at most HELPER_MS;
// then closes its handles, so that nothing of this process keeps it.
static int
run_helper(struct worker *w, const char *region)
{
	char exe[MAX_PATH], cmd[3 * MAX_PATH + 64];
	DWORD n = GetModuleFileNameA(NULL, exe, sizeof exe), status = 1;
	PROCESS_INFORMATION pi;

	if (n == 0 || n >= sizeof exe)
		return fail(w, "GetModuleFileName: %s", WINERR(GetLastError()));
	snprintf(cmd, sizeof cmd, "\"%s\" %s \"%s\" \"%s\" %llu", exe, GIVE_AND_EXIT, w->impl->path, region,
	    (unsigned long long)DEAD_TICKET);
	if (!start_helper(exe, cmd, &pi))
		return fail(w, "cannot start %s as a helper: %s", exe, WINERR(GetLastError()));
	if (WaitForSingleObject(pi.hProcess, HELPER_MS) != WAIT_OBJECT_0) {
		TerminateProcess(pi.hProcess, 1);
		WaitForSingleObject(pi.hProcess, HELPER_MS);    // a terminated process ends promptly
	}
	GetExitCodeProcess(pi.hProcess, &status);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	if (status != 0)
		return fail(w, "the helper that gives a ticket and exits ended with status %lu (2: cannot load "
		    "the library, 3: cannot map the region, 4: handle_give failed)", (unsigned long)status);
	return 0;
}

// The second region, made through the library, and in it a ticket whose
// giver has exited.
static int
give_from_the_dead(struct worker *w, const struct shmlab_view *v)
{
	struct gift *g = gift_of(v);

	if (shmlab_region_random_name(g->dead, sizeof g->dead) < 0)
		return fail(w, "cannot make a region name: %s", strerror(errno));
	if (SUCCEEDS(w, w->impl->region_create(&dead_region, g->dead, SECTION_BYTES),
	    "region_create(the helper's region)") < 0)
		return -1;
	return run_helper(w, g->dead);
}

int
give_and_exit(const char *library, const char *region, const char *ticket)
{
	struct shmlab_region r;
	struct shmlab_view v;
	struct impl im;
	char why[300];
	HANDLE s;

	if (impl_load(&im, library, why, sizeof why) < 0 || !(im.features & SHMLAB_FEATURE_HANDLES))
		return 2;
	if (im.region_open(&r, region) < 0 || im.region_map(&r, NULL, &v) < 0)
		return 3;
	if ((s = make_section(1)) == NULL || im.handle_give(&v, strtoull(ticket, NULL, 0), s, FILE_MAP_READ, 0) < 0)
		return 4;
	return 0;       // exiting closes the section, the view and the region
}

// A view of the helper's region, whose name the gift holds (read once).
static int
open_dead(struct worker *w, const struct shmlab_view *v, struct shmlab_view *dead)
{
	char name[SHMLAB_NAME_MAX];
	struct shmlab_region r;
	int rc;

	memcpy(name, gift_of(v)->dead, sizeof name);
	name[sizeof name - 1] = '\0';
	if (SUCCEEDS(w, w->impl->region_open(&r, name), "region_open(the helper's region)") < 0)
		return -1;
	rc = SUCCEEDS(w, w->impl->region_map(&r, NULL, dead), "region_map(the helper's region)");
	w->impl->region_close(&r);
	return rc;
}

// ------------------------------------------------------------ give-take

static int
give_take_prepare(struct worker *w, const struct shmlab_view *v)
{
	HANDLE closed;

	if (open_sections(w, v, 0) < 0)
		return -1;
	if (SUCCEEDS(w, w->impl->handle_give(v, TICKET(0), section, READ_WRITE, 0),
	    "handle_give(worker 0's section, FILE_MAP_READ | FILE_MAP_WRITE)") < 0 || give_from_the_dead(w, v) < 0)
		return -1;
	if ((closed = make_section(1)) == NULL)
		return fail(w, "cannot make a section: %s", WINERR(GetLastError()));
	CloseHandle(closed);
	return REFUSES(w, EBADF, w->impl->handle_give(v, TICKET(2), closed, FILE_MAP_READ, 0),
	    "handle_give(a closed handle)");
}

// Makes sections in this process until one has the value `want`, as any
// program may have one there (Windows hands out the same small values in
// every process), and closes the others. Returns that one, or NULL if
// OWN_MAX were not enough (the value is taken by another object here).
static HANDLE
own_section_at(HANDLE want)
{
	static HANDLE made[OWN_MAX];
	HANDLE found = NULL;
	int n = 0;

	while (n < OWN_MAX && found == NULL) {
		HANDLE s = make_section(1);
		if (s == NULL)
			break;
		if (s == want)
			found = s;
		else
			made[n++] = s;
	}
	while (n > 0)
		CloseHandle(made[--n]);
	return found;
}

// The taken handle h: new here, worker 0's section, not inheritable; leaves
// this reader's mark in the section.
static int
check_taken(struct worker *w, const struct shmlab_view *v, HANDLE h, const struct table *before)
{
	DWORD flags = 0;
	char *p;

	if (in_table(before, (uintptr_t)h))
		return fail(w, "handle_take gave %#llx, which was open in this process before: not a new "
		    "handle (worker 0's value was %#llx)", HEX(h), (unsigned long long)gift_of(v)->handle);
	if (is_given_section(w, v, h, 0, "handle_take(access 0)") < 0)
		return -1;
	if (!GetHandleInformation(h, &flags) || (flags & HANDLE_FLAG_INHERIT))
		return fail(w, "the taken handle %#llx is inheritable (or has no flags: %s)", HEX(h),
		    WINERR(GetLastError()));
	if ((p = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, 0)) == NULL)
		return fail(w, "the taken handle %#llx does not map for writing: %s", HEX(h), WINERR(GetLastError()));
	snprintf(p + MARK_AT(w->index), 32, "worker %d was here", w->index);
	UnmapViewOfFile(p);
	return 0;
}

// A take that must fail with errno want. What a wrong success gave is left
// open, for the process's exit to close: it may be a value this process
// already had for something else (its channel to the harness, say).
static int
refuse_take(struct worker *w, const struct shmlab_view *v, shmlab_off ticket, DWORD access, int want,
    const char *what)
{
	HANDLE h = NULL;

	return REFUSES(w, want, w->impl->handle_take(v, ticket, access, &h), what);
}

static int
take_from_the_dead(struct worker *w, const struct shmlab_view *v)
{
	struct shmlab_view dead;
	int rc;

	if (open_dead(w, v, &dead) < 0)
		return -1;
	rc = refuse_take(w, &dead, DEAD_TICKET, 0, ESRCH, "handle_take(a ticket of a process that has exited)");
	w->impl->view_unmap(&dead);
	return rc;
}

static int
give_take_run(struct worker *w, const struct shmlab_view *v)
{
	HANDLE own, got = NULL;
	struct table before;
	int rc;

	if (w->index == 0)
		return 0;
	own = own_section_at((HANDLE)(uintptr_t)gift_of(v)->handle);
	if (handle_table(&before) < 0)
		return fail(w, "more than %d handles open in this process", TABLE_MAX);
	rc = take(w, v, 0, 0, &got, "handle_take(a ticket of worker 0, access 0)");
	if (rc == 0)
		rc = check_taken(w, v, got, &before);
	if (rc == 0)
		rc = take_from_the_dead(w, v);
	if (rc == 0)
		rc = refuse_take(w, v, TICKET(3), 0, EINVAL, "handle_take(zero bytes, no ticket)");
	if (rc == 0)
		rc = refuse_take(w, v, v->size - SHMLAB_TICKET_SIZE / 2, 0, ERANGE,
		    "handle_take(a ticket that runs past the end of the region)");
	if (got != NULL && !in_table(&before, (uintptr_t)got))
		CloseHandle(got);       // never a value this process had before the take
	if (own != NULL)
		CloseHandle(own);
	return rc;
}

// Every reader's mark, found through worker 0's own handle: one section.
static int
check_marks(struct worker *w)
{
	const char *p = MapViewOfFile(section, FILE_MAP_READ, 0, 0, 0);
	char want[32];
	int rc = 0;

	if (p == NULL)
		return fail(w, "cannot map worker 0's own section: %s", WINERR(GetLastError()));
	for (int i = 1; i < w->procs && rc == 0; i++) {
		snprintf(want, sizeof want, "worker %d was here", i);
		if (strcmp(p + MARK_AT(i), want) != 0)
			rc = fail(w, "worker %d's mark is \"%.31s\" in worker 0's section, not \"%s\": its handle "
			    "named another section", i, p + MARK_AT(i), want);
	}
	UnmapViewOfFile(p);
	return rc;
}

static int
give_take_verify(struct worker *w, const struct shmlab_view *v)
{
	int rc = check_marks(w);

	if (rc == 0)
		rc = settle(w, v, 0, "handle_settle(a copy every reader took)");
	if (rc == 0 && !is_open(section))
		rc = fail(w, "handle_settle closed worker 0's handle %#llx, given without SHMLAB_GIVE_MOVE",
		    HEX(section));
	close_all(w);
	return rc;
}

const struct scenario contract_handle_give_take = {
	.name = "04-contract-handle-give-take",
	.summary = "a ticket in the region gives every other process a handle of its own to the section",
	.handout = "labs/04-handles/README.md#windows-handle-and-duplicatehandle",
	.rule = "handle-give-take",
	.region_size = 4096,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_HANDLES,
	.passes_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = give_take_prepare,
	.run = give_take_run,
	.verify = give_take_verify,
};

// ------------------------------------------------------------ no-leak

// A take adds the handle it returns to this process's table, nothing else,
// and closing it takes the table back.
static int
one_more(struct worker *w, const struct shmlab_view *v, DWORD access, const char *what)
{
	struct table before, during, after;
	char diff[200];
	HANDLE h;

	if (handle_table(&before) < 0 || take(w, v, 0, access, &h, what) < 0)
		return -1;
	if (in_table(&before, (uintptr_t)h))     // left open: it is not the take's to close
		return fail(w, "%s gave %#llx, which was open in this process before: not a new handle", what,
		    HEX(h));
	if (handle_table(&during) < 0) {
		CloseHandle(h);
		return fail(w, "more than %d handles open in this process", TABLE_MAX);
	}
	CloseHandle(h);
	if (handle_table(&after) < 0)
		return fail(w, "more than %d handles open in this process", TABLE_MAX);
	if (difference(&before, &during, diff, sizeof diff) != 1 || !in_table(&during, (uintptr_t)h))
		return fail(w, "%s: the handles open after it differ from those before by%s; a take makes "
		    "exactly one, the one it returns (%#llx)", what, diff, HEX(h));
	if (difference(&before, &after, diff, sizeof diff) != 0)
		return fail(w, "%s: once the taken handle %#llx was closed, the handles open differ from "
		    "those before by%s", what, HEX(h), diff);
	return 0;
}

// A take that fails with want leaves the table as it was.
static int
none_more(struct worker *w, const struct shmlab_view *v, shmlab_off ticket, DWORD access, int want,
    const char *what)
{
	struct table before, after;
	char diff[200];

	if (handle_table(&before) < 0 || refuse_take(w, v, ticket, access, want, what) < 0)
		return -1;
	if (handle_table(&after) < 0)
		return fail(w, "more than %d handles open in this process", TABLE_MAX);
	if (difference(&before, &after, diff, sizeof diff) != 0)
		return fail(w, "%s failed, as it must, and the handles open differ from those before by%s",
		    what, diff);
	return 0;
}

static int
no_leak_prepare(struct worker *w, const struct shmlab_view *v)
{
	if (open_sections(w, v, 0) < 0)
		return -1;
	if (SUCCEEDS(w, w->impl->handle_give(v, TICKET(0), section, READ_WRITE, 0),
	    "handle_give(worker 0's section, FILE_MAP_READ | FILE_MAP_WRITE)") < 0)
		return -1;
	return give_from_the_dead(w, v);
}

static int
no_leak_run(struct worker *w, const struct shmlab_view *v)
{
	struct shmlab_view dead;
	int rc;

	if (w->index == 0)
		return 0;
	if (open_dead(w, v, &dead) < 0)
		return -1;
	rc = one_more(w, v, 0, "handle_take(access 0)");
	if (rc == 0)
		rc = one_more(w, v, FILE_MAP_READ, "handle_take(FILE_MAP_READ)");
	if (rc == 0)        // fails before the giver's process is opened
		rc = none_more(w, v, TICKET(0), FILE_MAP_ALL_ACCESS, EACCES,
		    "handle_take(FILE_MAP_ALL_ACCESS, more than the giver stated)");
	if (rc == 0)        // opens what is left of the giver's process, or fails to
		rc = none_more(w, &dead, DEAD_TICKET, 0, ESRCH, "handle_take(a ticket of a process that has exited)");
	w->impl->view_unmap(&dead);
	return rc;
}

static int
settle_copy_verify(struct worker *w, const struct shmlab_view *v)
{
	int rc = settle(w, v, 0, "handle_settle(a copy every reader took)");

	close_all(w);
	return rc;
}

const struct scenario contract_handle_no_leak = {
	.name = "04-contract-handle-no-leak",
	.summary = "a take adds one handle to the taker's table, the one it returns, and nothing else",
	.handout = "labs/04-handles/README.md#windows-handle-and-duplicatehandle",
	.rule = "handle-no-leak",
	.region_size = 4096,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_HANDLES,
	.passes_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = no_leak_prepare,
	.run = no_leak_run,
	.verify = settle_copy_verify,
};

// ------------------------------------------------------------ access

static int
access_prepare(struct worker *w, const struct shmlab_view *v)
{
	if (open_sections(w, v, 0) < 0)
		return -1;
	// The read-only source: a second handle to the same section, FILE_MAP_READ only.
	if (!DuplicateHandle(GetCurrentProcess(), section, GetCurrentProcess(), &second, FILE_MAP_READ, FALSE, 0))
		return fail(w, "cannot make a read-only handle to worker 0's section: %s", WINERR(GetLastError()));
	if (SUCCEEDS(w, w->impl->handle_give(v, TICKET(0), section, READ_WRITE, 0),
	    "handle_give(the section, FILE_MAP_READ | FILE_MAP_WRITE)") < 0)
		return -1;
	return SUCCEEDS(w, w->impl->handle_give(v, TICKET(1), second, FILE_MAP_READ, 0),
	    "handle_give(a read-only handle, FILE_MAP_READ)");
}

// Takes `ticket` with `access` and checks that the handle maps for writing
// exactly when `writes` says, and reads worker 0's bytes.
static int
exactly(struct worker *w, const struct shmlab_view *v, int ticket, DWORD access, int writes, const char *what)
{
	HANDLE h;
	char *p;
	DWORD e;
	int rc = 0;

	if (take(w, v, ticket, access, &h, what) < 0)
		return -1;
	p = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, 0);
	e = GetLastError();
	if (p != NULL)
		UnmapViewOfFile(p);
	if (writes && p == NULL)
		rc = fail(w, "%s: the handle does not map for writing: %s", what, WINERR(e));
	else if (!writes && p != NULL)
		rc = fail(w, "%s: the handle maps for writing: more access than asked", what);
	else if (!writes && e != ERROR_ACCESS_DENIED)
		rc = fail(w, "%s: mapping it for writing failed with %s, expected ERROR_ACCESS_DENIED", what,
		    WINERR(e));
	else
		rc = is_given_section(w, v, h, 0, what);
	CloseHandle(h);
	return rc;
}

static int
access_run(struct worker *w, const struct shmlab_view *v)
{
	int rc;

	if (w->index == 0)
		return 0;
	rc = exactly(w, v, 0, FILE_MAP_READ, 0, "handle_take(a read-write source, FILE_MAP_READ)");
	if (rc == 0)
		rc = exactly(w, v, 0, 0, 1, "handle_take(a read-write source, access 0)");
	if (rc == 0)
		rc = exactly(w, v, 1, 0, 0, "handle_take(a read-only source, access 0)");
	if (rc == 0)
		rc = refuse_take(w, v, TICKET(1), FILE_MAP_WRITE, EACCES,
		    "handle_take(a read-only source, FILE_MAP_WRITE)");
	if (rc == 0)
		rc = refuse_take(w, v, TICKET(1), READ_WRITE, EACCES,
		    "handle_take(a read-only source, FILE_MAP_READ | FILE_MAP_WRITE)");
	return rc;
}

static int
access_verify(struct worker *w, const struct shmlab_view *v)
{
	int rc = settle(w, v, 0, "handle_settle(the read-write copy)");

	if (rc == 0)
		rc = settle(w, v, 1, "handle_settle(the read-only copy)");
	close_all(w);
	return rc;
}

const struct scenario contract_handle_access = {
	.name = "04-contract-handle-access",
	.summary = "a taken handle has the access asked for, never more, and never more than the giver stated",
	.handout = "labs/04-handles/README.md#less-access-than-the-owner",
	.rule = "handle-access",
	.region_size = 4096,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_HANDLES,
	.passes_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = access_prepare,
	.run = access_run,
	.verify = access_verify,
};

// ------------------------------------------------------------ move

static int
move_prepare(struct worker *w, const struct shmlab_view *v)
{
	if (open_sections(w, v, 1) < 0)
		return -1;
	if (SUCCEEDS(w, w->impl->handle_give(v, TICKET(0), section, READ_WRITE, SHMLAB_GIVE_MOVE),
	    "handle_give(worker 0's section, SHMLAB_GIVE_MOVE)") < 0)
		return -1;
	return SUCCEEDS(w, w->impl->handle_give(v, TICKET(1), second, READ_WRITE, 0),
	    "handle_give(worker 0's second section, a copy)");
}

// Worker 1 takes the moved handle in its first run; a second take, then or
// in its run through its other view under `double`, is EALREADY. The others
// take the copy: which of them would get the move first is a race.
static int
move_run(struct worker *w, const struct shmlab_view *v)
{
	static int runs;        // of this process: under `double`, one per view
	HANDLE h = NULL;
	int rc;

	if (w->index == 0)
		return 0;
	if (w->index > 1) {
		if ((rc = take(w, v, 1, 0, &h, "handle_take(a copy)")) == 0)
			rc = is_given_section(w, v, h, 1, "handle_take(a copy)");
		if (h != NULL)
			CloseHandle(h);
		return rc;
	}
	if (runs++ == 0) {
		if (take(w, v, 0, 0, &h, "handle_take(a moved handle)") < 0)
			return -1;
		rc = is_given_section(w, v, h, 0, "handle_take(a moved handle)");
		CloseHandle(h);
		if (rc < 0)
			return -1;
	}
	return refuse_take(w, v, TICKET(0), 0, EALREADY, "handle_take(a moved handle, taken already)");
}

// Worker 0's handle to the moved section must be closed: GetHandleInformation
// fails on it with ERROR_INVALID_HANDLE (this process has made no handle
// since the taker closed it that is still open).
static int
moved_away(struct worker *w)
{
	DWORD flags;

	if (GetHandleInformation(section, &flags))
		return fail(w, "worker 0's handle %#llx is still open after handle_settle: given with "
		    "SHMLAB_GIVE_MOVE and taken, it must be closed", HEX(section));
	if (GetLastError() != ERROR_INVALID_HANDLE)
		return fail(w, "GetHandleInformation on worker 0's moved handle %#llx: %s, expected "
		    "ERROR_INVALID_HANDLE", HEX(section), WINERR(GetLastError()));
	section = NULL;         // closed, by the taker
	return 0;
}

// A ticket nobody takes: settle times out and withdraws it, and the handle
// stays open.
static int
nobody_takes(struct worker *w, const struct shmlab_view *v)
{
	int rc = SUCCEEDS(w, w->impl->handle_give(v, TICKET(2), second, READ_WRITE, SHMLAB_GIVE_MOVE),
	    "handle_give(the second section, SHMLAB_GIVE_MOVE)");

	if (rc == 0)
		rc = REFUSES(w, ETIMEDOUT, w->impl->handle_settle(v, TICKET(2), 0),
		    "handle_settle(a moved handle nobody took, timeout 0)");
	if (rc == 0 && !is_open(second))
		rc = fail(w, "handle_settle timed out and still closed worker 0's handle %#llx", HEX(second));
	if (rc == 0)
		rc = refuse_take(w, v, TICKET(2), 0, EINVAL, "handle_take(a ticket withdrawn by a settle that timed out)");
	return rc;
}

static int
move_verify(struct worker *w, const struct shmlab_view *v)
{
	int rc = settle(w, v, 0, "handle_settle(a moved handle, taken)");

	if (rc == 0)
		rc = moved_away(w);
	if (rc == 0)
		rc = settle(w, v, 1, "handle_settle(a copy, taken)");
	if (rc == 0 && !is_open(second))
		rc = fail(w, "handle_settle closed worker 0's handle %#llx, given without SHMLAB_GIVE_MOVE",
		    HEX(second));
	if (rc == 0)
		rc = REFUSES(w, EINVAL, w->impl->handle_settle(v, TICKET(1), 0), "handle_settle(a settled ticket)");
	if (rc == 0)
		rc = nobody_takes(w, v);
	if (rc < 0)
		section = NULL; // it may be closed, and its value another handle now: leave it to exit
	close_all(w);
	return rc;
}

const struct scenario contract_handle_move = {
	.name = "04-contract-handle-move",
	.summary = "a moved handle is taken once, and settling leaves the giver's closed; a copy stays open",
	.handout = "labs/04-handles/README.md#who-closes-what",
	.rule = "handle-move",
	.region_size = 4096,
	.flags = CONTRACT,
	.features = SHMLAB_FEATURE_HANDLES,
	.passes_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = move_prepare,
	.run = move_run,
	.verify = move_verify,
};
