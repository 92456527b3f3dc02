/*
 * The shmlab contract over Boost.Interprocess, the way a Boost user writes it.
 *
 * Why this file exists. The conformance suite says "run me against your
 * implementation"; most people who share memory between processes in C++ do
 * it with Boost.Interprocess. This adapter exports the contract's C functions
 * and does each one with the Boost part a user would reach for, with Boost's
 * defaults, so that the suite's verdicts are verdicts on Boost as commonly
 * used (docs/boost-interprocess.md has the table and what to do about each):
 *
 *   regions      shared_memory_object (create_only: O_EXCL, permissions()
 *                0644) and mapped_region at the address asked for
 *   offsets      get_address_from_handle / get_handle_from_address: the
 *                managed segment's handle is an offset from its base
 *   self-relative offset_ptr, written and read in place
 *   roots        named objects (construct / find) of a managed_external_buffer
 *                in the header's 1024 bytes
 *   allocator    a second managed_external_buffer over [start, start + len),
 *                its segment manager's allocate_aligned / deallocate
 *   sync         interprocess_mutex in the caller's 64 bytes; the counter a
 *                boost::atomic_ref
 *
 * What the adapter adds, and what it must not. It translates: a Boost
 * exception becomes -1 with errno (the native error when Boost has one), a
 * pointer becomes an offset. It checks the arguments the C signatures
 * themselves constrain (a NULL name, a root name's length, an allocation's
 * size and alignment, a lock's alignment). It does not check anything that
 * comes from the region (an offset, a self-relative value, a block to free,
 * the header), because that is precisely what the suite asks of Boost: where
 * Boost does not check, neither does this file, and the suite says so.
 *
 * The handles and global-ids feature sets are not declared: Boost has no
 * counterpart to either, so their rules are skipped, never failed.
 */
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/atomic/atomic_ref.hpp>
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/managed_external_buffer.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/offset_ptr.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>

extern "C" {
#include "shmlab.h"
}

namespace bi = boost::interprocess;
// managed_shared_memory's segment manager (rbtree_best_fit with the
// process-shared mutex_family, iset_index) over memory the contract places.
// Not bi::managed_external_buffer: its allocator takes null_mutex_family, no
// lock at all, for a buffer one process uses.
using segment = bi::basic_managed_external_buffer<char, bi::rbtree_best_fit<bi::mutex_family>, bi::iset_index>;

// ---------------------------------------------------------------- errors

// Boost reports a system call's failure with its errno (native error); its
// own refusals carry only an error code.
static int
errno_of(const bi::interprocess_exception &e)
{
	if (e.get_native_error() != 0)
		return e.get_native_error();
	switch (e.get_error_code()) {
	case bi::already_exists_error: return EEXIST;
	case bi::not_found_error:      return ENOENT;
	case bi::busy_error:           return EBUSY;
	case bi::out_of_memory_error:  return ENOMEM;
	case bi::out_of_space_error:   return ENOSPC;
	case bi::size_error:           return EINVAL;
	case bi::security_error:       return EACCES;
	case bi::timeout_when_locking_error: return ETIMEDOUT;
	default:                       return EIO;
	}
}

// Runs f, which returns 0 or throws; an exception becomes -1 with errno.
template <class F>
static int
boost_call(F f)
{
	try {
		return f();
	} catch (const bi::bad_alloc &) {       // an interprocess_exception without a code
		errno = ENOMEM;
	} catch (const bi::interprocess_exception &e) {
		errno = errno_of(e);
	} catch (const std::bad_alloc &) {
		errno = ENOMEM;
	}
	return -1;
}

static int
fail(int e)
{
	errno = e;
	return -1;
}

// ---------------------------------------------------------------- regions

// What mapped_region maps: anything with a mapping handle. The contract's
// region carries a descriptor (a named object's, or a memfd another process
// handed over), so the view is mapped from it.
struct descriptor {
	int fd;
	bi::mapping_handle_t get_mapping_handle() const { return bi::ipcdetail::mapping_handle_from_file_handle(fd); }
	bi::mode_t get_mode() const { return bi::read_write; }
};

// The views this process holds: mapped_region unmaps when destroyed, and the
// contract's struct shmlab_view has no room for it.
static std::mutex views_lock;
static std::map<unsigned char *, std::unique_ptr<bi::mapped_region>> views;

// A Boost object closes its descriptor with it; the contract's region keeps
// one, so it keeps a duplicate.
static int
keep(struct shmlab_region *r, const bi::shared_memory_object &shm, const char *name, uint64_t size)
{
	int fd = fcntl(shm.get_mapping_handle().handle, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	r->fd = fd;
	r->size = size;
	snprintf(r->name, sizeof r->name, "%s", name);
	return 0;
}

// Boost has no anonymous object that another process can reach through a
// descriptor (anonymous_shared_memory() has none), so a memfd is made here,
// and Boost maps it like any other (region_map).
static int
anonymous(struct shmlab_region *r, uint64_t size)
{
	int fd = memfd_create("shmlab", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0) {
		int saved = errno;
		close(fd);
		return fail(saved);
	}
	r->fd = fd;
	r->size = size;
	r->name[0] = '\0';
	return 0;
}

extern "C" int
shmlab_region_create(struct shmlab_region *r, const char *name, uint64_t size)
{
	if (name == NULL)
		return anonymous(r, size);
	return boost_call([&] {
		bi::shared_memory_object shm(bi::create_only, name, bi::read_write);
		shm.truncate((bi::offset_t)size);
		return keep(r, shm, name, size);
	});
}

extern "C" int
shmlab_region_open(struct shmlab_region *r, const char *name)
{
	if (name == NULL)
		return fail(EINVAL);
	return boost_call([&] {
		bi::shared_memory_object shm(bi::open_only, name, bi::read_write);
		bi::offset_t size = 0;
		shm.get_size(size);
		return keep(r, shm, name, (uint64_t)size);
	});
}

extern "C" int
shmlab_region_map(const struct shmlab_region *r, void *at, struct shmlab_view *v)
{
	return boost_call([&] {
		auto view = std::make_unique<bi::mapped_region>(descriptor{ r->fd }, bi::read_write, 0,
		    (std::size_t)r->size, at);
		v->base = static_cast<unsigned char *>(view->get_address());
		v->size = r->size;
		std::lock_guard<std::mutex> hold(views_lock);
		views[v->base] = std::move(view);
		return 0;
	});
}

extern "C" int
shmlab_view_unmap(struct shmlab_view *v)
{
	std::lock_guard<std::mutex> hold(views_lock);
	if (views.erase(v->base) == 0)
		return fail(EINVAL);
	v->base = NULL;
	return 0;
}

extern "C" int
shmlab_region_close(struct shmlab_region *r)
{
	int fd = r->fd;

	r->fd = -1;
	return close(fd);
}

extern "C" int
shmlab_region_unlink(const char *name)
{
	errno = 0;
	if (bi::shared_memory_object::remove(name))
		return 0;
	return fail(errno ? errno : ENOENT);    // remove() keeps shm_unlink's errno
}

// ---------------------------------------------------------------- offsets

// The header's managed segment: Boost's handles are offsets from its base,
// which is the view's base. open_only reads nothing: Boost keeps no magic.
static segment
header_segment(const struct shmlab_view *v)
{
	return segment(bi::open_only, v->base, SHMLAB_HEADER_SIZE);
}

// Boost's handle is an offset from a managed segment's base
// (get_address_from_handle is base + handle), with no null and no check:
// whoever stores handles in the region chooses both. This is the contract's
// choice, 0 for NULL and every offset checked against the view, so that
// the rules built on offsets measure Boost's parts, not a missing line.
static int
at(const struct shmlab_view *v, shmlab_off off, uint64_t len, void **out)
{
	if (off == SHMLAB_NULL_OFF)
		return *out = NULL, 0;
	if (!shmlab_off_fits(v, off, len))
		return fail(ERANGE);
	*out = header_segment(v).get_address_from_handle((segment::handle_t)off);
	return 0;
}

extern "C" int
shmlab_off_to_ptr(const struct shmlab_view *v, shmlab_off off, uint64_t len, void **out)
{
	return at(v, off, len, out);
}

extern "C" int
shmlab_ptr_to_off(const struct shmlab_view *v, const void *p, uint64_t len, shmlab_off *out)
{
	const unsigned char *byte = static_cast<const unsigned char *>(p);

	if (p == NULL)
		return *out = SHMLAB_NULL_OFF, 0;
	if (byte < v->base || (uint64_t)(byte - v->base) > v->size || len > v->size - (uint64_t)(byte - v->base))
		return fail(ERANGE);
	*out = (shmlab_off)header_segment(v).get_handle_from_address(p);
	return 0;
}

// ---------------------------------------------------------------- self-relative

using relptr = bi::offset_ptr<unsigned char>;
static_assert(sizeof(relptr) <= sizeof(shmlab_rel), "an offset_ptr fits a shmlab_rel");

extern "C" int
shmlab_rel_set(const struct shmlab_view *, shmlab_rel *field, const void *target)
{
	*reinterpret_cast<relptr *>(field) = static_cast<unsigned char *>(const_cast<void *>(target));
	return 0;
}

extern "C" int
shmlab_rel_get(const struct shmlab_view *, const shmlab_rel *field, uint64_t, void **out)
{
	*out = reinterpret_cast<const relptr *>(field)->get();
	return 0;
}

// ---------------------------------------------------------------- the header and its roots

extern "C" int
shmlab_format(const struct shmlab_view *v)
{
	if (v->size < SHMLAB_HEADER_SIZE)
		return fail(EINVAL);
	return boost_call([&] {
		segment(bi::create_only, v->base, SHMLAB_HEADER_SIZE);
		return 0;
	});
}

extern "C" int
shmlab_check(const struct shmlab_view *v)
{
	if (v->size < SHMLAB_HEADER_SIZE)
		return fail(EINVAL);
	return header_segment(v).check_sanity() ? 0 : fail(EPROTO);
}

extern "C" int
shmlab_root_set(const struct shmlab_view *v, const char *name, shmlab_off off)
{
	if (strlen(name) >= SHMLAB_ROOT_NAME)
		return fail(ENAMETOOLONG);
	return boost_call([&] {
		header_segment(v).construct<shmlab_off>(name)(off);    // already_exists_error: EEXIST
		return 0;
	});
}

extern "C" int
shmlab_root_get(const struct shmlab_view *v, const char *name, shmlab_off *off)
{
	return boost_call([&] {
		shmlab_off *root = header_segment(v).find<shmlab_off>(name).first;
		if (root == NULL)
			return fail(ENOENT);
		*off = *root;
		return 0;
	});
}

// ---------------------------------------------------------------- the allocator

// Where the heap's segment is, kept as a root of the header.
struct heap_place {
	shmlab_off start;
	uint64_t len;
};
static const char heap_root[] = "shmlab.heap";

extern "C" int
shmlab_heap_init(const struct shmlab_view *v, shmlab_off start, uint64_t len)
{
	return boost_call([&] {
		segment header = header_segment(v);
		if (header.find<heap_place>(heap_root).first != NULL)
			return fail(EEXIST);
		segment(bi::create_only, v->base + start, len);     // too small: size_error, EINVAL
		header.construct<heap_place>(heap_root)(heap_place{ start, len });
		return 0;
	});
}

// The heap's segment, or -1 with EPROTO if the region has none.
static int
heap_segment(const struct shmlab_view *v, segment *heap, shmlab_off *start)
{
	heap_place *place = header_segment(v).find<heap_place>(heap_root).first;

	if (place == NULL)
		return fail(EPROTO);
	*start = place->start;
	*heap = segment(bi::open_only, v->base + place->start, place->len);
	return 0;
}

extern "C" int
shmlab_alloc(const struct shmlab_view *v, uint64_t size, uint64_t align, shmlab_off *off)
{
	if (size == 0 || size > SHMLAB_ALLOC_MAX || align == 0 || (align & (align - 1)) != 0 ||
	    align > SHMLAB_ALLOC_ALIGN)
		return fail(EINVAL);
	return boost_call([&] {
		segment heap;
		shmlab_off start;
		if (heap_segment(v, &heap, &start) < 0)
			return -1;
		void *block = heap.allocate_aligned(size, align);       // bad_alloc when full: ENOMEM
		*off = start + heap.get_handle_from_address(block);
		return 0;
	});
}

extern "C" int
shmlab_free(const struct shmlab_view *v, shmlab_off off)
{
	return boost_call([&] {
		segment heap;
		shmlab_off start;
		if (heap_segment(v, &heap, &start) < 0)
			return -1;
		heap.deallocate(heap.get_address_from_handle(off - start));
		return 0;
	});
}

// ---------------------------------------------------------------- sync

// The caller's 64 bytes: Boost's mutex, then a word that says it was made.
// Boost's mutex cannot tell whether it was constructed already (a Boost user
// gets "once" from find_or_construct); the contract asks lock_init to say
// EEXIST, so the adapter keeps the word.
struct lock_bytes {
	bi::interprocess_mutex mutex;
	uint32_t made;
};
static_assert(sizeof(lock_bytes) <= SHMLAB_LOCK_SIZE, "a Boost mutex fits a shmlab lock");
static const uint32_t MADE = 0x426f6f73;        // "Boos"

// The caller's offset, checked as the contract asks (the null offset and
// any byte outside the view: ERANGE; not aligned to 8: EINVAL).
static int
word_at(const struct shmlab_view *v, shmlab_off off, uint64_t len, void **out)
{
	if (off == SHMLAB_NULL_OFF || !shmlab_off_fits(v, off, len))
		return fail(ERANGE);
	if (off % 8 != 0)
		return fail(EINVAL);
	*out = v->base + off;
	return 0;
}

// The lock at off, or -1 with errno: EINVAL if none was made there.
static int
lock_at(const struct shmlab_view *v, shmlab_off off, lock_bytes **out)
{
	void *p;

	if (word_at(v, off, SHMLAB_LOCK_SIZE, &p) < 0)
		return -1;
	*out = static_cast<lock_bytes *>(p);
	return boost::atomic_ref<uint32_t>((*out)->made).load() == MADE ? 0 : fail(EINVAL);
}

extern "C" int
shmlab_lock_init(const struct shmlab_view *v, shmlab_off lock)
{
	void *p;
	uint32_t none = 0;

	if (word_at(v, lock, SHMLAB_LOCK_SIZE, &p) < 0)
		return -1;
	lock_bytes *l = static_cast<lock_bytes *>(p);
	if (!boost::atomic_ref<uint32_t>(l->made).compare_exchange_strong(none, MADE - 1))
		return fail(EEXIST);
	return boost_call([&] {
		new (&l->mutex) bi::interprocess_mutex;
		boost::atomic_ref<uint32_t>(l->made).store(MADE);
		return 0;
	});
}

extern "C" int
shmlab_lock_acquire(const struct shmlab_view *v, shmlab_off lock, int timeout_ms)
{
	lock_bytes *l;

	if (lock_at(v, lock, &l) < 0)
		return -1;
	if (timeout_ms < 0)
		return fail(EINVAL);
	return boost_call([&] {
		auto deadline = boost::posix_time::microsec_clock::universal_time() +
		    boost::posix_time::milliseconds(timeout_ms);
		return l->mutex.timed_lock(deadline) ? 0 : fail(ETIMEDOUT);
	});
}

extern "C" int
shmlab_lock_consistent(const struct shmlab_view *v, shmlab_off lock)
{
	lock_bytes *l;

	if (lock_at(v, lock, &l) < 0)
		return -1;
	return fail(EINVAL);    // Boost's mutex never says its owner died
}

extern "C" int
shmlab_lock_release(const struct shmlab_view *v, shmlab_off lock)
{
	lock_bytes *l;

	if (lock_at(v, lock, &l) < 0)
		return -1;
	return boost_call([&] {
		l->mutex.unlock();
		return 0;
	});
}

extern "C" int
shmlab_counter_add(const struct shmlab_view *v, shmlab_off counter, uint64_t delta, uint64_t *before)
{
	void *p;

	if (word_at(v, counter, sizeof(uint64_t), &p) < 0)
		return -1;
	uint64_t was = boost::atomic_ref<uint64_t>(*static_cast<uint64_t *>(p)).fetch_add(delta);
	if (before != NULL)
		*before = was;
	return 0;
}

// ---------------------------------------------------------------- what this library is

extern "C" int
shmlab_contract_version(void)
{
	return SHMLAB_CONTRACT_MAJOR * 100 + SHMLAB_CONTRACT_MINOR;
}

extern "C" unsigned
shmlab_features(void)
{
	return SHMLAB_FEATURE_SYNC;
}
