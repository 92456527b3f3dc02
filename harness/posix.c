/*
 * The POSIX half of the harness (platform.h): what only a POSIX system does,
 * in POSIX's words. The run's phases and their order are run.c's, the same
 * on both systems; win32/win32.c is the other half.
 *
 * Workers start by fork + exec, each in the run's process group, each with
 * its own channel, a socket pair (and under MEMFD_REGION the region, as a
 * descriptor). A wait is one poll() on every channel and on a signalfd for
 * SIGCHLD, so a death is noticed as soon as a message is. The harness is a
 * child subreaper: workers forked by worker 0 become its children when
 * worker 0 exits, and it reaps them too. On the deadline, SIGKILL to the
 * process group. Nothing may be left: the name, a process, a zombie, a
 * descriptor, a SysV object.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "fds.h"
#include "rlimits.h"
#include "platform.h"
#include "report.h"
#include "room.h"
#include "shmlab/seal.h"
#include "sysv_leftovers.h"

const char platform_killer[] = "its process group";

static int sigfd = -1;                  // SIGCHLD, read in the same poll as the channels
static sigset_t old_mask;               // the signal mask before the run
static pid_t pgid;                      // the run's process group: worker 0's pid
static int fds_before;                  // descriptors open before the run
static struct sysv_snapshot sysv = { .lock = -1 };

char *
platform_beside(char *buf, size_t len, const char *name)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	buf[n > 0 ? n : 0] = '\0';
	slash = strrchr(buf, '/');
	snprintf(slash ? slash + 1 : buf, len - (size_t)(slash ? slash + 1 - buf : 0), "%s", name);
	return buf;
}

// ---------------------------------------------------------------- when the machine runs short

// What ran short when a set-up call failed with err, and how to get more.
static void
advice(const struct run *r, int err, char *buf, size_t len)
{
	char lim[32];
	struct statvfs fs;

	buf[0] = '\0';
	if (err == EMFILE)
		snprintf(buf, len, ": raise the descriptor limit (ulimit -n is %s; a run of %d workers needs about %d)",
		    limit_of(RLIMIT_NOFILE, lim, sizeof lim), r->procs, fds_before + 2 * r->procs + 4);
	else if (err == ENFILE)
		snprintf(buf, len, ": the system's file table is full (fs.file-max): end other programs");
	else if (err == EAGAIN)
		snprintf(buf, len, ": raise the process limit (ulimit -u is %s), or end other processes of this user",
		    limit_of(RLIMIT_NPROC, lim, sizeof lim));
	else if (err == ENOMEM)
		snprintf(buf, len, ": the machine, or ulimit -v (%s), has no memory to give",
		    limit_of(RLIMIT_AS, lim, sizeof lim));
	else if (err == ENOSPC && statvfs("/dev/shm", &fs) == 0)
		snprintf(buf, len, ": /dev/shm has %llu KiB free of %llu KiB, this run needs %llu KiB%s; remove what "
		    "killed runs left there (/dev/shm/shmlab-*) or mount it larger",
		    (unsigned long long)fs.f_bavail * fs.f_frsize / 1024,
		    (unsigned long long)fs.f_blocks * fs.f_frsize / 1024,
		    (unsigned long long)(r->sc->region_size + 1023) / 1024,
		    r->sc->region_size <= (uint64_t)fs.f_blocks * fs.f_frsize ? " and none came free while it waited"
		    : "");
}

// A call the harness makes to set the run up failed: the environment's
// failure, not the scenario's. The run is an ERROR (exit 2) that names the
// call, its errno and what to do, and it is never made smaller than asked.
static void
setup_failed(struct run *r, const char *call, int err)
{
	char what[384], more[240];
	const char *name = strerrorname_np(err);

	advice(r, err, more, sizeof more);
	snprintf(what, sizeof what, "%s failed: %s (%s)%s", call, strerror(err), name ? name : "?", more);
	run_problem(r, what);
	r->harness_fault = 1;
}

long long
platform_clock_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// ANCHOR: create_region
// The run's region: a fresh name, or a memfd kept open in r->region_fd for
// the workers to inherit, sealed before any of them exists under
// SEALED_REGION. Returns 0, or -1 with errno and nothing left behind.
static int
create_region(struct run *r, struct shmlab_region *region)
{
	r->region_fd = -1;
	if (!REGION_IS_MEMFD(r->sc)) {
		if (shmlab_region_random_name(r->region, sizeof r->region) < 0
		    || create_with_room(region, r->region, r->sc->region_size) < 0)
			return -1;
	} else {
		snprintf(r->region, sizeof r->region, "%s", MEMFD_NAME);
		if (shmlab_region_create(region, NULL, r->sc->region_size) < 0)
			return -1;
	}
	// create reserved every page (region.h): a /dev/shm that stayed full
	// was ENOSPC above, the harness's error, not a SIGBUS in a worker that
	// the verdict would blame on the code under test.
	if ((r->sc->flags & SEALED_REGION) && shmlab_region_seal_size(region) < 0) {
		int saved = errno;
		shmlab_region_close(region);
		if (!REGION_IS_MEMFD(r->sc))
			shmlab_region_unlink(r->region);
		errno = saved;
		return -1;
	}
	r->region_fd = REGION_IS_MEMFD(r->sc) ? region->fd : -1;
	return 0;
}
// ANCHOR_END: create_region

static int
open_sigchld(sigset_t *old)
{
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, old);
	return signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
}

int
platform_begin(struct run *r)
{
	struct shmlab_region region;

	fds_before = count_open_fds();
	pgid = 0;
	sysv.lock = -1;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigfd = open_sigchld(&old_mask);
	if (sigfd < 0) {
		setup_failed(r, "signalfd", errno);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		return -1;
	}
	if (create_region(r, &region) < 0) {
		setup_failed(r, "creating the region", errno);
		close(sigfd);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		return -1;
	}
	if (region.fd != r->region_fd)
		shmlab_region_close(&region);   // workers open it by name, each on its own
	if ((r->sc->flags & SYSV_IPC) && sysv_before(&sysv, 10000) < 0)
		run_problem(r, "cannot take the lock that keeps runs making SysV objects apart");
	return 0;
}

static void
add_arg(char **argv, int *argc, char *store, size_t len, const char *fmt, unsigned long value)
{
	snprintf(store, len, fmt, value);
	argv[(*argc)++] = store;
}

// Moves fds (the worker ends of the channels, then the region's memfd if
// any) to descriptors 3, 4, ... in the child, without close-on-exec, so
// they are all the child inherits. Each is copied first above 3 + n, where
// no target lies, so no dup2 closes a descriptor still to be placed; and no
// higher, so a low descriptor limit is met if it can be. Returns 0, or -1
// with errno.
static int
place_fds(int *fds, int n)
{
	int high[MAX_PROCS + 1];

	for (int k = 0; k < n; k++)
		if ((high[k] = fcntl(fds[k], F_DUPFD_CLOEXEC, 3 + n)) < 0)
			return -1;
	for (int k = 0; k < n; k++)
		if (dup2(high[k], 3 + k) < 0)
			return -1;
	return 0;
}

// Lab 01's Windows reader finds the region's file where Wine's drive Z:
// shows the root: glibc keeps shm_open's names in /dev/shm (shm_overview(7)).
static void
windows_path(char *buf, size_t len, const char *shm_name)
{
	snprintf(buf, len, "Z:\\dev\\shm\\%s", shm_name + (shm_name[0] == '/'));
}

static int
start(struct run *r, int i, int *ends, int nends)
{
	char *argv[32], num[12][40], chans[MAX_PROCS * 4 + 8] = "", winpath[96];
	int argc = 0, k = 0, fds[MAX_PROCS + 1], nfds = nends, windows = windows_reader(r, i);
	const char *exe = i386_reader(r, i) ? r->worker32
	    : (r->sc->flags & OTHER_BUILD) && i % 2 ? r->worker_other : windows ? r->wine64 : r->worker64;
	sigset_t none;
	pid_t pid;

	argv[argc++] = (char *)exe;
	if (windows)
		argv[argc++] = (char *)r->worker_win64;
	argv[argc++] = (char *)r->sc->name;
	add_arg(argv, &argc, num[k++], 40, "--index=%lu", (unsigned long)i);
	add_arg(argv, &argc, num[k++], 40, "--procs=%lu", (unsigned long)r->procs);
	add_arg(argv, &argc, num[k++], 40, "--views=%lu", (unsigned long)r->plan.views);
	add_arg(argv, &argc, num[k++], 40, "--timeout-ms=%lu", (unsigned long)r->timeout_ms);
	add_arg(argv, &argc, num[k++], 40, "--seed=%lu", (unsigned long)r->seed);    // at most 2^32-1
	for (int v = 0; v < r->plan.views; v++)
		if (r->plan.at[i][v])
			add_arg(argv, &argc, num[k++], 40, "--at=%#lx", (unsigned long)r->plan.at[i][v]);
	for (int c = 0; c < nends; c++)
		snprintf(chans + strlen(chans), sizeof chans - strlen(chans), "%s%d", c ? "," : "", 3 + c);
	argv[argc++] = nends > 1 ? "--fork-chans" : windows ? "--chan=stdio" : "--chan";
	if (!windows)
		argv[argc++] = chans;
	if (r->sc->flags & CONTRACT) {
		argv[argc++] = "--impl";
		argv[argc++] = (char *)worker_impl(r, i);
	}
	memcpy(fds, ends, sizeof *ends * (size_t)nends);
	if (windows) {
		windows_path(winpath, sizeof winpath, r->region);
		argv[argc++] = "--region-file";
		argv[argc++] = winpath;
	} else if (r->region_fd >= 0) {
		fds[nfds++] = r->region_fd;
		add_arg(argv, &argc, num[k++], 40, "--region-fd=%lu", (unsigned long)(3 + nends));
	} else {
		argv[argc++] = "--region";
		argv[argc++] = r->region;
	}
	argv[argc] = NULL;

	pid = fork();
	if (pid == 0) {
		char why[CHAN_MSG_MAX];

		setpgid(0, pgid);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (place_fds(fds, nfds) < 0) {
			int err = errno;
			char more[240];
			advice(r, err, more, sizeof more);
			snprintf(why, sizeof why, "cannot place its descriptors: %s (%s)%s", strerror(err),
			    strerrorname_np(err) ? strerrorname_np(err) : "?", more);
			chan_tell(fds[0], &(struct wire_msg){ .word = WIRE_NOSTART, .text = why });
			_exit(127);
		}
		if (windows) {
			// A Windows program reads and writes its standard handles;
			// Wine keeps each write one message on the socket.
			dup2(3, 0);
			dup2(3, 1);
			close(3);
		}
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if ((r->sc->flags & OTHER_BUILD) && personality(personality(0xffffffff) | ADDR_NO_RANDOMIZE) < 0) {
			snprintf(why, sizeof why, "cannot turn address randomization off: personality: %s",
			    strerror(errno));
			chan_tell(3, &(struct wire_msg){ .word = WIRE_NOSTART, .text = why });
			_exit(127);
		}
		if ((r->sc->flags & OLD_KERNEL_MMAP) && setenv("LD_PRELOAD", r->old_kernel, 1) < 0)
			_exit(127);
		if ((r->sc->flags & SYSCALL_FAULTS) && setenv("LD_PRELOAD", r->syscall_faults, 1) < 0)
			_exit(127);
		execv(exe, argv);
		snprintf(why, sizeof why, "cannot start %s: %s", exe, strerror(errno));
		chan_tell(windows ? 1 : 3, &(struct wire_msg){ .word = WIRE_NOSTART, .text = why });
		_exit(127);
	}
	if (pid < 0) {
		setup_failed(r, "fork", errno);
		return -1;
	}
	setpgid(pid, pgid ? pgid : pid);
	if (pgid == 0)
		pgid = pid;
	r->w[i].pid = pid;
	return 0;
}

// Creates one channel per worker and starts the processes. Under `fork`,
// worker 0 gets every worker end and passes them on.
int
platform_start_all(struct run *r)
{
	int ends[MAX_PROCS], made = 0, rc = 0;

	for (; made < r->procs; made++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
			setup_failed(r, "socketpair", errno);
			rc = -1;
			break;
		}
		r->w[made].chan = sv[0];
		ends[made] = sv[1];
	}
	if (rc == 0 && r->strategy == FORK)
		rc = start(r, 0, ends, r->procs);
	for (int i = 0; rc == 0 && r->strategy != FORK && i < r->procs; i++)
		rc = start(r, i, &ends[i], 1);
	for (int i = 0; i < made; i++)
		close(ends[i]);
	if (r->region_fd >= 0) {
		close(r->region_fd);    // every worker started has its own descriptor now
		r->region_fd = -1;
	}
	return rc;
}

static void
reap(struct run *r)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	while (read(sigfd, &si, sizeof si) > 0)
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		run_reaped(r, pid, status);
}

static void
listen_to(struct run *r, int i)
{
	char msg[CHAN_MSG_MAX];
	ssize_t n = recv(r->w[i].chan, msg, sizeof msg - 1, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(r->w[i].chan);
		r->w[i].chan = -1;
		return;
	}
	msg[n] = '\0';
	run_heard(r, i, msg);
}

int
platform_wait(struct run *r, int ms)
{
	struct pollfd p[MAX_PROCS + 1];
	int idx[MAX_PROCS + 1], n = 0;

	p[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
	for (int i = 0; i < r->procs; i++)
		if (r->w[i].chan >= 0) {
			idx[n] = i;
			p[n++] = (struct pollfd){ .fd = r->w[i].chan, .events = POLLIN };
		}
	if (poll(p, (nfds_t)n, ms) < 0)
		return errno == EINTR ? 0 : -1;
	if (p[0].revents)
		reap(r);
	for (int k = 1; k < n; k++)
		if (p[k].revents)
			listen_to(r, idx[k]);
	return 0;
}

void
platform_send(struct run *r, int i, enum wire_word word)
{
	chan_tell(r->w[i].chan, &(struct wire_msg){ .word = word });
}

void
platform_release_region(struct run *r)
{
	if (!REGION_IS_MEMFD(r->sc))
		shm_unlink(r->region);  // ENOENT once done: nothing to release
}

void
platform_kill_all(struct run *r)
{
	(void)r;
	if (pgid > 0)
		killpg(pgid, SIGKILL);
}

static void
check_leftovers(struct run *r)
{
	int fd = REGION_IS_MEMFD(r->sc) ? -1 : shm_open(r->region, O_RDONLY, 0);

	if (fd >= 0 || (!REGION_IS_MEMFD(r->sc) && errno != ENOENT)) {
		run_problem(r, "leftover: the region's name still exists");
		if (fd >= 0)
			close(fd);
		shm_unlink(r->region);
	}
	if (pgid > 0 && (kill(-pgid, 0) == 0 || errno != ESRCH)) {
		run_problem(r, "leftover: processes of the run are still alive");
		killpg(pgid, SIGKILL);
	}
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		run_problem(r, "leftover: a child process was not reaped");
	if (count_open_fds() != fds_before)
		run_problem(r, "leftover: the harness holds more descriptors than before the run");
}

static void
sysv_leftovers(struct run *r, struct sysv_snapshot *s)
{
	char ids[200], what[300];

	if (s->lock < 0)
		return;
	if (sysv_after(s, ids, sizeof ids) > 0) {
		snprintf(what, sizeof what, "leftover: SysV objects made during the run and not removed "
		    "(removed now): %s", ids);
		run_problem(r, what);
	}
}

void
platform_end(struct run *r)
{
	for (int i = 0; i < r->procs; i++)
		if (r->w[i].chan >= 0) {
			close(r->w[i].chan);
			r->w[i].chan = -1;
		}
	close(sigfd);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (r->sc->flags & SYSV_IPC)
		sysv_leftovers(r, &sysv);
	check_leftovers(r);
}

int
platform_died_of_fault(int status, int *cause)
{
	if (!WIFSIGNALED(status))
		return 0;
	*cause = WTERMSIG(status);
	return 1;
}

int
platform_exited_cleanly(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// "SIGSEGV", from glibc's table of abbreviations.
static const char *
signal_name(int sig)
{
	static char buf[16];
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, sizeof buf, "SIG%s", abbrev);
	else
		snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}

// A path is shown as it is: the shell runs on this system.
static const char *
path_as_is(const char *path, char *buf, size_t len)
{
	(void)buf, (void)len;
	return path;
}

const struct report_terms report_terms = {
	.platform = NULL, .title = "", .posix_facts = 1, .death = signal_name, .shown_path = path_as_is,
};
