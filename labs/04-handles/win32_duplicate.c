// 04-duplicate-handle-fixed and 04-duplicate-read-only-fixed (Win32): worker
// 0 makes a handle to its section in each reader's process with
// DuplicateHandle, and writes the value, a number in the READER's handle
// table, into the reader's slot; the reader maps the section through it.
// The first gives the reader the same access as worker 0, and the reader
// writes a mark that worker 0 then reads through its own handle; the second
// gives it FILE_MAP_READ only, and the reader's attempt to map the section
// for writing must fail with ERROR_ACCESS_DENIED.
//
// 04-read-only-widened-broken: the same read-only handle, and a reader that
// does not take no for an answer: it asks DuplicateHandle for a copy of its
// own handle with more access, and writes. "In some cases, the new handle can
// have more access rights than the original handle" (DuplicateHandle,
// Remarks): the access check is made against the section's security when a
// handle is acquired, and an unnamed section made with default security
// lets its creator's user have everything. Less access guards against a
// reader's mistakes, not against a hostile reader.
#include "win32_handoff.h"

#define MARK_AT(i) (256 + 64 * (i))     // where reader i leaves its mark in the section

static HANDLE section;                  // worker 0's handle, made in prepare

static int
make_shared_section(struct worker *w, const struct shmlab_view *v)
{
	struct w32_handoff *h = (struct w32_handoff *)v->base;

	snprintf(h->text, sizeof h->text, "worker 0's section");
	if ((section = make_section(h->text)) == NULL)
		return fail(w, "cannot make worker 0's section: %s", ERRNAME(GetLastError()));
	h->pid = (uint32_t)GetCurrentProcessId();
	h->handle = (uint64_t)(uintptr_t)section;      // a fact about worker 0, for messages only
	return 0;
}

// ANCHOR: push
static int
push(struct worker *w, struct w32_handoff *h, struct slot *s, HANDLE reader, int i, DWORD access)
{
	HANDLE there = NULL;    // a value in the reader's table: never use it here
	DWORD options = access ? 0 : DUPLICATE_SAME_ACCESS;

	(void)h;
	if (!DuplicateHandle(GetCurrentProcess(), section, reader, &there, access, FALSE, options))
		return fail(w, "DuplicateHandle into worker %d: %s", i, ERRNAME(GetLastError()));
	s->value[0] = (uint64_t)(uintptr_t)there;      // FIXED: the reader's own value
	return 0;
}
// ANCHOR_END: push

static int
push_same(struct worker *w, struct w32_handoff *h, struct slot *s, HANDLE reader, int i)
{
	return push(w, h, s, reader, i, 0);
}

// ANCHOR: push_read
static int
push_read_only(struct worker *w, struct w32_handoff *h, struct slot *s, HANDLE reader, int i)
{
	return push(w, h, s, reader, i, FILE_MAP_READ);        // FIXED: less access than ours
}
// ANCHOR_END: push_read

// ANCHOR: use
static int
use_pushed(struct worker *w, const struct w32_handoff *h, HANDLE s)
{
	char text[TEXT_MAX], *p;

	if (read_section(s, text, sizeof text) < 0)
		return fail(w, "cannot map the pushed handle %#llx for reading: %s",
		    (unsigned long long)(uintptr_t)s, ERRNAME(GetLastError()));
	if (strcmp(text, h->text) != 0)
		return fail(w, "the pushed handle %#llx is a section that reads \"%s\", not \"%s\"",
		    (unsigned long long)(uintptr_t)s, text, h->text);
	if ((p = MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0)) == NULL)
		return fail(w, "cannot map the pushed handle %#llx for writing: %s",
		    (unsigned long long)(uintptr_t)s, ERRNAME(GetLastError()));
	snprintf(p + MARK_AT(w->index), 64, "worker %d was here", w->index);
	UnmapViewOfFile(p);
	return 0;
}
// ANCHOR_END: use

// ANCHOR: use_read
static int
use_read_only(struct worker *w, const struct w32_handoff *h, HANDLE s)
{
	char text[TEXT_MAX], *p;
	DWORD e;

	if ((p = MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0)) != NULL) {
		UnmapViewOfFile(p);
		return fail(w, "the handle pushed with FILE_MAP_READ only mapped for writing: expected "
		    "ERROR_ACCESS_DENIED");
	}
	if ((e = GetLastError()) != ERROR_ACCESS_DENIED)
		return fail(w, "mapping the read-only handle %#llx for writing failed with %s, expected "
		    "ERROR_ACCESS_DENIED", (unsigned long long)(uintptr_t)s, ERRNAME(e));
	if (read_section(s, text, sizeof text) < 0 || strcmp(text, h->text) != 0)
		return fail(w, "the read-only handle %#llx does not read \"%s\": %s",
		    (unsigned long long)(uintptr_t)s, h->text, ERRNAME(GetLastError()));
	return 0;
}
// ANCHOR_END: use_read

// ANCHOR: widen
static int
widen_and_write(struct worker *w, const struct w32_handoff *h, HANDLE s)
{
	HANDLE wide = NULL;
	char *p;

	(void)h;
	if (!DuplicateHandle(GetCurrentProcess(), s, GetCurrentProcess(), &wide, FILE_MAP_WRITE | FILE_MAP_READ,
	    FALSE, 0))
		return 0;       // refused: here the read-only handle held
	p = MapViewOfFile(wide, FILE_MAP_WRITE, 0, 0, 0);
	CloseHandle(wide);
	if (p == NULL)
		return 0;
	snprintf(p + MARK_AT(w->index), 64, "worker %d wrote here", w->index);
	UnmapViewOfFile(p);
	return fail(w, "BROKEN: the reader widened its FILE_MAP_READ handle with DuplicateHandle and "
	    "wrote into worker 0's section: less access is no boundary against the reader");
}
// ANCHOR_END: widen

// A reader asks, uses what it got, closes it, and says it is done (even
// when a check failed, so that worker 0 does not wait in vain).
static int
reader(struct worker *w, const struct shmlab_view *v, int (*use)(struct worker *, const struct w32_handoff *, HANDLE))
{
	struct w32_handoff *h = (struct w32_handoff *)v->base;
	struct slot *s = &h->slot[w->index];
	HANDLE mine;
	LONG k;
	int rc;

	if ((k = ask(w, s)) < 0)
		return -1;
	mine = (HANDLE)(uintptr_t)s->value[0];
	if (mine == NULL)
		rc = fail(w, "worker 0 pushed no handle (see its report)");
	else if ((rc = use(w, h, mine)) == 0 && !CloseHandle(mine))
		rc = fail(w, "cannot close the pushed handle %#llx: %s",
		    (unsigned long long)(uintptr_t)mine, ERRNAME(GetLastError()));
	InterlockedExchange(&s->done, k);
	return rc;
}

static int
run_same(struct worker *w, const struct shmlab_view *v)
{
	if (w->index != 0)
		return reader(w, v, use_pushed);
	return w->view == 0 ? serve(w, (struct w32_handoff *)v->base, push_same, NULL) : 0;
}

static int
run_read_only(struct worker *w, const struct shmlab_view *v)
{
	if (w->index != 0)
		return reader(w, v, use_read_only);
	return w->view == 0 ? serve(w, (struct w32_handoff *)v->base, push_read_only, NULL) : 0;
}

// Under `double` a reader runs through view 1, then view 0, and asks each
// time: it widens on its last pass only, so worker 0 serves every ask.
static int
run_widened(struct worker *w, const struct shmlab_view *v)
{
	if (w->index != 0)
		return reader(w, v, w->view == 0 ? widen_and_write : use_read_only);
	return w->view == 0 ? serve(w, (struct w32_handoff *)v->base, push_read_only, NULL) : 0;
}

// Worker 0 finds each reader's mark through its own handle: one section.
static int
check_marks(struct worker *w, const struct shmlab_view *v)
{
	const char *p = MapViewOfFile(section, FILE_MAP_READ, 0, 0, 0);
	char want[64];
	int rc = 0;

	(void)v;
	if (p == NULL)
		return fail(w, "cannot map worker 0's own section: %s", ERRNAME(GetLastError()));
	for (int i = 1; i < w->procs && i < W32_READERS && rc == 0; i++) {
		snprintf(want, sizeof want, "worker %d was here", i);
		if (strcmp(p + MARK_AT(i), want) != 0)
			rc = fail(w, "worker %d's mark is \"%.63s\" in worker 0's section, not \"%s\"",
			    i, p + MARK_AT(i), want);
	}
	UnmapViewOfFile(p);
	CloseHandle(section);
	return rc;
}

static int
close_section(struct worker *w, const struct shmlab_view *v)
{
	(void)v;
	if (!CloseHandle(section))
		return fail(w, "cannot close worker 0's section: %s", ERRNAME(GetLastError()));
	return 0;
}

const struct scenario lab04_duplicate_handle_fixed = {
	.name = "04-duplicate-handle-fixed",
	.summary = "DuplicateHandle makes a handle in each reader, which gets its value through the region",
	.handout = "labs/04-handles/README.md#windows-handle-and-duplicatehandle",
	.region_size = 4096,
	.passes_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = make_shared_section,
	.run = run_same,
	.verify = check_marks,
};

const struct scenario lab04_duplicate_read_only_fixed = {
	.name = "04-duplicate-read-only-fixed",
	.summary = "DuplicateHandle with FILE_MAP_READ only: the reader cannot map the section for writing",
	.handout = "labs/04-handles/README.md#windows-handle-and-duplicatehandle",
	.region_size = 4096,
	.passes_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = make_shared_section,
	.run = run_read_only,
	.verify = close_section,
};

const struct scenario lab04_read_only_widened_broken = {
	.name = "04-read-only-widened-broken",
	.summary = "a reader widens its FILE_MAP_READ handle with DuplicateHandle and writes",
	.handout = "labs/04-handles/README.md#less-access-is-a-guard-not-a-boundary",
	.region_size = 4096,
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = make_shared_section,
	.run = run_widened,
	.verify = close_section,
};
