/*
 * The kill test's processes on POSIX (kill_procs.h): each worker is forked
 * and exec'd with its channel, one end of a SOCK_SEQPACKET pair, on
 * descriptor 3, dies with the harness (PR_SET_PDEATHSIG), and is reaped
 * within the step bound: SIGCHLD is blocked for the whole test so that
 * sigtimedwait() can wait for it. A victim dies of SIGKILL, which it raises
 * itself at its kill point. The heap's locks are pthread mutexes in the
 * region, made by the prepare worker (kill_worker_posix.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "fds.h"
#include "kill_procs.h"
#include "room.h"

const struct kill_lock kill_locks[] = {
	{ "none", NULL, NULL },
	{ "plain", NULL, "a plain mutex stays locked when its owner dies" },
	{ "robust", "EOWNERDEAD", NULL },
	{ NULL, NULL, NULL },
};

const char kill_death[] = "SIGKILL", kill_platform[] = "posix";

static struct {
	pid_t pid;
	int chan;
} procs[SURVIVORS + 1];
static sigset_t old_mask;
static int fds_before;

int
procs_setup(struct kill_test *t, uint64_t size, char *why, size_t len)
{
	struct shmlab_region r;
	sigset_t chld;

	fds_before = count_open_fds();
	if (choose_addresses(&t->plan, DISTINCT, t->o->seed, SLOTS, size, 0, why, len) < 0)
		return -1;
	if (shmlab_region_random_name(t->region, sizeof t->region) < 0 || create_with_room(&r, t->region, size) < 0) {
		snprintf(why, len, "cannot create a region: %s", strerror(errno));
		return -1;
	}
	shmlab_region_close(&r);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old_mask);       // so proc_end() can wait for it with sigtimedwait
	return 0;
}

// The child's side: descriptor 3 is its channel, not close-on-exec, the
// worker's one inheritance.
int
proc_start(struct kill_test *t, int p, const char *role, int slot, uint64_t seed)
{
	char at[32], sd[32];
	char *argv[] = { (char *)t->worker, (char *)role, t->region, at, sd, (char *)t->o->lock->name,
	    t->o->recover ? "1" : "0", "3", NULL };
	int sv[2];
	sigset_t none;

	snprintf(at, sizeof at, "%#lx", (unsigned long)t->plan.at[slot][0]);
	snprintf(sd, sizeof sd, "%llu", (unsigned long long)seed);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return failed(t, "socketpair: %s", strerror(errno));
	if ((procs[p].pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(sv[1], 3);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(t->worker, argv);
		dprintf(3, "fail cannot start %s: %s", t->worker, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	procs[p].chan = sv[0];
	if (procs[p].pid < 0) {
		close(sv[0]);
		procs[p].pid = 0;
		return failed(t, "fork: %s", strerror(errno));
	}
	return 0;
}

int
proc_started(int p)
{
	return procs[p].pid > 0;
}

kill_chan
proc_chan(int p)
{
	return procs[p].chan;
}

// Waits for pid until end (CLOCK_MONOTONIC). Returns waitpid's answer: pid,
// or 0 when the time is up.
static pid_t
wait_until(pid_t pid, const struct timespec *end, int *status)
{
	struct timespec now, left;
	sigset_t chld;
	pid_t r;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while ((r = waitpid(pid, status, WNOHANG)) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end->tv_sec - now.tv_sec;
		left.tv_nsec = end->tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0)
			break;
		sigtimedwait(&chld, NULL, &left);
	}
	return r;
}

enum ending
proc_end(struct kill_test *t, int p, int now, unsigned *status)
{
	struct timespec end;
	int st = 0;
	pid_t r;

	if (procs[p].pid <= 0)
		return NOT_ENDED;       // never started: and kill(0) would be the whole group
	if (now)
		kill(procs[p].pid, SIGKILL);
	shutdown(procs[p].chan, SHUT_RDWR);     // the end of its channel is its cue to exit
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += t->o->step_ms / 1000;
	end.tv_nsec += t->o->step_ms % 1000 * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	if ((r = wait_until(procs[p].pid, &end, &st)) == 0) {
		kill(procs[p].pid, SIGKILL);
		waitpid(procs[p].pid, &st, 0);          // SIGKILL cannot be refused
	}
	close(procs[p].chan);
	procs[p].pid = 0;
	*status = (unsigned)st;
	if (r <= 0)
		return NOT_ENDED;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		return ENDED_AT_KILL_POINT;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? ENDED_CLEAN : ENDED_OTHERWISE;
}

void
procs_teardown(struct kill_test *t)
{
	int fd;

	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	shmlab_region_unlink(t->region);
	if ((fd = shm_open(t->region, O_RDONLY, 0)) >= 0 || errno != ENOENT) {
		failed(t, "leftover: the region's name %s still exists", t->region);
		if (fd >= 0)
			close(fd);
	}
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		failed(t, "leftover: a child process was not reaped");
	if (count_open_fds() != fds_before)
		failed(t, "leftover: the harness holds more descriptors than before the test");
}
