/*
 * The store trap (store_trap.h): a read-only range, a SIGSEGV handler that
 * runs the hook and opens the faulting page for one instruction, and a
 * SIGTRAP handler, reached through the x86 trap flag once that instruction
 * has executed, that closes the page again.
 *
 * Invariant: outside the two handlers, every page of the range is
 * read-only and the trap flag is clear. An instruction may store into two
 * pages (an unaligned word across a boundary): its second fault opens the
 * second page without running the hook again. A fault that is not a store
 * into the range is not ours: the handler puts the process's own back and
 * returns, so the instruction faults again and is reported as before.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "store_trap.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define __SANITIZE_THREAD__ 1
#endif
#endif

#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__)) && !defined(__SANITIZE_THREAD__)
#define TRAP_FLAG 0x100         // EFLAGS.TF: a debug trap after the next instruction

static struct {
	char *start;
	size_t len, page;
	store_hook *hook;
	void *arg;
	char *open[2];          // pages writable for the instruction being stepped
	int nopen;
	struct sigaction old_segv, old_trap;
} trap;

static void
on_store(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	char *at = si->si_addr;

	(void)sig;
	if (si->si_code != SEGV_ACCERR || at < trap.start || at >= trap.start + trap.len || trap.nopen == 2) {
		sigaction(SIGSEGV, &trap.old_segv, NULL);
		return;
	}
	if (trap.nopen == 0 && !trap.hook(at, trap.arg)) {
		store_trap_disarm();
		return;
	}
	trap.open[trap.nopen] = (char *)((uintptr_t)at & ~(uintptr_t)(trap.page - 1));
	mprotect(trap.open[trap.nopen++], trap.page, PROT_READ | PROT_WRITE);
	uc->uc_mcontext.gregs[REG_EFL] |= TRAP_FLAG;
}

static void
on_stepped(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig, (void)si;
	if (trap.nopen == 0) {          // not our step: a breakpoint, say
		sigaction(SIGTRAP, &trap.old_trap, NULL);
		return;
	}
	while (trap.nopen > 0)
		mprotect(trap.open[--trap.nopen], trap.page, PROT_READ);
	uc->uc_mcontext.gregs[REG_EFL] &= ~TRAP_FLAG;
}

const char *
store_trap_unsupported(void)
{
	return NULL;
}

int
store_trap_arm(void *start, size_t len, store_hook *before_store, void *arg)
{
	struct sigaction segv = { .sa_sigaction = on_store, .sa_flags = SA_SIGINFO | SA_ONSTACK };
	struct sigaction step = { .sa_sigaction = on_stepped, .sa_flags = SA_SIGINFO | SA_ONSTACK };

	trap.start = start;
	trap.len = len;
	trap.page = (size_t)sysconf(_SC_PAGESIZE);
	trap.hook = before_store;
	trap.arg = arg;
	trap.nopen = 0;
	sigemptyset(&segv.sa_mask);
	sigemptyset(&step.sa_mask);
	if (sigaction(SIGSEGV, &segv, &trap.old_segv) < 0 || sigaction(SIGTRAP, &step, &trap.old_trap) < 0)
		return -1;
	if (mprotect(start, len, PROT_READ) < 0) {
		store_trap_disarm();
		return -1;
	}
	return 0;
}

void
store_trap_disarm(void)
{
	int saved = errno;

	mprotect(trap.start, trap.len, PROT_READ | PROT_WRITE);
	sigaction(SIGSEGV, &trap.old_segv, NULL);
	sigaction(SIGTRAP, &trap.old_trap, NULL);
	errno = saved;
}

#else

const char *
store_trap_unsupported(void)
{
#ifdef __SANITIZE_THREAD__
	return "this build runs under ThreadSanitizer, whose runtime performs the library's atomic operations "
	    "holding locks of its own, so a store cannot be held there: run it in a build without TSan";
#else
	return "stopping a process at its stores needs the x86 trap flag on Linux, which this build lacks";
#endif
}

int
store_trap_arm(void *start, size_t len, store_hook *before_store, void *arg)
{
	(void)start, (void)len, (void)before_store, (void)arg;
	errno = ENOSYS;
	return -1;
}

void
store_trap_disarm(void)
{
}

#endif
