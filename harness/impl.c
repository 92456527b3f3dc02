// Loading an implementation of the contract (see impl.h).
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "impl.h"

// Every function of the contract, by its exported name and its slot.
#define SLOT(name, field) { #name, offsetof(struct impl, field) }
static const struct { const char *name; size_t at; } functions[] = {
	SLOT(shmlab_region_create, region_create), SLOT(shmlab_region_open, region_open),
	SLOT(shmlab_region_map, region_map), SLOT(shmlab_view_unmap, view_unmap),
	SLOT(shmlab_region_close, region_close), SLOT(shmlab_region_unlink, region_unlink),
	SLOT(shmlab_off_to_ptr, off_to_ptr), SLOT(shmlab_ptr_to_off, ptr_to_off),
	SLOT(shmlab_rel_set, rel_set), SLOT(shmlab_rel_get, rel_get),
	SLOT(shmlab_format, format), SLOT(shmlab_check, check),
	SLOT(shmlab_root_set, root_set), SLOT(shmlab_root_get, root_get),
	SLOT(shmlab_heap_init, heap_init), SLOT(shmlab_alloc, alloc), SLOT(shmlab_free, free),
};

// The functions of each optional feature set: a library exports them only if
// its shmlab_features() declares the set.
#define FEATURE(bit, set, name, field) { bit, set, #name, offsetof(struct impl, field) }
static const struct { unsigned feature; const char *set, *name; size_t at; } optional[] = {
	FEATURE(SHMLAB_FEATURE_HANDLES, "handles", shmlab_handle_give, handle_give),
	FEATURE(SHMLAB_FEATURE_HANDLES, "handles", shmlab_handle_take, handle_take),
	FEATURE(SHMLAB_FEATURE_HANDLES, "handles", shmlab_handle_settle, handle_settle),
	FEATURE(SHMLAB_FEATURE_GLOBAL_IDS, "global ids", shmlab_mailbox_create, mailbox_create),
	FEATURE(SHMLAB_FEATURE_GLOBAL_IDS, "global ids", shmlab_mailbox_send, mailbox_send),
	FEATURE(SHMLAB_FEATURE_GLOBAL_IDS, "global ids", shmlab_mailbox_recv, mailbox_recv),
	FEATURE(SHMLAB_FEATURE_GLOBAL_IDS, "global ids", shmlab_mailbox_destroy, mailbox_destroy),
	FEATURE(SHMLAB_FEATURE_GLOBAL_IDS, "global ids", shmlab_function_store, function_store),
	FEATURE(SHMLAB_FEATURE_GLOBAL_IDS, "global ids", shmlab_function_call, function_call),
	FEATURE(SHMLAB_FEATURE_SYNC, "sync", shmlab_lock_init, lock_init),
	FEATURE(SHMLAB_FEATURE_SYNC, "sync", shmlab_lock_acquire, lock_acquire),
	FEATURE(SHMLAB_FEATURE_SYNC, "sync", shmlab_lock_consistent, lock_consistent),
	FEATURE(SHMLAB_FEATURE_SYNC, "sync", shmlab_lock_release, lock_release),
	FEATURE(SHMLAB_FEATURE_SYNC, "sync", shmlab_counter_add, counter_add),
};

int
impl_load(struct impl *im, const char *path, char *why, size_t len)
{
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	int (*version)(void);
	unsigned (*features)(void);

	memset(im, 0, sizeof *im);
	im->path = path;
	if (lib == NULL) {
		snprintf(why, len, "cannot load %s: %s", path, dlerror());
		return -1;
	}
	*(void **)&version = dlsym(lib, "shmlab_contract_version");
	*(void **)&features = dlsym(lib, "shmlab_features");
	if (version == NULL || features == NULL) {
		snprintf(why, len, "%s does not export shmlab_contract_version and shmlab_features", path);
		return -1;
	}
	im->version = version();
	im->features = features();
	if (im->version / 100 != SHMLAB_CONTRACT_MAJOR) {
		snprintf(why, len, "%s implements contract %d.%d; this suite tests %d.x", path,
		    im->version / 100, im->version % 100, SHMLAB_CONTRACT_MAJOR);
		return -1;
	}
	for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
		void *f = dlsym(lib, functions[i].name);
		if (f == NULL) {
			snprintf(why, len, "%s does not export %s", path, functions[i].name);
			return -1;
		}
		memcpy((char *)im + functions[i].at, &f, sizeof f);
	}
	for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
		void *f;

		if (!(im->features & optional[i].feature))
			continue;
		if ((f = dlsym(lib, optional[i].name)) == NULL) {
			snprintf(why, len, "%s declares the %s feature set in shmlab_features() but does "
			    "not export %s", path, optional[i].set, optional[i].name);
			return -1;
		}
		memcpy((char *)im + optional[i].at, &f, sizeof f);
	}
	return 0;      // the library stays loaded for the life of the process
}

int
impl_map_views(const struct impl *im, const char *name, int nviews, const uintptr_t *at,
    struct shmlab_view *views, char *why, size_t len)
{
	int (*open_region)(struct shmlab_region *, const char *) = im ? im->region_open : shmlab_region_open;
	int (*map)(const struct shmlab_region *, void *, struct shmlab_view *) = im ? im->region_map : shmlab_region_map;
	int (*close_region)(struct shmlab_region *) = im ? im->region_close : shmlab_region_close;
	struct shmlab_region r;

	if (open_region(&r, name) < 0)
		return snprintf(why, len, "cannot open the region"), -1;
	for (int v = 0; v < nviews; v++) {
		if (map(&r, (void *)at[v], &views[v]) < 0) {
			int err = errno;
			snprintf(why, len, "cannot map view %d at %#llx", v, (unsigned long long)at[v]);
			close_region(&r);
			errno = err;
			return -1;
		}
		if (at[v] && views[v].base != (unsigned char *)at[v]) {
			snprintf(why, len, "the library mapped the view somewhere other than asked");
			close_region(&r);
			errno = EADDRNOTAVAIL;
			return -1;
		}
	}
	close_region(&r);       // the views keep the region; the name goes with the handles
	return 0;
}
