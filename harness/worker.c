/*
 * A worker: one process that maps the region and runs its part of a
 * scenario, started by the harness with exec so that it gets an address space
 * of its own (its own heap, its own library addresses, its own view).
 *
 * The worker obeys the harness over its channel (channel.h) and never waits
 * without a bound: every receive has a timeout, and alarm() ends the process
 * if the harness itself has gone. A fault is reported with its address from
 * the signal handler, then the signal is delivered again with the default
 * action, so the harness also sees the real death in waitpid.
 *
 * Under `fork`, worker 0 prepares and then forks the others without exec:
 * they inherit its view at the same address and a copy of its heap. That is
 * the test set-up which hides pointer bugs, kept so it can be shown.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addresses.h"
#include "channel.h"
#include "impl.h"
#include "scenario.h"
#include "worker.h"

struct job {
	const struct scenario *sc;
	struct worker w;
	struct impl impl;               // CONTRACT scenarios: loaded from impl_path
	const char *impl_path;
	const char *region;             // its name; NULL when it came as w.region_fd
	int chan;
	int timeout_ms;
	int nviews;
	uintptr_t at[MAX_VIEWS];
	struct shmlab_view view[MAX_VIEWS];
	int fork_chans[MAX_PROCS];      // under `fork`, worker 0 holds every channel
	int nfork;
};

static volatile int report_fd = -1;     // the channel, for the signal handler

// Formats "signal <n> 0x<addr>" with no library call: only write-safe code
// may run in a signal handler.
static void
on_fault(int sig, siginfo_t *si, void *ctx)
{
	char msg[48] = "signal ", *p = msg + 7;
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)ctx;
	*p++ = (char)('0' + sig / 10);
	*p++ = (char)('0' + sig % 10);
	*p++ = ' ';
	*p++ = '0';
	*p++ = 'x';
	for (int shift = (int)sizeof a * 8 - 4; shift >= 0; shift -= 4)
		*p++ = "0123456789abcdef"[(a >> shift) & 15];
	if (report_fd >= 0)
		(void)!write(report_fd, msg, (size_t)(p - msg));
	// SA_RESETHAND restored the default action: returning re-runs the
	// faulting instruction, which now ends the process with this signal.
}

static void
catch_faults(void)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
	struct sigaction sa = { .sa_sigaction = on_fault };
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };

	sigaltstack(&ss, NULL);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
}

static _Noreturn void
give_up(struct job *j, const char *what)
{
	chan_send(j->chan, "error %s: %s", what, strerror(errno));
	exit(3);
}

// Opens and maps the region: through the library under test for a CONTRACT
// scenario (mapping at a given address is part of the contract), through the
// reference linked in otherwise.
static void
map_views(struct job *j)
{
	char why[120];

	if (impl_map_views(j->w.impl, j->region, j->nviews, j->at, j->view, why, sizeof why) < 0)
		give_up(j, why);
}

// A MEMFD_REGION run: the region has no name, only the descriptor the
// harness placed at w.region_fd; its size is what the file holds now.
// Close-on-exec, so that a program this worker starts gets it only if given.
static void
map_fd_views(struct job *j)
{
	struct shmlab_region r = { .fd = j->w.region_fd };
	struct stat st;
	char why[80];

	if (fcntl(r.fd, F_SETFD, FD_CLOEXEC) < 0 || fstat(r.fd, &st) < 0)
		give_up(j, "the region's descriptor is not open");
	r.size = (uint64_t)st.st_size;
	for (int v = 0; v < j->nviews; v++)
		if (shmlab_region_map(&r, (void *)j->at[v], &j->view[v]) < 0) {
			snprintf(why, sizeof why, "cannot map view %d at %#llx", v, (unsigned long long)j->at[v]);
			give_up(j, why);
		}
}

static void
load_impl(struct job *j)
{
	char why[CHAN_MSG_MAX - 16];

	if (!(j->sc->flags & CONTRACT))
		return;
	if (j->impl_path == NULL || impl_load(&j->impl, j->impl_path, why, sizeof why) < 0) {
		chan_send(j->chan, "error %s", j->impl_path ? why : "no implementation given (--impl)");
		exit(3);
	}
	j->w.impl = &j->impl;
}

static void
announce(struct job *j)
{
	char bases[64] = "";

	for (int v = 0; v < j->nviews; v++)
		snprintf(bases + strlen(bases), sizeof bases - strlen(bases), " %#lx",
		    (unsigned long)(uintptr_t)j->view[v].base);
	chan_send(j->chan, "mapped %ld %d%s", (long)getpid(), (int)sizeof(void *) * 8, bases);
}

// Makes every view but `open` inaccessible, so a reference that escapes the
// view it was read through faults instead of quietly reading the same bytes.
static void
fence_all_but(struct job *j, int open)
{
	for (int v = 0; v < j->nviews; v++)
		mprotect(j->view[v].base, j->view[v].size,
		    v == open ? PROT_READ | PROT_WRITE : PROT_NONE);
}

// The bounds of this process's heap, so the harness can say when another
// process faulted on an address that belongs to it.
static void
heap_range(unsigned long *lo, unsigned long *hi)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[256];

	*lo = *hi = 0;
	if (maps == NULL)
		return;
	while (fgets(line, sizeof line, maps))
		if (strstr(line, "[heap]") && sscanf(line, "%lx-%lx", lo, hi) == 2)
			break;
	fclose(maps);
}

extern const char __executable_start[], _end[];        // GNU ld's, at the program's ends

static int
run_through(struct job *j, int (*step)(struct worker *, const struct shmlab_view *), int v)
{
	if (step == NULL)
		return 0;
	fence_all_but(j, v);
	j->w.view = v;
	return step(&j->w, &j->view[v]);
}

// Under `fork`: start workers 1..procs-1 as copies of this process.
static void
fork_the_others(struct job *j)
{
	for (int i = 1; i < j->w.procs; i++) {
		pid_t pid = fork();
		if (pid < 0)
			give_up(j, "fork");
		if (pid > 0)
			continue;
		for (int k = 0; k < j->nfork; k++)
			if (k != i)
				close(j->fork_chans[k]);
		alarm((unsigned)(j->timeout_ms / 1000 + 5));   // alarms are not inherited
		j->w.index = i;
		j->chan = report_fd = j->fork_chans[i];
		j->nfork = 0;
		announce(j);
		return;
	}
	for (int k = 1; k < j->nfork; k++)
		close(j->fork_chans[k]);
	j->nfork = 0;
}

static void
obey(struct job *j)
{
	char cmd[CHAN_MSG_MAX];
	int n;

	for (;;) {
		n = chan_recv(j->chan, cmd, sizeof cmd, j->timeout_ms);
		if (n < 0)
			give_up(j, "no word from the harness");
		if (n == 0 || strcmp(cmd, "quit") == 0)
			exit(0);
		if (strcmp(cmd, "prepare") == 0) {
			if (run_through(j, j->sc->prepare, 0) < 0) {
				chan_send(j->chan, "fail %s", j->w.message);
				exit(1);
			}
			unsigned long lo, hi;
			heap_range(&lo, &hi);
			// The program's own code and data, as GNU ld bounds them: where
			// a function pointer or a vtable pointer of worker 0 leads.
			chan_send(j->chan, "ok %#lx %#lx %#lx %#lx", lo, hi,
			    (unsigned long)__executable_start, (unsigned long)_end);
			if (j->nfork)
				fork_the_others(j);
		} else if (strcmp(cmd, "run") == 0) {
			for (int v = j->nviews - 1; v >= 0; v--) {
				if (run_through(j, j->sc->run, v) < 0) {
					chan_send(j->chan, "fail %s", j->w.message);
					exit(1);
				}
			}
			chan_send(j->chan, "pass");
		} else if (strcmp(cmd, "verify") == 0) {
			if (run_through(j, j->sc->verify, j->nviews - 1) < 0) {
				chan_send(j->chan, "fail %s", j->w.message);
				exit(1);
			}
			chan_send(j->chan, "verified");
		}
	}
}

static int
parse_fds(struct job *j, char *list)
{
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		if (j->nfork == MAX_PROCS)
			return -1;
		j->fork_chans[j->nfork++] = atoi(tok);
	}
	return 0;
}

static int
parse(struct job *j, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "index", 1, 0, 'i' }, { "procs", 1, 0, 'n' }, { "region", 1, 0, 'r' },
		{ "chan", 1, 0, 'c' }, { "at", 1, 0, 'a' }, { "views", 1, 0, 'v' },
		{ "timeout-ms", 1, 0, 't' }, { "fork-chans", 1, 0, 'f' }, { "impl", 1, 0, 'l' },
		{ "seed", 1, 0, 's' }, { "region-fd", 1, 0, 'd' }, { 0, 0, 0, 0 },
	};
	int c, nat = 0;

	j->w.procs = 1;
	j->nviews = 1;
	j->timeout_ms = 10000;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': j->w.index = atoi(optarg); break;
		case 'n': j->w.procs = atoi(optarg); break;
		case 'r': j->region = optarg; break;
		case 'd': j->w.region_fd = atoi(optarg); break;
		case 'c': j->chan = atoi(optarg); break;
		case 'v': j->nviews = atoi(optarg); break;
		case 't': j->timeout_ms = atoi(optarg); break;
		case 'l': j->impl_path = optarg; break;
		case 's': j->w.seed = strtoull(optarg, NULL, 0); break;
		case 'a':
			if (nat == MAX_VIEWS)
				return -1;
			j->at[nat++] = (uintptr_t)strtoull(optarg, NULL, 0);
			break;
		case 'f':
			if (parse_fds(j, optarg) < 0)
				return -1;
			break;
		default: return -1;
		}
	}
	if (optind != argc - 1 || (j->region == NULL) == (j->w.region_fd < 0) || j->nviews < 1 || j->nviews > MAX_VIEWS)
		return -1;
	j->w.views = j->nviews;
	j->sc = scenario_find(argv[optind]);
	return j->sc ? 0 : -1;
}

int
worker_main(int argc, char **argv)
{
	struct job j = { .chan = -1, .w.region_fd = -1 };
	struct rlimit no_core = { 0, 0 };

	if (parse(&j, argc, argv) < 0) {
		fprintf(stderr, "shmlab worker: started with bad arguments; the harness starts workers\n");
		return 2;
	}
	report_fd = j.chan;
	if (j.nfork)
		j.chan = report_fd = j.fork_chans[0];
	setrlimit(RLIMIT_CORE, &no_core);
	alarm((unsigned)(j.timeout_ms / 1000 + 5));     // outlives the harness's own bound
	catch_faults();
	load_impl(&j);
	if (j.w.region_fd >= 0)
		map_fd_views(&j);
	else
		map_views(&j);
	announce(&j);
	obey(&j);
	return 0;
}
