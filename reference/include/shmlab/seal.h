/*
 * Seals: a region whose size no process can change.
 *
 * Any process that holds a region's descriptor can ftruncate it, and a view
 * that then reaches past the file's new end raises SIGBUS on the first touch
 * of such a page (mmap(2)). A memfd created with MFD_ALLOW_SEALING can be
 * sealed against shrinking and growing; after that, ftruncate fails with
 * EPERM in every process. A POSIX shm object cannot be sealed at all.
 *
 * Seal before the descriptor is handed to anyone; a reader checks the seals,
 * then the size, before it trusts its view. Not part of the contract.
 * Sources: memfd_create(2) "File sealing", fcntl(2) "File seals", mmap(2).
 */
#ifndef SHMLAB_SEAL_H
#define SHMLAB_SEAL_H

#include "shmlab/region.h"

// Seals r's size for good (F_SEAL_SHRINK | F_SEAL_GROW), and the set of
// seals with it (F_SEAL_SEAL). Returns 0, or -1 with errno: EPERM if r
// cannot take seals (a POSIX shm object, or a memfd made without
// MFD_ALLOW_SEALING: both are born with F_SEAL_SEAL) or its seals are
// already frozen or r->fd is not open for writing; EINVAL if r->fd is not a
// file that supports seals.
int shmlab_region_seal_size(const struct shmlab_region *r);

// Returns 0 if a view of r->size bytes of the file behind r->fd can never
// raise SIGBUS: the file is sealed against shrinking and growing and holds
// at least r->size bytes. Otherwise -1 with errno: EINVAL if a peer could
// still change its size (a seal missing, or a file that takes none), ERANGE
// if it is sealed shorter than r->size.
int shmlab_region_check_sealed(const struct shmlab_region *r);

#endif
