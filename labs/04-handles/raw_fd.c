// 04-raw-fd-broken: worker 0 opens a file and stores its descriptor number in
// the region; the other workers use that number. A descriptor is an index
// into one process's table, so in another process the number names nothing
// (EBADF) or, worse, another file. To show the worse case every time, each
// reader has a file of its own at the same number before it looks, as any
// program may: open(2) hands out whichever number is free.
#include <fcntl.h>
#include <string.h>

#include "handoff.h"
#include "scenario.h"

#define RAW_FD 100              // where worker 0 puts its file, and each reader its own

static int
open_file_at(int at, const char *text)
{
	int fd = make_file(text, text ? strlen(text) : FILE_SIZE);

	if (fd < 0)
		return -1;
	if (dup3(fd, at, O_CLOEXEC) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return at;
}

// ANCHOR: write
static int
publish_number(struct worker *w, const struct shmlab_view *v)
{
	struct handoff *h = (struct handoff *)v->base;
	int fd = open_file_at(RAW_FD, NULL);

	if (fd < 0 || describe(fd, h) < 0)
		return fail(w, "cannot make worker 0's file: %s", strerror(errno));
	h->pid = (int32_t)getpid();
	h->fd = fd;             // BROKEN: an index into worker 0's descriptor table
	return 0;
}
// ANCHOR_END: write

// A reader's own file at RAW_FD, unless that number is taken already. Under
// `fork` it is: the child has a copy of worker 0's table.
static int
open_own_file(struct worker *w)
{
	char text[64];

	if (fcntl(RAW_FD, F_GETFD) >= 0)
		return 0;
	snprintf(text, sizeof text, "worker %d's own file\n", w->index);
	if (open_file_at(RAW_FD, text) < 0)
		return fail(w, "cannot make this worker's own file: %s", strerror(errno));
	return 0;
}

// ANCHOR: read
static int
use_number(struct worker *w, const struct shmlab_view *v)
{
	const struct handoff *h = (const struct handoff *)v->base;
	char why[120], text[24] = "";
	int fd;

	if (w->index != 0 && open_own_file(w) < 0)
		return -1;
	fd = h->fd;             // BROKEN: the number means nothing in this process
	if (fcntl(fd, F_GETFD) < 0)
		return fail(w, "fd %d is not open in this process (%s): a descriptor number "
		    "means nothing across processes", fd, strerror(errno));
	if (same_file(fd, h, 0, 16, why, sizeof why) < 0) {
		ssize_t n = pread(fd, text, sizeof text - 1, 0);
		if (n > 0 && text[n - 1] == '\n')
			text[n - 1] = '\0';
		return fail(w, "fd %d in this process is %s, which reads \"%s\": a descriptor number "
		    "means nothing across processes", fd, why, text);
	}
	return 0;
}
// ANCHOR_END: read

const struct scenario lab04_raw_fd_broken = {
	.name = "04-raw-fd-broken",
	.summary = "a descriptor number stored in the region and used by another process",
	.handout = "labs/04-handles/README.md#a-number-in-someone-elses-table",
	.region_size = 4096,
	.passes_under = ONLY(FORK),
	.caught_under = ONLY(DISTINCT) | ONLY(DOUBLE) | ONLY(SAME) | ONLY(KERNEL),
	.tour_under = ONLY(DISTINCT) | ONLY(FORK),
	.prepare = publish_number,
	.run = use_number,
};
