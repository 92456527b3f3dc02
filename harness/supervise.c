/*
 * The supervisor: start the workers of one run, drive them through the
 * scenario's phases, and account for every process and every object.
 *
 *   1. create the region under a fresh unguessable name (MEMFD_REGION: a
 *      memfd with no name, sealed first under SEALED_REGION);
 *   2. start each worker with fork + exec (under `fork`: only worker 0, which
 *      forks the others after it has prepared), each in the run's process
 *      group, each with its own channel (and the memfd, as a descriptor);
 *   3. wait until they have mapped, unlink the name, check the bases;
 *   4. tell worker 0 to prepare, then every worker to run;
 *   5. reap everything; on the deadline, SIGKILL the process group;
 *   6. check that nothing is left: the name, a process, a zombie, a descriptor.
 *
 * Every wait is a poll() bounded by the run's one deadline. SIGCHLD is read
 * from a signalfd in the same poll, so a death is noticed as soon as a
 * message is. The harness is a child subreaper: workers forked by worker 0
 * become its children when worker 0 exits, and it reaps them too.
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
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "fds.h"
#include "run.h"
#include "shmlab/seal.h"
#include "sysv_leftovers.h"

enum stage { MAPPED, PREPARED, FINISHED, VERIFIED, REAPED };

static int sigfd = -1;
static struct timespec deadline;
static pid_t stray_pid[MAX_PROCS];     // reaped before they said who they were
static int stray_status[MAX_PROCS], nstray;

static int
ms_left(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000);
}

static void
problem(struct run *r, const char *what)
{
	size_t n = strlen(r->problem);

	snprintf(r->problem + n, sizeof r->problem - n, "%s%s", n ? "; " : "", what);
}

static struct worker_record *
by_pid(struct run *r, pid_t pid)
{
	for (int i = 0; i < r->procs; i++)
		if (r->w[i].pid == pid)
			return &r->w[i];
	return NULL;
}

static void
note_exit(struct worker_record *w, int status)
{
	w->reaped = 1;
	w->status = status;
}

static void
reap(struct run *r)
{
	struct signalfd_siginfo si;
	struct worker_record *w;
	int status;
	pid_t pid;

	while (read(sigfd, &si, sizeof si) > 0)
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((w = by_pid(r, pid)))
			note_exit(w, status);
		else if (nstray < MAX_PROCS) {
			stray_pid[nstray] = pid;
			stray_status[nstray++] = status;
		}
	}
}

static void
heard(struct run *r, struct worker_record *w, const char *msg)
{
	struct wire_msg m;

	w->heard = 1;
	wire_parse(msg, WIRE_FROM_WORKER, &m);  // else m.word is WIRE_WORDS, for the last branch
	if (m.word == WIRE_MAPPED) {
		if (!windows_reader(r, (int)(w - r->w)))        // whose pid is Windows', not the kernel's
			w->pid = (pid_t)m.num[0];
		w->abi = (int)m.num[1];
		w->base[0] = m.num[2];
		w->base[1] = m.nums > 3 ? m.num[3] : 0;
		w->nviews = m.nums - 2;
		w->mapped = 1;
		for (int k = 0; k < nstray; k++)
			if (stray_pid[k] == w->pid)
				note_exit(w, stray_status[k]);
	} else if (m.word == WIRE_OK) {
		w->heap[0] = m.num[0];
		w->heap[1] = m.num[1];
		w->program[0] = m.num[2];
		w->program[1] = m.num[3];
		w->prepared = 1;
	} else if (m.word == WIRE_PASS) {
		w->finished = 1;
		w->outcome = PASS;
	} else if (m.word == WIRE_VERIFIED) {
		w->verified = 1;
	} else if (m.word == WIRE_EXCEPTION) {
		// Lab 01's Windows reader: an exception code, not a signal.
		w->finished = 1;
		w->outcome = FAIL;
		snprintf(w->message, sizeof w->message, "Windows exception %#llx at %#llx", m.num[0], m.num[1]);
	} else if (m.word == WIRE_SIGNAL) {
		w->signo = (int)m.num[0];
		w->fault = m.num[1];
		w->has_fault = 1;
	} else if (m.word == WIRE_NOSTART) {
		w->finished = 1;
		w->outcome = FAIL;
		snprintf(w->message, sizeof w->message, "%.300s", m.text);
		r->harness_fault = 1;
		problem(r, "a worker could not be started");
	} else if (m.word == WIRE_FAIL || m.word == WIRE_ERROR) {
		w->finished = 1;
		w->outcome = FAIL;
		snprintf(w->message, sizeof w->message, "%s", m.text);
	} else {
		problem(r, "a worker sent a message the harness does not know");
	}
}

static void
listen_to(struct run *r, struct worker_record *w)
{
	char msg[CHAN_MSG_MAX];
	ssize_t n = recv(w->chan, msg, sizeof msg - 1, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(w->chan);
		w->chan = -1;
		return;
	}
	msg[n] = '\0';
	heard(r, w, msg);
}

// True once worker w has reached stage s, or can no longer reach it.
static int
settled(const struct worker_record *w, enum stage s)
{
	if (s == REAPED)   // a worker that never said its pid is reaped as a stray
		return w->reaped || (w->pid == 0 && w->chan < 0);
	if (w->chan < 0 || w->outcome == FAIL)
		return 1;
	return s == MAPPED ? w->mapped : s == PREPARED ? w->prepared : s == FINISHED ? w->finished : w->verified;
}

// Waits until workers first..last-1 have settled at stage s. Returns -1 if
// the deadline came first.
static int
pump(struct run *r, int first, int last, enum stage s)
{
	struct pollfd p[MAX_PROCS + 1];
	int idx[MAX_PROCS + 1];

	for (;;) {
		int n = 0, left, all = 1;
		for (int i = first; i < last; i++)
			all &= settled(&r->w[i], s);
		if (all)
			return 0;
		if ((left = ms_left()) <= 0)
			return -1;
		p[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		for (int i = 0; i < r->procs; i++)
			if (r->w[i].chan >= 0) {
				idx[n] = i;
				p[n++] = (struct pollfd){ .fd = r->w[i].chan, .events = POLLIN };
			}
		if (poll(p, (nfds_t)n, left) < 0 && errno != EINTR)
			return -1;
		if (p[0].revents)
			reap(r);
		for (int k = 1; k < n; k++)
			if (p[k].revents)
				listen_to(r, &r->w[idx[k]]);
	}
}

static void
add_arg(char **argv, int *argc, char *store, size_t len, const char *fmt, unsigned long value)
{
	snprintf(store, len, fmt, value);
	argv[(*argc)++] = store;
}

// Moves fds (the worker ends of the channels, then the region's memfd if
// any) to descriptors 3, 4, ... in the child, without close-on-exec, so
// they are all the child inherits.
static void
place_fds(int *fds, int n)
{
	int high[MAX_PROCS + 1];

	for (int k = 0; k < n; k++)
		high[k] = fcntl(fds[k], F_DUPFD_CLOEXEC, 100);
	for (int k = 0; k < n; k++)
		dup2(high[k], 3 + k);
}

// Lab 01's Windows reader finds the region's file where Wine's drive Z:
// shows the root: glibc keeps shm_open's names in /dev/shm (shm_overview(7)).
static void
windows_path(char *buf, size_t len, const char *shm_name)
{
	snprintf(buf, len, "Z:\\dev\\shm\\%s", shm_name + (shm_name[0] == '/'));
}

static void
start(struct run *r, int i, int *ends, int nends)
{
	char *argv[32], num[12][40], chans[MAX_PROCS * 4 + 8] = "", winpath[96];
	int argc = 0, k = 0, fds[MAX_PROCS + 1], nfds = nends, windows = windows_reader(r, i);
	const char *exe = (r->sc->flags & MIXED_ABI) && r->other_abi == OTHER_ABI_I386 && i % 2 ? r->worker32
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
		argv[argc++] = (char *)r->impl;
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

		setpgid(0, r->pgid);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		place_fds(fds, nfds);
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
			snprintf(why, sizeof why, "cannot turn address randomization off: personality: %s", strerror(errno));
			chan_tell(3, &(struct wire_msg){ .word = WIRE_NOSTART, .text = why });
			_exit(127);
		}
		execv(exe, argv);
		snprintf(why, sizeof why, "cannot start %s: %s", exe, strerror(errno));
		chan_tell(windows ? 1 : 3, &(struct wire_msg){ .word = WIRE_NOSTART, .text = why });
		_exit(127);
	}
	if (pid < 0) {
		problem(r, "fork failed");
		return;
	}
	setpgid(pid, r->pgid ? r->pgid : pid);
	if (r->pgid == 0)
		r->pgid = pid;
	r->w[i].pid = pid;
}

// Creates one channel per worker and starts the processes. Under `fork`,
// worker 0 gets every worker end and passes them on.
static void
start_all(struct run *r)
{
	int ends[MAX_PROCS];

	for (int i = 0; i < r->procs; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
			problem(r, "socketpair failed");
			r->procs = i;
			break;
		}
		r->w[i].chan = sv[0];
		ends[i] = sv[1];
	}
	if (r->strategy == FORK)
		start(r, 0, ends, r->procs);
	else
		for (int i = 0; i < r->procs; i++)
			start(r, i, &ends[i], 1);
	for (int i = 0; i < r->procs; i++)
		close(ends[i]);
}

// Sends word to every worker still waiting for one; `quit` goes to all.
static void
tell_all(struct run *r, enum wire_word word)
{
	for (int i = 0; i < r->procs; i++)
		if (r->w[i].chan >= 0 && (r->w[i].outcome == PENDING || word == WIRE_QUIT))
			chan_tell(r->w[i].chan, &(struct wire_msg){ .word = word });
}

// The bases must be what the plan asked for, and as different (or as equal)
// as the strategy promises.
static void
check_bases(struct run *r)
{
	char what[200];

	for (int i = 0; i < r->procs; i++)
		for (int v = 0; v < r->w[i].nviews; v++) {
			uintptr_t want = r->plan.at[i][v], got = r->w[i].base[v];
			if (want && got != want) {
				snprintf(what, sizeof what, "worker %d asked for %#lx and got %#lx", i,
				    (unsigned long)want, (unsigned long)got);
				problem(r, what);
			}
			for (int j = 0; j <= i; j++)
				for (int u = 0; u < r->w[j].nviews; u++) {
					if ((j == i && u >= v) || r->w[j].base[u] != got)
						continue;
					if (r->strategy == DISTINCT || r->strategy == DOUBLE) {
						snprintf(what, sizeof what, "workers %d and %d share base %#lx",
						    j, i, (unsigned long)got);
						problem(r, what);
					}
				}
		}
}

// Ends every process of the run: SIGKILL to the group, then reap, bounded.
static void
finish(struct run *r)
{
	if (pump(r, 0, r->procs, REAPED) < 0) {
		for (int i = 0; i < r->procs; i++)
			if (!r->w[i].reaped && (!r->w[i].finished || (i == 0 && r->sc->verify && !r->w[i].verified)))
				r->w[i].killed = 1;
		if (r->pgid > 0)
			killpg(r->pgid, SIGKILL);
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += 5;           // SIGKILL cannot be refused
		pump(r, 0, r->procs, REAPED);
	}
	for (int i = 0; i < r->procs; i++)
		if (r->w[i].chan >= 0) {
			close(r->w[i].chan);
			r->w[i].chan = -1;
		}
}

static void
check_leftovers(struct run *r, int fds_before)
{
	int fd = REGION_IS_MEMFD(r->sc) ? -1 : shm_open(r->region, O_RDONLY, 0);

	if (fd >= 0 || (!REGION_IS_MEMFD(r->sc) && errno != ENOENT)) {
		problem(r, "leftover: the region's name still exists");
		if (fd >= 0)
			close(fd);
		shm_unlink(r->region);
	}
	if (r->pgid > 0 && (kill(-r->pgid, 0) == 0 || errno != ESRCH)) {
		problem(r, "leftover: processes of the run are still alive");
		killpg(r->pgid, SIGKILL);
	}
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		problem(r, "leftover: a child process was not reaped");
	if (count_open_fds() != fds_before)
		problem(r, "leftover: the harness holds more descriptors than before the run");
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
		problem(r, what);
	}
}

static void
judge(struct run *r, const char *not_run)
{
	r->result = r->problem[0] ? RESULT_FAIL : RESULT_PASS;
	for (int i = 0; i < r->procs; i++) {
		struct worker_record *w = &r->w[i];
		if (w->killed) {
			w->outcome = HUNG;
			snprintf(w->message, sizeof w->message, "still running after %d ms: killed with its process group", r->timeout_ms);
		} else if (w->reaped && WIFSIGNALED(w->status)) {
			w->outcome = SIGNALED;
			w->signo = WTERMSIG(w->status);
		} else if (w->outcome == PASS && !(w->reaped && WIFEXITED(w->status) && WEXITSTATUS(w->status) == 0)) {
			w->outcome = FAIL;
			snprintf(w->message, sizeof w->message, "reported pass, then did not exit cleanly");
		} else if (w->outcome == PENDING) {
			w->outcome = FAIL;
			snprintf(w->message, sizeof w->message, "%s", !w->mapped ? "ended before it mapped the region"
			    : not_run ? not_run : "ended without reporting a result");
		}
		if (w->outcome != PASS)
			r->result = RESULT_FAIL;
	}
	if (r->harness_fault)
		r->result = RESULT_ERROR;
}

static int
open_sigchld(sigset_t *old)
{
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, old);
	return signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
}

// The phases of a run whose workers have started; returns why the others did
// not run, or NULL.
static const char *
drive(struct run *r)
{
	int first_wave = r->strategy == FORK ? 1 : r->procs;

	if (pump(r, 0, first_wave, MAPPED) < 0)
		return "timed out while mapping";
	if (!r->w[0].mapped)
		return "not run: worker 0 could not map the region";
	chan_tell(r->w[0].chan, &(struct wire_msg){ .word = WIRE_PREPARE });
	if (pump(r, 0, 1, PREPARED) < 0)
		return "not run: worker 0 did not finish preparing";
	if (!r->w[0].prepared)
		return "not run: worker 0 failed while preparing";
	if (pump(r, 0, r->procs, MAPPED) < 0)
		return "timed out while mapping";
	if (!REGION_IS_MEMFD(r->sc))
		shm_unlink(r->region);  // every worker holds it now; nothing can leak
	check_bases(r);
	if (r->problem[0])
		return "not run: the bases were wrong";
	tell_all(r, WIRE_RUN);
	if (pump(r, 0, r->procs, FINISHED) < 0)
		return NULL;                    // a worker still running at the deadline is HUNG
	if (r->sc->verify && r->w[0].outcome == PASS) {
		chan_tell(r->w[0].chan, &(struct wire_msg){ .word = WIRE_VERIFY });
		pump(r, 0, 1, VERIFIED);
	}
	return NULL;
}

// ANCHOR: create_region
// The run's region: a fresh name, or a memfd kept open in r->region_fd for
// the workers to inherit, sealed before any of them exists under
// SEALED_REGION. Returns 0, or -1 with errno and nothing left behind.
static int
create_region(struct run *r, struct shmlab_region *region)
{
	r->region_fd = -1;
	if (!REGION_IS_MEMFD(r->sc))
		return shmlab_region_random_name(r->region, sizeof r->region) < 0 ? -1
		    : shmlab_region_create(region, r->region, r->sc->region_size);
	snprintf(r->region, sizeof r->region, "%s", MEMFD_NAME);
	if (shmlab_region_create(region, NULL, r->sc->region_size) < 0)
		return -1;
	if ((r->sc->flags & SEALED_REGION) && shmlab_region_seal_size(region) < 0) {
		int saved = errno;
		shmlab_region_close(region);
		errno = saved;
		return -1;
	}
	r->region_fd = region->fd;
	return 0;
}
// ANCHOR_END: create_region

void
supervise(struct run *r)
{
	struct shmlab_region region;
	const char *not_run = NULL;
	int fds_before = count_open_fds();
	struct sysv_snapshot sysv = { .lock = -1 };
	sigset_t old;

	nstray = 0;
	r->problem[0] = '\0';
	r->harness_fault = 0;
	r->pgid = 0;
	for (int i = 0; i < r->procs; i++)
		r->w[i] = (struct worker_record){ .chan = -1 };
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigfd = open_sigchld(&old);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += r->timeout_ms / 1000;
	deadline.tv_nsec += (long)(r->timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	if (create_region(r, &region) < 0) {
		snprintf(r->problem, sizeof r->problem, "cannot create the region: %s", strerror(errno));
		r->result = RESULT_ERROR;
		close(sigfd);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return;
	}
	if (region.fd != r->region_fd)
		shmlab_region_close(&region);   // workers open it by name, each on its own
	if ((r->sc->flags & SYSV_IPC) && sysv_before(&sysv, 10000) < 0)
		problem(r, "cannot take the lock that keeps runs making SysV objects apart");
	start_all(r);
	if (r->region_fd >= 0) {
		close(r->region_fd);    // every worker started has its own descriptor now
		r->region_fd = -1;
	}
	not_run = drive(r);
	tell_all(r, WIRE_QUIT);
	if (!REGION_IS_MEMFD(r->sc))
		shm_unlink(r->region);
	finish(r);
	close(sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r->sc->flags & SYSV_IPC)
		sysv_leftovers(r, &sysv);
	check_leftovers(r, fds_before);
	judge(r, not_run);
}
