/*
 * Regions and views (region.h), as lab 02 relies on them.
 *
 * 02-contract-region-lifecycle: a region is created once under its name
 * (EEXIST the second time), mode 0600, zero-filled; open finds its size;
 * views of it share bytes; closing the descriptor and unlinking the name
 * leave the views working; after unlink the name is gone (ENOENT); unmap
 * really unmaps, once: unmapping the view again leaves alone what was
 * mapped at its address since. An anonymous (memfd) region has no name and maps the same.
 * A name too long for r->name is refused (-1) by create, which makes nothing,
 * and by open, even of a region that exists under it; what the
 * contract leaves open (an object not yet sized, 0 bytes, a view that is not
 * one) is 0 or -1 with errno, never another value.
 *
 * 02-contract-map-at-address: a view lands exactly where it is asked to, or the call
 * fails: EEXIST where anything is mapped (even one page of the range, even
 * the region itself), and what was there is untouched (MAP_FIXED would have
 * replaced it); EINVAL for an address that is not page-aligned.
 *
 * 02-contract-map-at-old-kernel: the same on a kernel older than 4.17, which
 * takes MAP_FIXED_NOREPLACE as a hint (the harness preloads an mmap that
 * does so): a view lands where asked when the range is free; over a busy
 * range the call still fails (EEXIST or EADDRNOTAVAIL), what was there is
 * untouched, and no view of the region is left wherever the kernel put it.
 *
 * 02-contract-shared-bytes: what one process writes through its view, every
 * other process reads through each of its own, and the other way round.
 *
 * Every check runs in every worker, through each of its views. Each worker
 * makes its own regions with names of its own, and removes every name and
 * mapping it made even when a check fails (directly, not through the library
 * under test, which may be what failed).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"

#define SIZE    65536u          // the regions these scenarios make themselves

// What a check made, so that it can be undone whatever the library did.
struct mapping { void *at; size_t len; };

struct made {
	char name[SHMLAB_NAME_MAX];     // "" once unlinked (or never created)
	int fd[4];
	int nfd;
	struct mapping map[8];
	int nmap;
};

static void
keep_fd(struct made *m, int fd)
{
	if (fd >= 0 && m->nfd < 4)
		m->fd[m->nfd++] = fd;
}

// Forgets fd (the library closed it) so cleanup does not close it again.
static void
drop_fd(struct made *m, int fd)
{
	for (int i = 0; i < m->nfd; i++)
		if (m->fd[i] == fd)
			m->fd[i] = -1;
}

static void
keep_range(struct made *m, void *at, size_t len)
{
	if (at && m->nmap < 8)
		m->map[m->nmap++] = (struct mapping){ at, len };
}

static void
keep_map(struct made *m, const struct shmlab_view *v)
{
	keep_range(m, v->base, (size_t)v->size);
}

static void
drop_map(struct made *m, const void *at)
{
	for (int i = 0; i < m->nmap; i++)
		if (m->map[i].at == at)
			m->map[i].at = NULL;
}

static void
undo(struct made *m)
{
	if (m->name[0])
		shm_unlink(m->name);
	for (int i = 0; i < m->nfd; i++)
		if (m->fd[i] >= 0)
			close(m->fd[i]);
	for (int i = 0; i < m->nmap; i++)
		if (m->map[i].at)
			munmap(m->map[i].at, m->map[i].len);
	memset(m, 0, sizeof *m);
}

// Writes through one view and reads through the other, both ways.
static int
shared(struct worker *w, const struct shmlab_view *a, const struct shmlab_view *b, const char *when)
{
	unsigned char x = (unsigned char)(0x40 + w->index), y = (unsigned char)(0x80 + w->index);

	a->base[100] = x;
	b->base[SIZE - 100] = y;
	if (b->base[100] != x || a->base[SIZE - 100] != y)
		return fail(w, "%s: a byte written through one view (base %p) reads %#x through another "
		    "(base %p), expected %#x: the views do not share memory", when, (void *)a->base,
		    b->base[100], (void *)b->base, x);
	return 0;
}

static int
zero_filled(struct worker *w, const struct shmlab_view *v, const char *what)
{
	for (uint64_t i = 0; i < v->size; i++)
		if (v->base[i])
			return fail(w, "%s: byte %llu of a new region is %#x, expected 0 (zero-filled)",
			    what, (unsigned long long)i, v->base[i]);
	return 0;
}

static int
mode_0600(struct worker *w, int fd, const char *what)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return fail(w, "%s: fstat on the region's fd %d failed: %s", what, fd, errname(errno));
	if ((st.st_mode & 07777) != 0600 || (uint64_t)st.st_size != SIZE)
		return fail(w, "%s: expected mode 0600 and %u bytes, got mode %#o and %lld bytes", what,
		    SIZE, (unsigned)(st.st_mode & 07777), (long long)st.st_size);
	return 0;
}

// Closes r through the library: 0, fd -1, and the descriptor really closed.
static int
closes(struct worker *w, struct made *m, struct shmlab_region *r)
{
	int fd = r->fd;

	if (SUCCEEDS(w, w->impl->region_close(r), "region_close") < 0)
		return -1;
	if (r->fd != -1)
		return fail(w, "region_close: expected fd -1 afterwards, got %d", r->fd);
	if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
		return fail(w, "region_close returned 0 but descriptor %d is still open", fd);
	drop_fd(m, fd);
	return 0;
}

// A view unmapped once is no view: unmapping it again (whatever that
// returns) leaves alone what this process has mapped at its address since.
static int
unmaps_once(struct worker *w, struct shmlab_view *v, unsigned char *at)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p = mmap(at, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
	    -1, 0);
	int still;

	if (p == MAP_FAILED)
		return 0;               // taken meanwhile: nothing to tell
	if (p == at)
		w->impl->view_unmap(v);
	still = msync(p, (size_t)page, MS_ASYNC) == 0;
	munmap(p, (size_t)page);
	if (!still)
		return fail(w, "view_unmap of a view already unmapped unmapped the page this process mapped at %p "
		    "since", (void *)at);
	return 0;
}

static int
unmaps(struct worker *w, struct made *m, struct shmlab_view *v)
{
	unsigned char *at = v->base;

	if (SUCCEEDS(w, w->impl->view_unmap(v), "view_unmap") < 0)
		return -1;
	if (msync(at, SIZE, MS_ASYNC) == 0)
		return fail(w, "view_unmap returned 0 but the view at %p is still mapped", (void *)at);
	drop_map(m, at);
	return unmaps_once(w, v, at);
}

// Create twice, open, map, close, unlink, unmap: one named region's life.
static int
named_life(struct worker *w, struct made *m)
{
	const struct impl *im = w->impl;
	struct shmlab_region r, again, o, gone;
	struct shmlab_view a, b;
	char name[SHMLAB_NAME_MAX];
	int fd;

	if (shmlab_region_random_name(name, sizeof name) < 0)
		return fail(w, "cannot make a region name: %s", errname(errno));
	strcpy(m->name, name);          // from here on, undo() unlinks it
	if (SUCCEEDS(w, im->region_create(&r, name, SIZE), "region_create(fresh name)") < 0)
		return -1;
	keep_fd(m, r.fd);
	if (r.size != SIZE || strcmp(r.name, name) != 0)
		return fail(w, "region_create: expected size %u and name %s, got %llu and '%.64s'",
		    SIZE, name, (unsigned long long)r.size, r.name);
	if (REFUSES(w, EEXIST, im->region_create(&again, name, SIZE), "region_create(same name again)") < 0) {
		if (check_rc == 0)
			keep_fd(m, again.fd);
		return -1;
	}
	if (mode_0600(w, r.fd, "region_create") < 0)
		return -1;
	if (SUCCEEDS(w, im->region_open(&o, name), "region_open(the name just created)") < 0)
		return -1;
	keep_fd(m, o.fd);
	if (o.size != SIZE)
		return fail(w, "region_open: expected size %u (from fstat), got %llu", SIZE, (unsigned long long)o.size);
	a.base = b.base = NULL;
	if (SUCCEEDS(w, im->region_map(&r, NULL, &a), "region_map(created, anywhere)") < 0)
		return -1;
	keep_map(m, &a);
	if (SUCCEEDS(w, im->region_map(&o, NULL, &b), "region_map(opened, anywhere)") < 0)
		return -1;
	keep_map(m, &b);
	if (a.size != SIZE || b.size != SIZE || a.base == b.base)
		return fail(w, "region_map: expected two views of %u bytes at two addresses, got %llu at %p, "
		    "%llu at %p", SIZE, (unsigned long long)a.size, (void *)a.base, (unsigned long long)b.size,
		    (void *)b.base);
	if (zero_filled(w, &b, "region_create") < 0 || shared(w, &a, &b, "after map") < 0)
		return -1;
	if (closes(w, m, &r) < 0 || closes(w, m, &o) < 0 || shared(w, &b, &a, "after region_close") < 0)
		return -1;
	if (SUCCEEDS(w, im->region_unlink(name), "region_unlink") < 0)
		return -1;
	if (REFUSES(w, ENOENT, im->region_open(&gone, name), "region_open after region_unlink") < 0
	    || REFUSES(w, EINVAL, im->region_open(&gone, NULL), "region_open(NULL): an anonymous region has no name") < 0) {
		if (check_rc == 0)
			keep_fd(m, gone.fd);
		return -1;
	}
	fd = shm_open(name, O_RDONLY, 0);
	if (fd >= 0 || errno != ENOENT) {
		keep_fd(m, fd);
		return fail(w, "region_unlink returned 0 but shm_open still finds %s: the name was not removed",
		    name);
	}
	m->name[0] = '\0';
	if (shared(w, &a, &b, "after region_unlink") < 0)
		return -1;
	if (REFUSES(w, ENOENT, im->region_unlink(name), "region_unlink of a name already unlinked") < 0)
		return -1;
	return unmaps(w, m, &a) < 0 || unmaps(w, m, &b) < 0 ? -1 : 0;
}

// An anonymous region: no name, mode 0600, and two views share it.
static int
anonymous_life(struct worker *w, struct made *m)
{
	const struct impl *im = w->impl;
	struct shmlab_region r;
	struct shmlab_view a, b;

	if (SUCCEEDS(w, im->region_create(&r, NULL, SIZE), "region_create(NULL: anonymous)") < 0)
		return -1;
	keep_fd(m, r.fd);
	if (r.size != SIZE || r.name[0] != '\0')
		return fail(w, "region_create(NULL): expected size %u and name \"\", got %llu and '%.64s'",
		    SIZE, (unsigned long long)r.size, r.name);
	if (mode_0600(w, r.fd, "region_create(NULL)") < 0)
		return -1;
	if (SUCCEEDS(w, im->region_map(&r, NULL, &a), "region_map(anonymous)") < 0)
		return -1;
	keep_map(m, &a);
	if (SUCCEEDS(w, im->region_map(&r, NULL, &b), "region_map(anonymous, second view)") < 0)
		return -1;
	keep_map(m, &b);
	if (a.base == b.base)
		return fail(w, "region_map(anonymous): two views at one address %p", (void *)a.base);
	if (zero_filled(w, &a, "region_create(NULL)") < 0 || shared(w, &a, &b, "anonymous region") < 0)
		return -1;
	if (closes(w, m, &r) < 0 || shared(w, &b, &a, "anonymous region after region_close") < 0)
		return -1;
	return unmaps(w, m, &a) < 0 || unmaps(w, m, &b) < 0 ? -1 : 0;
}

// Either 0 or -1 with errno set, as every function of the contract: a call
// the contract does not say must fail may succeed, but never returns else.
static int
zero_or_minus_one(struct worker *w, int rc, int err, const char *what)
{
	if (rc == 0 || (rc == -1 && err != 0))
		return 0;
	return fail(w, "%s: expected 0, or -1 with errno set; got %d with %s", what, rc, errname(err));
}

#define ANSWERS(w, call, what) (errno = 0, check_rc = (call), zero_or_minus_one((w), check_rc, errno, (what)))

// Fails if name exists (and removes it): a failed create must leave nothing.
static int
no_such_name(struct worker *w, const char *name, const char *what)
{
	int fd = shm_open(name, O_RDONLY, 0);

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd >= 0)
		close(fd);
	shm_unlink(name);
	return fail(w, "%s failed, but left the name %.40s... behind", what, name);
}

// A name one byte too long for r->name (SHMLAB_NAME_MAX with its NUL) is
// refused, creates nothing, and writes nothing past the struct.
static int
name_too_long(struct worker *w)
{
	struct { struct shmlab_region r; unsigned char after[16]; } guarded;
	char name[SHMLAB_NAME_MAX + 1];
	size_t n;
	int fd;

	if (shmlab_region_random_name(name, sizeof name) < 0)
		return fail(w, "cannot make a region name: %s", errname(errno));
	for (n = strlen(name); n < SHMLAB_NAME_MAX; n++)
		name[n] = 'x';
	name[n] = '\0';
	memset(guarded.after, 0xa5, sizeof guarded.after);
	errno = 0;
	check_rc = w->impl->region_create(&guarded.r, name, SIZE);
	if (check_rc == 0) {
		close(guarded.r.fd);
		shm_unlink(name);
	}
	if (check_rc != -1 || errno == 0)
		return fail(w, "region_create of a %zu-byte name (r->name holds %u with its NUL): expected -1 with "
		    "errno set, got %d with %s", n, SHMLAB_NAME_MAX, check_rc, errname(errno));
	for (size_t i = 0; i < sizeof guarded.after; i++)
		if (guarded.after[i] != 0xa5)
			return fail(w, "region_create of a %zu-byte name wrote past the struct shmlab_region", n);
	if (no_such_name(w, name, "region_create of a name too long") < 0)
		return -1;
	// The object exists (made here directly): the name still does not fit.
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0 || ftruncate(fd, SIZE) < 0) {
		if (fd >= 0)
			close(fd);
		shm_unlink(name);
		return fail(w, "cannot make a region of a %zu-byte name with shm_open: %s", n, errname(errno));
	}
	close(fd);
	errno = 0;
	check_rc = w->impl->region_open(&guarded.r, name);
	shm_unlink(name);
	if (check_rc == 0)
		close(guarded.r.fd);
	if (check_rc != -1 || errno == 0)
		return fail(w, "region_open of an existing region with a %zu-byte name (r->name holds %u with its "
		    "NUL): expected -1 with errno set, got %d with %s", n, SHMLAB_NAME_MAX, check_rc, errname(errno));
	for (size_t i = 0; i < sizeof guarded.after; i++)
		if (guarded.after[i] != 0xa5)
			return fail(w, "region_open of a %zu-byte name wrote past the struct shmlab_region", n);
	return 0;
}

// Refusals the contract leaves open are still -1 with errno, never else:
// an object not yet sized, sizes 0 and 2^64 - 1, views that are not views.
static int
odd_requests(struct worker *w, struct made *m)
{
	const struct impl *im = w->impl;
	struct shmlab_region r;
	struct shmlab_view none = { NULL, SIZE }, skewed;
	char name[SHMLAB_NAME_MAX];
	unsigned char *page;
	int fd;

	if (shmlab_region_random_name(name, sizeof name) < 0)
		return fail(w, "cannot make a region name: %s", errname(errno));
	strcpy(m->name, name);
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
		return fail(w, "shm_open(O_CREAT) failed: %s", errname(errno));
	keep_fd(m, fd);
	if (ANSWERS(w, im->region_open(&r, name), "region_open of an object of 0 bytes (created, not sized)") < 0)
		return -1;
	if (check_rc == 0)
		keep_fd(m, r.fd);
	if (ANSWERS(w, im->region_create(&r, NULL, 0), "region_create(NULL, 0 bytes)") < 0)
		return -1;
	if (check_rc == 0)
		keep_fd(m, r.fd);
	errno = 0;
	if ((check_rc = im->region_create(&r, NULL, UINT64_MAX)) != -1 || errno == 0) {
		if (check_rc == 0)
			keep_fd(m, r.fd);
		return fail(w, "region_create(NULL, 2^64 - 1 bytes: more than any file holds): expected -1 with errno "
		    "set, got %d with %s", check_rc, errname(errno));
	}
	if (ANSWERS(w, im->view_unmap(&none), "view_unmap of a view whose base is NULL") < 0)
		return -1;
	page = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return fail(w, "cannot map a private page: %s", errname(errno));
	keep_range(m, page, SIZE);
	skewed = (struct shmlab_view){ page + 8, SIZE - 8 };
	return ANSWERS(w, im->view_unmap(&skewed), "view_unmap of a view at a base that is not page-aligned");
}

static int
lifecycle(struct worker *w, const struct shmlab_view *v)
{
	struct made m = { .nfd = 0 };
	int rc;

	(void)v;
	rc = named_life(w, &m);
	undo(&m);
	if (rc == 0)
		rc = anonymous_life(w, &m);
	undo(&m);
	if (rc == 0)
		rc = name_too_long(w);
	if (rc == 0)
		rc = odd_requests(w, &m);
	undo(&m);
	return rc;
}

// ---------------------------------------------------------------- map-at

// A page-aligned range of len bytes that nothing in this process uses now.
static unsigned char *
free_range(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len);
	return p;
}

// Mapping at a busy address must fail with EEXIST and leave the marker that
// lies marker_at bytes into the range untouched.
static int
refuses_busy(struct worker *w, struct made *m, const struct shmlab_region *r, unsigned char *at,
    size_t marker_at, const char *what)
{
	struct shmlab_view v = { NULL, 0 };
	unsigned char mark = (unsigned char)(0xa5 ^ w->index);

	at[marker_at] = mark;
	if (REFUSES(w, EEXIST, w->impl->region_map(r, at, &v), what) < 0) {
		if (check_rc == 0 && v.base != at)
			keep_map(m, &v);
		if (check_rc == 0 && at[marker_at] != mark)
			return fail(w, "%s: mapped over what was there (MAP_FIXED?): the byte %#x at %p is now %#x",
			    what, mark, (void *)(at + marker_at), at[marker_at]);
		return -1;
	}
	if (at[marker_at] != mark)
		return fail(w, "%s: refused, but the byte %#x at %p is now %#x", what, mark,
		    (void *)(at + marker_at), at[marker_at]);
	return 0;
}

static int
map_at_checks(struct worker *w, struct made *m, const struct shmlab_region *r, long page)
{
	const struct impl *im = w->impl;
	struct shmlab_view a = { NULL, 0 }, b = { NULL, 0 };
	unsigned char *at = free_range(SIZE + 2 * (size_t)page), *busy, *edge;

	if (at == NULL)
		return fail(w, "no free address range for the checks: %s", errname(errno));
	at += page;
	if (SUCCEEDS(w, im->region_map(r, at, &a), "region_map at a free page-aligned address") < 0)
		return -1;
	keep_map(m, &a);
	if (a.base != at || a.size != SIZE)
		return fail(w, "region_map(at %p): expected the view at %p, %u bytes; got %p, %llu bytes",
		    (void *)at, (void *)at, SIZE, (void *)a.base, (unsigned long long)a.size);
	if (SUCCEEDS(w, im->region_map(r, NULL, &b), "region_map anywhere") < 0)
		return -1;
	keep_map(m, &b);
	if (shared(w, &a, &b, "a view mapped at an address and one mapped anywhere") < 0)
		return -1;
	if (refuses_busy(w, m, r, a.base, 200, "region_map over a view of the region itself") < 0
	    || shared(w, &b, &a, "after a refused map over the view") < 0)
		return -1;

	busy = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (busy == MAP_FAILED)
		return fail(w, "cannot map a private page: %s", errname(errno));
	keep_range(m, busy, SIZE);
	if (refuses_busy(w, m, r, busy, 0, "region_map over a private mapping") < 0)
		return -1;
	// Only the last page of the range is in use: every page must be checked.
	edge = busy;
	munmap(busy, SIZE - (size_t)page);
	m->map[m->nmap - 1] = (struct mapping){ busy + SIZE - page, (size_t)page };
	if (refuses_busy(w, m, r, edge, SIZE - (size_t)page + 7, "region_map over a range whose last page is in use") < 0)
		return -1;

	at = free_range(SIZE + 2 * (size_t)page);
	if (at == NULL)
		return fail(w, "no free address range for the checks: %s", errname(errno));
	for (size_t skew = 1; skew < (size_t)page; skew *= 8) {
		struct shmlab_view bad = { NULL, 0 };
		if (REFUSES(w, EINVAL, im->region_map(r, at + page + skew, &bad), "region_map at an address "
		    "that is not page-aligned") < 0) {
			if (check_rc == 0)
				keep_map(m, &bad);
			return -1;
		}
	}
	return unmaps(w, m, &a) < 0 || unmaps(w, m, &b) < 0 ? -1 : 0;
}

static int
map_at(struct worker *w, const struct shmlab_view *v)
{
	struct made m = { .nfd = 0 };
	struct shmlab_region r;
	int rc;

	(void)v;
	if (SUCCEEDS(w, w->impl->region_create(&r, NULL, SIZE), "region_create(NULL: anonymous)") < 0)
		return -1;
	keep_fd(&m, r.fd);
	rc = map_at_checks(w, &m, &r, sysconf(_SC_PAGESIZE));
	undo(&m);
	return rc;
}

// ---------------------------------------------------------------- map-at, old kernel

// Whether this process's mmap is the old kernel's: MAP_FIXED_NOREPLACE over
// a busy page places the mapping elsewhere instead of failing.
static int
old_kernel_here(long page)
{
	void *busy = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *p;

	if (busy == MAP_FAILED)
		return 0;
	p = mmap(busy, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	munmap(busy, (size_t)page);
	if (p == MAP_FAILED)
		return 0;
	munmap(p, (size_t)page);
	return p != busy;
}

// On the old kernel a busy range is only a hint taken elsewhere: the call
// must fail all the same (EEXIST, or EADDRNOTAVAIL: placed elsewhere), leave
// the marker, and leave no view of the region behind.
static int
refuses_busy_old(struct worker *w, struct made *m, const struct shmlab_region *r, unsigned char *at,
    size_t marker_at, const char *what)
{
	struct shmlab_view v = { NULL, 0 };
	unsigned char mark = (unsigned char)(0x5a ^ w->index);
	int before = views_of(r->fd), after;

	at[marker_at] = mark;
	errno = 0;
	check_rc = w->impl->region_map(r, at, &v);
	if (check_rc == 0) {
		if (v.base != at)
			keep_map(m, &v);
		return fail(w, "%s: expected -1 with EEXIST or EADDRNOTAVAIL, got 0 with the view at %p", what,
		    (void *)v.base);
	}
	if (check_rc != -1 || (errno != EEXIST && errno != EADDRNOTAVAIL))
		return fail(w, "%s: expected -1 with EEXIST or EADDRNOTAVAIL, got %d with %s", what, check_rc,
		    errname(errno));
	if (at[marker_at] != mark)
		return fail(w, "%s: refused, but the byte %#x at %p is now %#x", what, mark, (void *)(at + marker_at),
		    at[marker_at]);
	if ((after = views_of(r->fd)) != before)
		return fail(w, "%s: refused, but the region had %d views here before and %d after: the view the "
		    "kernel placed elsewhere was left mapped", what, before, after);
	return 0;
}

static int
map_at_old_checks(struct worker *w, struct made *m, const struct shmlab_region *r, long page)
{
	const struct impl *im = w->impl;
	struct shmlab_view a = { NULL, 0 }, bad = { NULL, 0 };
	unsigned char *at = free_range(SIZE + 2 * (size_t)page), *busy;

	if (at == NULL)
		return fail(w, "no free address range for the checks: %s", errname(errno));
	at += page;
	if (SUCCEEDS(w, im->region_map(r, at, &a), "region_map at a free page-aligned address (old kernel)") < 0)
		return -1;
	keep_map(m, &a);
	if (a.base != at)
		return fail(w, "region_map(at %p) on the old kernel: the view is at %p", (void *)at, (void *)a.base);
	if (refuses_busy_old(w, m, r, a.base, 300, "region_map over a view of the region itself (old kernel)") < 0)
		return -1;
	busy = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (busy == MAP_FAILED)
		return fail(w, "cannot map a private page: %s", errname(errno));
	keep_range(m, busy, SIZE);
	// Only the last page of the range is in use: the hint is taken elsewhere all the same.
	munmap(busy, SIZE - (size_t)page);
	m->map[m->nmap - 1] = (struct mapping){ busy + SIZE - page, (size_t)page };
	if (refuses_busy_old(w, m, r, busy, SIZE - (size_t)page + 9,
	    "region_map over a range whose last page is in use (old kernel)") < 0)
		return -1;
	// An address that is not page-aligned is refused before any kernel sees it.
	if (REFUSES(w, EINVAL, im->region_map(r, at + SIZE + 8, &bad), "region_map at an address that is not "
	    "page-aligned (old kernel)") < 0) {
		if (check_rc == 0)
			keep_map(m, &bad);
		return -1;
	}
	return unmaps(w, m, &a);
}

static int
map_at_old(struct worker *w, const struct shmlab_view *v)
{
	struct made m = { .nfd = 0 };
	struct shmlab_region r;
	long page = sysconf(_SC_PAGESIZE);
	int rc;

	(void)v;
	if (!old_kernel_here(page))
		return fail(w, "this worker's mmap honours MAP_FIXED_NOREPLACE: the harness did not start it with "
		    "the old kernel's mmap (libshmlab-old-kernel.so)");
	if (SUCCEEDS(w, w->impl->region_create(&r, NULL, SIZE), "region_create(NULL: anonymous)") < 0)
		return -1;
	keep_fd(&m, r.fd);
	rc = map_at_old_checks(w, &m, &r, page);
	undo(&m);
	return rc;
}

// ---------------------------------------------------------------- shared bytes

#define STAMPS  4096u           // the last page holds one stamp per worker and view

static uint64_t
pattern(const struct worker *w, uint64_t i)
{
	return mix64(w->seed * 0x100000001b3u ^ i);
}

static uint64_t
stamp(const struct worker *w, int index, int view)
{
	return mix64(~w->seed ^ (uint64_t)(index * 2 + view)) | 1;
}

static int
write_pattern(struct worker *w, const struct shmlab_view *v)
{
	uint64_t *word = (uint64_t *)v->base, n = (v->size - STAMPS) / 8;

	for (uint64_t i = 0; i < n; i++)
		word[i] = pattern(w, i);
	return 0;
}

static int
read_pattern(struct worker *w, const struct shmlab_view *v)
{
	volatile word64 *word = (volatile word64 *)v->base;
	uint64_t n = (v->size - STAMPS) / 8, zeros = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t got = word[i];
		if (got == pattern(w, i))
			continue;
		for (uint64_t k = i; k < n; k++)
			zeros += word[k] == 0;
		return fail(w, "offset %#llx: read %#llx through view %d (base %p), worker 0 wrote %#llx%s",
		    (unsigned long long)(i * 8), (unsigned long long)got, w->view, (void *)v->base,
		    (unsigned long long)pattern(w, i),
		    zeros == n - i ? "; all zero from there: this view does not see worker 0's writes" : "");
	}
	__atomic_store_n(&word[(v->size - STAMPS) / 8 + (uint64_t)(w->index * 2 + w->view)],
	    stamp(w, w->index, w->view), __ATOMIC_RELEASE);
	return 0;
}

static int
read_stamps(struct worker *w, const struct shmlab_view *v)
{
	word64 *word = (word64 *)(v->base + v->size - STAMPS);

	for (int i = 0; i < w->procs; i++)
		for (int view = 0; view < w->views; view++) {
			uint64_t got = __atomic_load_n(&word[i * 2 + view], __ATOMIC_ACQUIRE);
			if (got != stamp(w, i, view))
				return fail(w, "offset %#llx: worker 0 reads %#llx where worker %d, once it had read the "
				    "pattern through its view %d, wrote %#llx: its writes do not reach worker 0",
				    (unsigned long long)(v->size - STAMPS + (uint64_t)(i * 2 + view) * 8),
				    (unsigned long long)got, i, view, (unsigned long long)stamp(w, i, view));
		}
	return 0;
}

const struct scenario contract_region_lifecycle = {
	.name = "02-contract-region-lifecycle",
	.summary = "create, EEXIST, 0600, open, map, close, unlink, ENOENT; anonymous regions",
	.handout = "labs/02-raw-pointers/README.md#exercise",
	.rule = "region-lifecycle",
	.region_size = SIZE,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.run = lifecycle,
};

const struct scenario contract_map_at_address = {
	.name = "02-contract-map-at-address",
	.summary = "a view lands where asked or fails: EEXIST over a mapping, EINVAL unaligned",
	.handout = "labs/02-raw-pointers/README.md#exercise",
	.rule = "map-at-address",
	.region_size = SIZE,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.run = map_at,
};

const struct scenario contract_map_at_old_kernel = {
	.name = "02-contract-map-at-old-kernel",
	.summary = "on a kernel that takes MAP_FIXED_NOREPLACE as a hint, a busy address still fails, leaving nothing",
	.handout = "labs/02-raw-pointers/README.md#exercise",
	.rule = "map-at-old-kernel",
	.region_size = SIZE,
	.flags = CONTRACT | OLD_KERNEL_MMAP,
	.passes_under = ALL_STRATEGIES,
	.run = map_at_old,
};

const struct scenario contract_shared_bytes = {
	.name = "02-contract-shared-bytes",
	.summary = "bytes written through one process's view are read through every other view",
	.handout = "labs/02-raw-pointers/README.md#pointers-into-the-region",
	.rule = "shared-bytes",
	.region_size = MiB,
	.flags = CONTRACT,
	.passes_under = ALL_STRATEGIES,
	.prepare = write_pattern,
	.run = read_pattern,
	.verify = read_stamps,
};
