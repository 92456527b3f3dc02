/*
 * An implementation of the contract, as a scenario calls it: one table of the
 * functions declared in shmlab.h. The table is filled from a shared library
 * loaded with dlopen (--impl, SHMLAB_IMPL), so the suite tests any library
 * that meets conformance/CONTRACT.md without being rebuilt. On Windows, a
 * DLL loaded with LoadLibrary (win32/impl_win32.c).
 */
#ifndef SHMLAB_IMPL_H
#define SHMLAB_IMPL_H

#include <stddef.h>
#include "shmlab.h"

struct impl {
	const char *path;
	int version;                    // shmlab_contract_version()
	unsigned features;              // shmlab_features()
	int (*region_create)(struct shmlab_region *, const char *, uint64_t);
	int (*region_open)(struct shmlab_region *, const char *);
	int (*region_map)(const struct shmlab_region *, void *, struct shmlab_view *);
	int (*view_unmap)(struct shmlab_view *);
	int (*region_close)(struct shmlab_region *);
	int (*region_unlink)(const char *);
	int (*off_to_ptr)(const struct shmlab_view *, shmlab_off, uint64_t, void **);
	int (*ptr_to_off)(const struct shmlab_view *, const void *, uint64_t, shmlab_off *);
	int (*rel_set)(const struct shmlab_view *, shmlab_rel *, const void *);
	int (*rel_get)(const struct shmlab_view *, const shmlab_rel *, uint64_t, void **);
	int (*format)(const struct shmlab_view *);
	int (*check)(const struct shmlab_view *);
	int (*root_set)(const struct shmlab_view *, const char *, shmlab_off);
	int (*root_get)(const struct shmlab_view *, const char *, shmlab_off *);
	int (*heap_init)(const struct shmlab_view *, shmlab_off, uint64_t);
	int (*alloc)(const struct shmlab_view *, uint64_t, uint64_t, shmlab_off *);
	int (*free)(const struct shmlab_view *, shmlab_off);
	// SHMLAB_FEATURE_HANDLES: looked up only when the library declares it,
	// NULL otherwise (a scenario that needs them is never run then). On
	// Windows they give and take a HANDLE (handles.h).
#ifdef _WIN32
	int (*handle_give)(const struct shmlab_view *, shmlab_off, HANDLE, DWORD, unsigned);
	int (*handle_take)(const struct shmlab_view *, shmlab_off, DWORD, HANDLE *);
#else
	int (*handle_give)(const struct shmlab_view *, shmlab_off, int, unsigned);
	int (*handle_take)(const struct shmlab_view *, shmlab_off, int, int *);
#endif
	int (*handle_settle)(const struct shmlab_view *, shmlab_off, int);
	// SHMLAB_FEATURE_GLOBAL_IDS (global_ids.h), likewise.
	int (*mailbox_create)(const struct shmlab_view *, shmlab_off);
	int (*mailbox_send)(const struct shmlab_view *, shmlab_off, const void *, size_t);
	int (*mailbox_recv)(const struct shmlab_view *, shmlab_off, void *, size_t, size_t *, int);
	int (*mailbox_destroy)(const struct shmlab_view *, shmlab_off);
	int (*function_store)(const struct shmlab_view *, shmlab_off, const struct shmlab_function *, size_t,
	    const char *);
	int (*function_call)(const struct shmlab_view *, shmlab_off, const struct shmlab_function *, size_t, void *,
	    int *);
	// SHMLAB_FEATURE_SYNC (sync.h), likewise; POSIX.
	int (*lock_init)(const struct shmlab_view *, shmlab_off);
	int (*lock_acquire)(const struct shmlab_view *, shmlab_off, int);
	int (*lock_consistent)(const struct shmlab_view *, shmlab_off);
	int (*lock_release)(const struct shmlab_view *, shmlab_off);
	int (*counter_add)(const struct shmlab_view *, shmlab_off, uint64_t, uint64_t *);
};

// Opens the region `name` and maps nviews views of it, view v at at[v] (0:
// wherever the library likes), through im (a CONTRACT scenario's library
// under test) or, if im is NULL, through the reference linked in; a view
// that lands anywhere but where asked is an error too. The region's handle
// is closed after: the views keep the region. Returns 0, or -1 with errno
// set and what went wrong in why. Both harnesses' workers map this way.
int impl_map_views(const struct impl *im, const char *name, int nviews, const uintptr_t *at,
    struct shmlab_view *views, char *why, size_t len);

// Loads the library at path and fills im. Returns 0, or -1 with the reason
// (the library cannot be loaded, lacks a function of the core or of a
// feature set it declares, or implements another major version of the
// contract) in why.
int impl_load(struct impl *im, const char *path, char *why, size_t len);

#endif
