// 04-raw-handle-broken (Win32): worker 0 creates a section (an unnamed file
// mapping) and stores its HANDLE value in the region; the other workers use
// that value. A HANDLE is an index into one process's handle table, so in
// another process the value names nothing (ERROR_INVALID_HANDLE) or, worse,
// another object. To show the worse case every time, each reader first
// creates sections of its own until one of them has the same value, as any
// program may: Windows hands out the same small values in every process.
#include "win32_handoff.h"

#define OWN_MAX 4096            // how many sections a reader may make to reach the value

// ANCHOR: write
static int
publish_value(struct worker *w, const struct shmlab_view *v)
{
	struct w32_handoff *h = (struct w32_handoff *)v->base;
	HANDLE s = make_section("worker 0's section");

	if (s == NULL)
		return fail(w, "cannot make worker 0's section: %s", ERRNAME(GetLastError()));
	snprintf(h->text, sizeof h->text, "worker 0's section");
	h->pid = (uint32_t)GetCurrentProcessId();
	h->handle = (uint64_t)(uintptr_t)s;     // BROKEN: an index into worker 0's handle table
	return 0;
}
// ANCHOR_END: write

// Makes sections in this process until one has the value `want`, and
// closes the others. Returns that one, or NULL if OWN_MAX were not enough
// (the value is then taken by some other object of this process, or far).
static HANDLE
own_section_at(struct worker *w, HANDLE want)
{
	static HANDLE made[OWN_MAX];
	HANDLE found = NULL;
	char text[TEXT_MAX];
	int n = 0;

	snprintf(text, sizeof text, "worker %d's own section", w->index);
	while (n < OWN_MAX && found == NULL) {
		HANDLE s = make_section(text);
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

// ANCHOR: read
static int
use_value(struct worker *w, const struct shmlab_view *v)
{
	const struct w32_handoff *h = (const struct w32_handoff *)v->base;
	HANDLE own = NULL, s = (HANDLE)(uintptr_t)h->handle;   // BROKEN: means nothing here
	char text[TEXT_MAX];
	int rc = 0;

	if (w->index == 0)
		return 0;
	own = own_section_at(w, s);
	if (read_section(s, text, sizeof text) < 0)
		rc = fail(w, "handle %#llx is not a section in this process (%s): a HANDLE value means "
		    "nothing across processes", (unsigned long long)h->handle, ERRNAME(GetLastError()));
	else if (strcmp(text, h->text) != 0)
		rc = fail(w, "handle %#llx in this process is another section, which reads \"%s\", not "
		    "\"%s\": a HANDLE value means nothing across processes",
		    (unsigned long long)h->handle, text, h->text);
	if (own)
		CloseHandle(own);
	return rc;
}
// ANCHOR_END: read

// Worker 0 closes its section once every reader is done with the region.
static int
close_section(struct worker *w, const struct shmlab_view *v)
{
	const struct w32_handoff *h = (const struct w32_handoff *)v->base;

	if (!CloseHandle((HANDLE)(uintptr_t)h->handle))
		return fail(w, "cannot close worker 0's own section: %s", ERRNAME(GetLastError()));
	return 0;
}

const struct scenario lab04_raw_handle_broken = {
	.name = "04-raw-handle-broken",
	.summary = "a HANDLE value stored in the region and used by another process",
	.handout = "labs/04-handles/README.md#windows-handle-and-duplicatehandle",
	.region_size = 4096,
	.passes_under = 0,
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.prepare = publish_value,
	.run = use_value,
	.verify = close_section,
};
