/*
 * An old kernel's mmap, preloaded into a worker (LD_PRELOAD) by the harness
 * for a scenario flagged OLD_KERNEL_MMAP (harness/scenario.h).
 *
 * Linux before 4.17 does not know MAP_FIXED_NOREPLACE: it ignores the flag
 * and takes the address as a hint, so a mapping whose range is busy lands
 * somewhere else instead of failing with EEXIST (mmap(2)). A library that
 * maps at an address must compare the result with what it asked for; on a
 * newer kernel that comparison never runs. This mmap does what the old
 * kernel did: it drops the flag and lets the kernel place the mapping, at
 * the hint when the range is free. Every other call is the kernel's own.
 *
 * It calls the system call itself, not the next mmap in the chain: looking
 * that up with dlsym may allocate, and the allocator may call mmap. x86-64
 * and aarch64 only, whose mmap system call takes the six arguments as they are.
 */
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

_Static_assert(sizeof(void *) == 8, "the shim passes mmap's arguments to the 64-bit system call as they are");

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags & ~MAP_FIXED_NOREPLACE, fd, offset);
}

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
	return mmap(addr, len, prot, flags, fd, offset);
}
