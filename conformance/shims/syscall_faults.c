/*
 * System calls that fail on request, preloaded into a worker (LD_PRELOAD) by
 * the harness for a scenario flagged SYSCALL_FAULTS (harness/scenario.h).
 *
 * A library that makes a descriptor, a mapping or a name in several steps
 * has an error path after each step: release what the earlier steps made,
 * keep the errno of the step that failed. On a healthy machine those paths
 * never run. Here the scenario arms the shim around one call of the library
 * (shmlab_faults_arm(n)), and the n-th system call that could fail for want
 * of a resource fails, without the real call being made, with an errno its
 * manual page gives for that:
 *
 *   EMFILE  a call that makes a descriptor: open, openat, shm_open,
 *           memfd_create, dup, dup2, dup3, fcntl(F_DUPFD*), pidfd_open,
 *           pidfd_getfd (the functions or syscall(2) with their numbers)
 *   ENOMEM  mmap, fstat
 *   ENOSPC  msgget, fallocate, posix_fallocate (which returns it, errno
 *           untouched, as posix_fallocate(3) says)
 *   EIO     ftruncate, fchmod, and fcntl's other commands
 *
 * Calls that release something (close, munmap, shm_unlink, msgctl) never
 * fail here: a library cannot do better than try them once. From the fault
 * on, each call that succeeds leaves errno at EUCLEAN, as POSIX allows any
 * successful call to do (errno is unspecified after a call that succeeds),
 * so a library that cleans up and then returns without restoring the errno
 * of the failure is seen. shmlab_faults_disarm() stops counting and says
 * whether, and where, the fault fired. Unarmed, every call is the next
 * library's own, unchanged; futex and every other syscall(2) number is never
 * counted.
 *
 * The next definition is found with dlsym(RTLD_NEXT) in a constructor, once,
 * after a sanitizer's runtime has started; mmap and munmap are the system
 * calls themselves, since an allocator may map memory inside dlsym.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

_Static_assert(sizeof(void *) == 8, "the shim passes mmap's arguments to the 64-bit system call as they are");

#define SCRIBBLE EUCLEAN        // errno after a call that succeeded, once the fault fired

// What the scenario sets and reads; one thread calls the library meanwhile.
static int armed, countdown, fired_errno;
static const char *fired_call;

void shmlab_faults_arm(int nth);
int shmlab_faults_disarm(const char **call);

// Counts the n-th call from now: the calls before it and after it are made.
void
shmlab_faults_arm(int nth)
{
	countdown = nth;
	fired_errno = 0;
	fired_call = NULL;
	armed = 1;
}

// Stops counting. Returns the errno injected, or 0 if no call failed; *call
// names the call that did.
int
shmlab_faults_disarm(const char **call)
{
	armed = 0;
	if (call)
		*call = fired_call;
	return fired_errno;
}

// Whether this call is the one to fail; if so, errno is set.
static int
fault(const char *call, int err)
{
	if (!armed || fired_errno || --countdown > 0)
		return 0;
	fired_errno = err;
	fired_call = call;
	errno = err;
	return 1;
}

// A call made for real: after the fault, success scribbles on errno.
static long
made(long rc)
{
	if (armed && fired_errno && rc >= 0)
		errno = SCRIBBLE;
	return rc;
}

static struct {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*shm_open)(const char *, int, mode_t);
	int (*shm_unlink)(const char *);
	int (*memfd_create)(const char *, unsigned);
	int (*ftruncate)(int, off_t);
	int (*fallocate)(int, int, off_t, off_t);
	int (*posix_fallocate)(int, off_t, off_t);
	int (*fchmod)(int, mode_t);
	int (*fstat)(int, struct stat *);
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	long (*syscall)(long, ...);
	int (*msgget)(key_t, int);
	int (*msgctl)(int, int, struct msqid_ds *);
} next;

#define FIND(f) do { \
	if (next.f == NULL) \
		*(void **)&next.f = dlsym(RTLD_NEXT, #f); \
} while (0)

__attribute__((constructor)) static void
find_next(void)
{
	FIND(open);
	FIND(openat);
	FIND(shm_open);
	FIND(shm_unlink);
	FIND(memfd_create);
	FIND(ftruncate);
	FIND(fallocate);
	FIND(posix_fallocate);
	FIND(fchmod);
	FIND(fstat);
	FIND(close);
	FIND(dup);
	FIND(dup2);
	FIND(dup3);
	FIND(fcntl);
	FIND(syscall);
	FIND(msgget);
	FIND(msgctl);
}

// open's mode argument is there only with O_CREAT or O_TMPFILE (open(2)).
#define MODE_ARG(flags, mode) do { \
	if (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE) { \
		va_list ap; \
		va_start(ap, flags); \
		mode = va_arg(ap, mode_t); \
		va_end(ap); \
	} \
} while (0)

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	if (fault("open", EMFILE))
		return -1;
	FIND(open);
	return (int)made(next.open(path, flags, mode));
}

int
openat(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	if (fault("openat", EMFILE))
		return -1;
	FIND(openat);
	return (int)made(next.openat(dir, path, flags, mode));
}

// The other names glibc gives open: the large-file ones, and the checked
// ones a caller compiled with _FORTIFY_SOURCE reaches.
int open64(const char *path, int flags, ...) __attribute__((alias("open")));
int openat64(int dir, const char *path, int flags, ...) __attribute__((alias("openat")));
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dir, const char *path, int flags);
int __openat64_2(int dir, const char *path, int flags);

int
__open_2(const char *path, int flags)
{
	return open(path, flags);
}

int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

int
__openat_2(int dir, const char *path, int flags)
{
	return openat(dir, path, flags);
}

int __openat64_2(int dir, const char *path, int flags) __attribute__((alias("__openat_2")));

int
shm_open(const char *name, int flags, mode_t mode)
{
	if (fault("shm_open", EMFILE))
		return -1;
	FIND(shm_open);
	return (int)made(next.shm_open(name, flags, mode));
}

int
shm_unlink(const char *name)
{
	FIND(shm_unlink);
	return (int)made(next.shm_unlink(name));
}

int
memfd_create(const char *name, unsigned flags)
{
	if (fault("memfd_create", EMFILE))
		return -1;
	FIND(memfd_create);
	return (int)made(next.memfd_create(name, flags));
}

int
ftruncate(int fd, off_t len)
{
	if (fault("ftruncate", EIO))
		return -1;
	FIND(ftruncate);
	return (int)made(next.ftruncate(fd, len));
}

int ftruncate64(int fd, off_t len) __attribute__((alias("ftruncate")));

int
fallocate(int fd, int mode, off_t at, off_t len)
{
	if (fault("fallocate", ENOSPC))
		return -1;
	FIND(fallocate);
	return (int)made(next.fallocate(fd, mode, at, len));
}

int fallocate64(int fd, int mode, off_t at, off_t len) __attribute__((alias("fallocate")));

// Returns an error number, leaving errno alone, whether it fails here or not.
int
posix_fallocate(int fd, off_t at, off_t len)
{
	int saved = errno, rc;

	if (fault("posix_fallocate", ENOSPC)) {
		errno = saved;
		return ENOSPC;
	}
	FIND(posix_fallocate);
	rc = next.posix_fallocate(fd, at, len);
	if (armed && fired_errno && rc == 0)
		errno = SCRIBBLE;
	return rc;
}

int posix_fallocate64(int fd, off_t at, off_t len) __attribute__((alias("posix_fallocate")));

int
fchmod(int fd, mode_t mode)
{
	if (fault("fchmod", EIO))
		return -1;
	FIND(fchmod);
	return (int)made(next.fchmod(fd, mode));
}

int
fstat(int fd, struct stat *st)
{
	if (fault("fstat", ENOMEM))
		return -1;
	FIND(fstat);
	return (int)made(next.fstat(fd, st));
}

int
fstat64(int fd, struct stat64 *st)
{
	return fstat(fd, (struct stat *)st);     // one layout on a 64-bit ABI
}

int
close(int fd)
{
	FIND(close);
	return (int)made(next.close(fd));
}

int
dup(int fd)
{
	if (fault("dup", EMFILE))
		return -1;
	FIND(dup);
	return (int)made(next.dup(fd));
}

int
dup2(int fd, int to)
{
	if (fault("dup2", EMFILE))
		return -1;
	FIND(dup2);
	return (int)made(next.dup2(fd, to));
}

int
dup3(int fd, int to, int flags)
{
	if (fault("dup3", EMFILE))
		return -1;
	FIND(dup3);
	return (int)made(next.dup3(fd, to, flags));
}

// fcntl and syscall read their arguments as glibc's own do, whether the
// caller passed them or not: the words they read past the last one are
// whatever the caller's frame holds, never used. AddressSanitizer would
// take those reads for the caller's stack overrun, so it does not check
// these two functions.
#define READS_UNPASSED_ARGUMENTS __attribute__((no_sanitize_address))

// Every fcntl command takes one argument or none; passing one as a pointer
// passes an int too.
READS_UNPASSED_ARGUMENTS int
fcntl(int fd, int cmd, ...)
{
	int dups = cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC;
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fault("fcntl", dups ? EMFILE : EIO))
		return -1;
	FIND(fcntl);
	return (int)made(next.fcntl(fd, cmd, arg));
}

int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

// syscall(2) takes at most six arguments, all passed as longs.
READS_UNPASSED_ARGUMENTS long
syscall(long number, ...)
{
	long a[6];
	va_list ap;

	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	FIND(syscall);
	if (number != SYS_pidfd_open && number != SYS_pidfd_getfd)
		return next.syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (fault(number == SYS_pidfd_open ? "pidfd_open" : "pidfd_getfd", EMFILE))
		return -1;
	return made(next.syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]));
}

// glibc 2.36's functions for the two, which call the system call themselves.
int pidfd_open(pid_t pid, unsigned flags);
int pidfd_getfd(int pidfd, int fd, unsigned flags);

int
pidfd_open(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, (long)pid, (long)flags);
}

int
pidfd_getfd(int pidfd, int fd, unsigned flags)
{
	return (int)syscall(SYS_pidfd_getfd, (long)pidfd, (long)fd, (long)flags);
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
	long rc;

	if (fault("mmap", ENOMEM))
		return MAP_FAILED;
	rc = syscall(SYS_mmap, addr, len, prot, flags, fd, offset);
	return rc == -1 ? MAP_FAILED : (void *)made(rc);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t offset) __attribute__((alias("mmap")));

int
munmap(void *addr, size_t len)
{
	return (int)made(syscall(SYS_munmap, addr, len));
}

int
msgget(key_t key, int flags)
{
	if (fault("msgget", ENOSPC))
		return -1;
	FIND(msgget);
	return (int)made(next.msgget(key, flags));
}

int
msgctl(int id, int cmd, struct msqid_ds *buf)
{
	FIND(msgctl);
	return (int)made(next.msgctl(id, cmd, buf));
}
