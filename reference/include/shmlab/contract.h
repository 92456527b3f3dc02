/*
 * The contract's version and optional feature sets.
 *
 * An implementation of the shmlab contract (conformance/CONTRACT.md) is a
 * shared library that exports the functions of shmlab.h that CONTRACT.md
 * lists (all but shmlab_region_random_name and shmlab_heap_check, which are
 * the reference's extras), these two included, so that the suite can say
 * what it is testing.
 */
#ifndef SHMLAB_CONTRACT_H
#define SHMLAB_CONTRACT_H

#define SHMLAB_CONTRACT_MAJOR 1
#define SHMLAB_CONTRACT_MINOR 4

// Optional feature sets, beyond the core every implementation has. A library
// that declares one exports its functions too (handles.h for HANDLES,
// global_ids.h for GLOBAL_IDS, sync.h for SYNC).
enum shmlab_feature {
	SHMLAB_FEATURE_HANDLES    = 1,  // passing handles and descriptors (lab 04)
	SHMLAB_FEATURE_GLOBAL_IDS = 2,  // global ids: mailboxes, functions by name (labs 05, 06)
	SHMLAB_FEATURE_SYNC       = 4,  // a robust lock and a lock-free counter in the region (lab 07)
};

// Returns MAJOR * 100 + MINOR of the contract the library implements.
int shmlab_contract_version(void);

// Returns the optional feature sets the library implements (a bit mask).
unsigned shmlab_features(void);

#endif
