/*
 * The POSIX answers to front.h: the programs live beside this one (the
 * reference in ../lib), the readers of another ABI may or may not run on
 * this machine (other_abi.h), and two lessons need the kernel's address
 * randomization or a second build of the worker.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/random.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "front.h"
#include "other_abi.h"
#include "store_trap.h"
#include "platform.h"
#include "report.h"

const char front_usage[] =
    "usage: shmlab-harness list [--json]\n"
    "       shmlab-harness machine             which readers of another ABI run here (lab 01)\n"
    "       shmlab-harness impl [LIBRARY]\n"
    "       shmlab-harness contract            the contract's version and feature sets, as JSON\n"
    "       shmlab-harness run SCENARIO [--procs N] [--strategy distinct|double|fork|same|kernel]\n"
    "                      [--seed K] [--timeout-ms T] [--json FILE] [--svg FILE] [--quiet]\n"
    "                      [--impl LIBRARY]   (CONTRACT scenarios; default $SHMLAB_IMPL, else\n"
    "                                          the reference, lib/libshmlab.so beside bin/)\n"
    "                      [--other-abi i386|win64|auto]   (lab 01's readers; default: the\n"
    "                                          first that runs here)\n"
    "                      [--expect]         exit 0 if the run went as predicted, 1 if not\n"
    "       shmlab-harness kill-test [--kills N] [--seed K] [--lock none|plain|robust]\n"
    "                      [--no-recovery] [--timeout-ms T] [--json FILE]\n";

const char front_kill_worker[] = "shmlab-kill-worker";

const char *
front_start(const char *argv0)
{
	const char *ci = getenv("CI");

	report_color = isatty(1) && getenv("NO_COLOR") == NULL && (ci == NULL || *ci == '\0');
	return argv0;
}

uint64_t
front_random(void)
{
	uint64_t x;

	return getrandom(&x, sizeof x, 0) == sizeof x ? x : (uint64_t)getpid();
}

// The worker executables live beside this one; the Windows reader of lab 01
// in the Win32 track's build beside it (other_abi.c).
void
front_find_programs(struct run *r)
{
	static char w64[PATH_MAX], other[PATH_MAX], lib[PATH_MAX], old_kernel[PATH_MAX], faults[PATH_MAX];
	const char *impl = getenv("SHMLAB_IMPL");
	char self[PATH_MAX];

	r->worker64 = platform_beside(w64, sizeof w64, "shmlab-worker");
	other_abi_find(r, platform_beside(self, sizeof self, ""));
	platform_beside(other, sizeof other, "shmlab-worker-other");
	r->worker_other = access(other, X_OK) == 0 ? other : NULL;
	platform_beside(old_kernel, sizeof old_kernel, "../lib/libshmlab-old-kernel.so");
	r->old_kernel = access(old_kernel, R_OK) == 0 ? old_kernel : NULL;
	platform_beside(faults, sizeof faults, "../lib/libshmlab-syscall-faults.so");
	r->syscall_faults = access(faults, R_OK) == 0 ? faults : NULL;
	if (r->impl == NULL)
		r->impl = impl && *impl ? impl : platform_beside(lib, sizeof lib, "../lib/libshmlab.so");
}

int
front_can_start(const char *path)
{
	return access(path, X_OK) == 0;
}

const char *
front_refuses(const struct run *r, const struct outputs *o)
{
	(void)r, (void)o;
	return NULL;
}

// True if a program exec'd by this one gets a random load address: the
// kernel randomizes (proc(5): randomize_va_space) and this process's
// personality does not turn it off (personality(2): ADDR_NO_RANDOMIZE,
// which children inherit; setarch -R and gdb set it).
static int
aslr_is_on(void)
{
	FILE *f = fopen("/proc/sys/kernel/randomize_va_space", "r");
	int level = 2;

	if (f) {
		if (fscanf(f, "%d", &level) != 1)
			level = 2;
		fclose(f);
	}
	return level > 0 && !(personality(0xffffffff) & ADDR_NO_RANDOMIZE);
}

// Whether r's readers of another ABI run here. A contract scenario's load
// the library under test, which only a Linux program can: they are i386
// programs, loading the library's i386 twin (other_abi.h).
static int
mixed_abi_ready(struct run *r, char *why, size_t len)
{
	int n;

	if (!(r->sc->flags & CONTRACT))
		return other_abi_ready(r, why, len);
	if (r->other_abi == OTHER_ABI_WIN64)
		return snprintf(why, len, "a contract scenario's readers of another ABI load the library under "
		    "test, which a Windows program cannot: they are i386 programs (--other-abi i386)"), 0;
	r->other_abi = OTHER_ABI_I386;
	n = snprintf(why, len, "the odd workers of a mixed-ABI contract scenario are i386 programs, and ");
	if (n < 0 || (size_t)n >= len)
		n = 0;
	return other_abi_ready(r, why + n, len - (size_t)n) && other_abi_twin(r, why + n, len - (size_t)n);
}

#define TMPFS_MAGIC     0x01021994      // statfs(2)

// Whether /dev/shm, where shm_open makes its objects, has a size to exceed.
static int
shm_has_size_limit(void)
{
	struct statfs fs;

	return statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC && fs.f_blocks > 0;
}

// gcc says __SANITIZE_THREAD__, clang __has_feature(thread_sanitizer).
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifdef __SANITIZE_THREAD__
#define UNDER_TSAN 1
#endif

int
front_cannot_run(struct run *r, char *why, size_t len)
{
	if ((r->sc->flags & MIXED_ABI) && r->procs > 1 && r->strategy != FORK && !mixed_abi_ready(r, why, len))
		return 1;
	if ((r->sc->flags & OTHER_BUILD) && r->worker_other == NULL)
		return snprintf(why, len, "needs shmlab-worker-other, the second build of the worker: build it"), 1;
	if ((r->sc->flags & OLD_KERNEL_MMAP) && r->old_kernel == NULL)
		return snprintf(why, len, "needs libshmlab-old-kernel.so beside the reference's library: build it"), 1;
	if ((r->sc->flags & SYSCALL_FAULTS) && r->syscall_faults == NULL)
		return snprintf(why, len, "needs libshmlab-syscall-faults.so beside the reference's library: build it"),
		    1;
	if ((r->sc->flags & NEEDS_ASLR) && !aslr_is_on())
		return snprintf(why, len, "address randomization is off (kernel.randomize_va_space is 0, or the "
		    "harness runs under setarch -R or a debugger), so one program loads at one address in "
		    "every process and its function pointers would work by accident"), 1;
	if ((r->sc->flags & SHM_SIZE_LIMIT) && !shm_has_size_limit())
		return snprintf(why, len, "/dev/shm is not a tmpfs with a size limit, so no region is too big "
		    "for it: run it where /dev/shm is mounted with size= (Debian's default is half the RAM, "
		    "Docker's 64 MiB)"), 1;
#ifdef UNDER_TSAN
	if (r->sc->flags & PTHREAD_SHARED)
		return snprintf(why, len, "this build runs under ThreadSanitizer, which records each pthread mutex in "
		    "each process apart, so a mutex locked in one process and unlocked in another looks like a bug "
		    "to it: run it in a build without TSan"), 1;
#endif
	if ((r->sc->flags & STORE_TRAP) && store_trap_unsupported())
		return snprintf(why, len, "%s", store_trap_unsupported()), 1;
	if ((r->sc->flags & STORE_TRAP) && r->procs < 2)
		return snprintf(why, len, "needs two workers, one stopped in its calls and one that acts meanwhile: "
		    "run it with --procs 2 or more"), 1;
	return 0;
}

// Wine places a view, as Windows does, only at a multiple of 64 KiB.
size_t
front_view_align(const struct run *r)
{
	return r->other_abi == OTHER_ABI_WIN64 ? 65536 : 4096;
}

void
front_after_run(struct run *r)
{
	int which;

	if (!wine_failed_to_start(r, &which))
		return;
	fprintf(stderr, "shmlab-harness: Wine ended worker %d before it said a word (wait status %#x): "
	    "Wine failed to start it; running again, once\n", which, (unsigned)r->w[which].status);
	supervise(r);
}

// `machine`: the Wine loader Windows readers run under ("wine: PATH"), and
// whether each reader of another ABI runs here (other_abi.h), one line
// each: "i386: runs", or "win64: cannot run: WHY". Exit 0.
static int
machine(void)
{
	static struct run r;
	char why[600];

	front_find_programs(&r);
	printf("wine: %s\n", r.wine64);
	for (int a = OTHER_ABI_I386; a <= OTHER_ABI_WIN64; a++) {
		r.other_abi = (enum other_abi)a;
		if (other_abi_ready(&r, why, sizeof why))
			printf("%s: runs\n", a == OTHER_ABI_I386 ? "i386" : "win64");
		else
			printf("%s: cannot run: %s\n", a == OTHER_ABI_I386 ? "i386" : "win64", why);
	}
	return 0;
}

int
front_command(int argc, char **argv, int *status)
{
	if (argc != 2 || strcmp(argv[1], "machine") != 0)
		return 0;
	*status = machine();
	return 1;
}
