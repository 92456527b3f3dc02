/*
 * What every contract scenario shares.
 *
 * A contract scenario tests the library loaded with --impl, so it reaches
 * that library only through w->impl. The reference is linked into the worker
 * too; calling it by name would test the wrong library and pass, so its
 * names are poisoned here (shmlab_region_random_name stays: a name is the
 * harness's business, not the contract's).
 */
#ifndef SHMLAB_CONTRACT_CHECK_H
#define SHMLAB_CONTRACT_CHECK_H

#include <errno.h>
#include <stdint.h>

#include "impl.h"
#include "scenario.h"

#pragma GCC poison shmlab_region_create shmlab_region_open shmlab_region_map shmlab_view_unmap
#pragma GCC poison shmlab_region_close shmlab_region_unlink shmlab_off_to_ptr shmlab_ptr_to_off
#pragma GCC poison shmlab_rel_set shmlab_rel_get shmlab_format shmlab_check shmlab_root_set
#pragma GCC poison shmlab_root_get shmlab_heap_init shmlab_alloc shmlab_free shmlab_heap_check
#pragma GCC poison shmlab_handle_give shmlab_handle_take shmlab_handle_settle
#pragma GCC poison shmlab_mailbox_create shmlab_mailbox_send shmlab_mailbox_recv shmlab_mailbox_destroy
#pragma GCC poison shmlab_function_store shmlab_function_call
#pragma GCC poison shmlab_lock_init shmlab_lock_acquire shmlab_lock_consistent shmlab_lock_release
#pragma GCC poison shmlab_counter_add

#define MiB (UINT64_C(1) << 20)

// A 64-bit word aligned to 8 on every ABI, as atomics on it need (i386
// aligns a plain uint64_t to 4).
typedef uint64_t word64 __attribute__((aligned(8)));

// The name of an errno value ("ERANGE"), or its number.
const char *errname(int err);

// Checks that a call refused: returned -1 with errno want. Otherwise fails
// with what was expected and what happened; `what` names the call.
int refused(struct worker *w, int rc, int err, int want, const char *what);

// The result of the call being checked: the comma operator sequences the
// call before errno is read, which function arguments would not.
extern int check_rc;

// REFUSES(w, ERANGE, im->off_to_ptr(v, off, 1, &p), "off_to_ptr(size, 1)")
#define REFUSES(w, want, call, what) \
	(errno = 0, check_rc = (call), refused((w), check_rc, errno, (want), (what)))

// Checks that a call succeeded (returned 0); otherwise fails naming errno.
int succeeded(struct worker *w, int rc, int err, const char *what);

#define SUCCEEDS(w, call, what) (errno = 0, check_rc = (call), succeeded((w), check_rc, errno, (what)))

// Formats the region through the library and makes everything after the
// header a heap (format, then heap_init); 0, or fail()'s -1.
int contract_heap(struct worker *w, const struct shmlab_view *v);

// A view of exactly SHMLAB_HEADER_SIZE bytes is enough (root.h): format and
// check accept it, and a root `name` set to 512 in it is found again; 0, or
// fail()'s -1.
int header_fits_exactly(struct worker *w, const struct shmlab_view *exact, const char *name);

#ifndef _WIN32
// The views of the region open as fd in this process: lines of
// /proc/self/maps (proc(5)) that name its device and inode.
int views_of(int fd);
#endif

// A splitmix64 step: the patterns and sizes a scenario derives from the seed.
static inline uint64_t
mix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

#endif
