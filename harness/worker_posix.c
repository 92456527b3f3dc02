/*
 * The worker's system half on POSIX (worker.h): the channel is a descriptor,
 * a fault is a signal, the watchdog is alarm(), and under `fork` worker 0
 * forks the others.
 *
 * A fault is reported from the signal handler, with async-signal-safe code
 * only (chan_tell), then the signal is delivered again with the default
 * action, so the harness also sees the real death in waitpid.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rlimits.h"
#include "worker.h"

static volatile int report_fd = -1;     // the channel, for the signal handler
static int fork_chans[MAX_PROCS];       // under `fork`, worker 0 holds every channel
static int nfork;

static void
on_fault(int sig, siginfo_t *si, void *ctx)
{
	struct wire_msg m = { .word = WIRE_SIGNAL, .nums = 2, .num = { (unsigned)sig, (uintptr_t)si->si_addr } };

	(void)ctx;
	if (report_fd >= 0)
		chan_tell(report_fd, &m);
	// SA_RESETHAND restored the default action: returning re-runs the
	// faulting instruction, which now ends the process with this signal.
}

// --chan is a descriptor; under `fork`, --fork-chans instead lists every
// worker's, worker 0's first.
int
reach_harness(struct job *j)
{
	const char *s = j->fork_chans_arg;
	char *end;

	if ((j->chan_arg == NULL) == (s == NULL))
		return -1;
	j->chan = j->hear = s ? -1 : atoi(j->chan_arg);
	while (s && *s) {
		if (nfork == MAX_PROCS)
			return -1;
		fork_chans[nfork++] = (int)strtol(s, &end, 10);
		if (end == s || (*end != ',' && *end != '\0'))
			return -1;
		s = end + (*end == ',');
	}
	if (nfork)
		j->chan = j->hear = fork_chans[0];
	return 0;
}

void
guard(struct job *j)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
	struct sigaction sa = { .sa_sigaction = on_fault };
	struct rlimit no_core = { 0, 0 };
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };

	report_fd = j->chan;
	setrlimit(RLIMIT_CORE, &no_core);
	alarm((unsigned)(j->timeout_ms / 1000 + 5));    // outlives the harness's own bound
	sigaltstack(&ss, NULL);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
}

// A MEMFD_REGION run: the region has no name, only the descriptor the
// harness placed at w.region_fd; its size is what the file holds now.
// Close-on-exec, so that a program this worker starts gets it only if given.
void
map_given_region(struct job *j)
{
	struct shmlab_region r = { .fd = j->w.region_fd };
	struct stat st;
	char why[80];

	errno = EINVAL;
	if (r.fd < 0)
		give_up(j, "a region file is for the Windows worker");
	if (fcntl(r.fd, F_SETFD, FD_CLOEXEC) < 0 || fstat(r.fd, &st) < 0)
		give_up(j, "the region's descriptor is not open");
	r.size = (uint64_t)st.st_size;
	for (int v = 0; v < j->nviews; v++)
		if (shmlab_region_map(&r, (void *)j->at[v], &j->view[v]) < 0) {
			snprintf(why, sizeof why, "cannot map view %d at %#llx", v, (unsigned long long)j->at[v]);
			give_up(j, why);
		}
}

void
fence(const struct shmlab_view *v, int open)
{
	mprotect(v->base, v->size, open ? PROT_READ | PROT_WRITE : PROT_NONE);
}

unsigned long long
own_pid(void)
{
	return (unsigned long long)getpid();
}

extern const char __executable_start[], _end[];        // GNU ld's, at the program's ends

// The heap from /proc/self/maps; the program as GNU ld bounds it: where a
// function pointer or a vtable pointer of worker 0 leads. No POSIX lesson
// loads a library of its own.
void
own_ranges(const char *dll, unsigned long long range[6])
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[256];
	unsigned long lo, hi;

	(void)dll;
	range[0] = range[1] = range[4] = range[5] = 0;
	range[2] = (uintptr_t)__executable_start;
	range[3] = (uintptr_t)_end;
	if (maps == NULL)
		return;
	while (fgets(line, sizeof line, maps))
		if (strstr(line, "[heap]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
			range[0] = lo;
			range[1] = hi;
			break;
		}
	fclose(maps);
}

void
fork_the_others(struct job *j)
{
	for (int i = 1; i < j->w.procs; i++) {
		pid_t pid = fork();
		if (pid < 0)
			give_up(j, "fork");
		if (pid > 0)
			continue;
		for (int k = 0; k < nfork; k++)
			if (k != i)
				close(fork_chans[k]);
		alarm((unsigned)(j->timeout_ms / 1000 + 5));   // alarms are not inherited
		j->w.index = i;
		j->chan = j->hear = report_fd = fork_chans[i];
		nfork = 0;
		announce(j);
		return;
	}
	for (int k = 1; k < nfork; k++)
		close(fork_chans[k]);
	nfork = 0;
}

int
short_of(int err, char *buf, size_t len)
{
	char lim[32];

	if (err == ENOMEM)
		snprintf(buf, len, " (ENOMEM): the machine, or ulimit -v (%s), has no room for the views",
		    limit_of(RLIMIT_AS, lim, sizeof lim));
	else if (err == EMFILE)
		snprintf(buf, len, " (EMFILE): raise the descriptor limit (ulimit -n is %s)",
		    limit_of(RLIMIT_NOFILE, lim, sizeof lim));
	else if (err == ENFILE)
		snprintf(buf, len, " (ENFILE): the system's file table is full (fs.file-max): end other programs");
	else
		return 0;
	return 1;
}

_Noreturn void
leave(int status)
{
	exit(status);
}
