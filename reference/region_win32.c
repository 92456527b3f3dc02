/*
 * Regions and views on Windows: CreateFileMapping backed by the paging file,
 * OpenFileMapping, MapViewOfFileEx. The same contract as region.c, with the
 * differences Windows imposes, each kept as small as the contract allows:
 *
 *   - A name is "Local\shmlab-<pid>-<16 hex digits>", in this session's
 *     namespace of kernel objects; Windows has no file system for them.
 *   - struct shmlab_region keeps the mapping's HANDLE in its int fd. That is
 *     safe: 64-bit Windows keeps handles to 32 significant bits so that 32-
 *     and 64-bit processes can share them ("Interprocess Communication
 *     Between 32-bit and 64-bit Applications").
 *   - A view can be placed only at a multiple of the allocation granularity
 *     (64 KiB), not of the page: any other `at` is EINVAL, a busy one EEXIST
 *     (ERROR_INVALID_ADDRESS). MapViewOfFileEx never replaces a mapping, so
 *     the placement needs no extra care.
 *   - Windows keeps a name exactly as long as some handle to the mapping is
 *     open, and has no unlink: shmlab_region_unlink() cannot remove a name
 *     early. It reports ENOENT for a name that does not exist, 0 otherwise;
 *     the name goes when the last handle is closed (views do not hold it).
 *   - The size an opener sees is the size of a view of the whole mapping,
 *     which Windows rounds up to the page size.
 *   - Space is reserved at create, as region.c's posix_fallocate does: a
 *     mapping backed by the paging file is SEC_COMMIT unless asked
 *     otherwise, and "the system must have enough committable pages to hold
 *     the entire mapping. Otherwise, CreateFileMapping fails"
 *     ("CreateFileMappingA", SEC_COMMIT).
 *
 * Every function returns 0 on success and -1 with errno set on failure.
 * Sources: "CreateFileMappingA", "MapViewOfFileEx", "Kernel Object
 * Namespaces" (Microsoft Learn).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <windows.h>
#include <bcrypt.h>

#include "shmlab/region.h"

static HANDLE
handle_of(const struct shmlab_region *r)
{
	return (HANDLE)(intptr_t)r->fd;
}

// The errno closest to what Windows said, for the errors these calls give.
static int
fail_with(DWORD error)
{
	switch (error) {
	case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: errno = ENOENT; break;
	case ERROR_ALREADY_EXISTS: errno = EEXIST; break;
	case ERROR_INVALID_ADDRESS: errno = EEXIST; break;      // something is mapped there
	case ERROR_MAPPED_ALIGNMENT: errno = EINVAL; break;
	case ERROR_ACCESS_DENIED: errno = EACCES; break;
	case ERROR_NOT_ENOUGH_MEMORY: case ERROR_COMMITMENT_LIMIT: errno = ENOMEM; break;
	case ERROR_INVALID_HANDLE: errno = EBADF; break;
	case ERROR_FILENAME_EXCED_RANGE: errno = ENAMETOOLONG; break;
	default: errno = EINVAL; break;
	}
	return -1;
}

// Windows places views at multiples of this (64 KiB on every current version).
static uintptr_t
granularity(void)
{
	SYSTEM_INFO si;

	GetSystemInfo(&si);
	return si.dwAllocationGranularity;
}

int
shmlab_region_random_name(char *buf, size_t len)
{
	uint64_t secret;

	if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, (PUCHAR)&secret, sizeof secret,
	    BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
		errno = EIO;
		return -1;
	}
	if ((size_t)snprintf(buf, len, "Local\\shmlab-%lu-%016llx", (unsigned long)GetCurrentProcessId(),
	    (unsigned long long)secret) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
set_name(struct shmlab_region *r, const char *name)
{
	if (name == NULL) {
		r->name[0] = '\0';
		return 0;
	}
	if (strlen(name) >= sizeof r->name) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(r->name, name);
	return 0;
}

int
shmlab_region_create(struct shmlab_region *r, const char *name, uint64_t size)
{
	HANDLE h;

	if (size == 0 || (uint64_t)(SIZE_T)size != size) {
		errno = EINVAL;
		return -1;
	}
	if (set_name(r, name) < 0)
		return -1;
	// Paging-file sections are zero-filled; the handle is not inherited.
	h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
	    (DWORD)(size >> 32), (DWORD)size, name);
	if (h == NULL)
		return fail_with(GetLastError());
	if (GetLastError() == ERROR_ALREADY_EXISTS) {     // O_EXCL: someone else's
		CloseHandle(h);
		errno = EEXIST;
		return -1;
	}
	r->fd = (int)(intptr_t)h;
	r->size = size;
	return 0;
}

// The size of the mapping h, as a view of all of it shows it.
static int
size_of(HANDLE h, uint64_t *size)
{
	MEMORY_BASIC_INFORMATION mbi;
	void *p = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
	SIZE_T got;

	if (p == NULL)
		return fail_with(GetLastError());
	got = VirtualQuery(p, &mbi, sizeof mbi);
	UnmapViewOfFile(p);
	if (got == 0)
		return fail_with(GetLastError());
	*size = mbi.RegionSize;
	return 0;
}

int
shmlab_region_open(struct shmlab_region *r, const char *name)
{
	HANDLE h;

	if (name == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (set_name(r, name) < 0)
		return -1;
	h = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, name);
	if (h == NULL)
		return fail_with(GetLastError());
	if (size_of(h, &r->size) < 0) {
		int saved = errno;
		CloseHandle(h);
		errno = saved;
		return -1;
	}
	r->fd = (int)(intptr_t)h;
	return 0;
}

int
shmlab_region_map(const struct shmlab_region *r, void *at, struct shmlab_view *v)
{
	void *p;

	if ((uintptr_t)at % granularity() != 0 || (uint64_t)(SIZE_T)r->size != r->size) {
		errno = EINVAL;
		return -1;
	}
	p = MapViewOfFileEx(handle_of(r), FILE_MAP_ALL_ACCESS, 0, 0, (SIZE_T)r->size, at);
	if (p == NULL)
		return fail_with(GetLastError());
	if (at && p != at) {            // never seen; the contract forbids it all the same
		UnmapViewOfFile(p);
		errno = EADDRNOTAVAIL;
		return -1;
	}
	v->base = p;
	v->size = r->size;
	return 0;
}

int
shmlab_view_unmap(struct shmlab_view *v)
{
	if (v->base == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (!UnmapViewOfFile(v->base))
		return fail_with(GetLastError());
	v->base = NULL;
	return 0;
}

int
shmlab_region_close(struct shmlab_region *r)
{
	HANDLE h = handle_of(r);

	r->fd = -1;
	return CloseHandle(h) ? 0 : fail_with(GetLastError());
}

int
shmlab_region_unlink(const char *name)
{
	HANDLE h;

	if (name == NULL) {
		errno = EINVAL;
		return -1;
	}
	h = OpenFileMappingA(FILE_MAP_READ, FALSE, name);
	if (h == NULL)
		return fail_with(GetLastError());
	CloseHandle(h);                 // the name goes with the last handle
	return 0;
}
