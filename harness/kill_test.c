/*
 * The kill test: processes killed with SIGKILL inside shmlab_alloc() and
 * shmlab_free(), one after another, while others go on allocating beside
 * them.
 *
 * The reference allocator holds no lock (reference/alloc.c), so there is no
 * lock for the next process to recover, as there would be with a robust
 * mutex (EOWNERDEAD) or a Windows mutex (WAIT_ABANDONED). What a death can do
 * instead is leave a survivor waiting forever, or leave blocks lost or handed
 * out twice. The test looks for each:
 *
 *   1. a `prepare` worker formats a fresh region; two survivors start;
 *   2. each round, a victim starts at another address than the last one. As
 *      the next process after a crash, it recovers the heap
 *      (shmlab_heap_recover), frees what its dead predecessor recorded, and
 *      checks the heap; then it allocates and frees beside the survivors
 *      until the kill point its seed chose kills it;
 *   3. the survivors are told to stop: each must take 100 more steps, all
 *      after the death, free what it holds and answer within the step bound
 *      (else it is stuck behind the dead process);
 *   4. a `last` worker recovers after the last victim.
 *
 * Every recovery must find exactly what the previous victim's kill point
 * leaves (kill_point.h): one block, both blocks of a page, an ownerless page,
 * or nothing. And exactly as many blocks must stay handed out as victims died
 * between marking a block and returning it: those are the caller's, lost to
 * a dead caller, and the heap cannot tell them from a live caller's blocks.
 * Blocks carry their owner's tag, checked before every free: a block handed
 * out twice fails there.
 *
 * A lock makes the comparison the test is for (--lock, kill_worker.c): with
 * a plain process-shared mutex around every call, the first victim dies
 * holding it and the survivors are stuck; with a robust mutex, the next
 * process to lock it gets EOWNERDEAD and recovers the heap then and there.
 * --no-recovery skips the heap's recovery: the test must fail on the first
 * death that loses a block.
 *
 * Workers run kill_worker.c, built with the kill points on. The victims'
 * seeds, and so where each dies, come from the test's seed; the survivors'
 * interleaving does not, so a replay repeats the deaths, not every step.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "fds.h"
#include "kill_test.h"
#include "report.h"
#include "shmlab/alloc.h"
#include "shmlab/region.h"

#define SURVIVORS   2
#define SLOTS       MAX_PROCS           // address slots: survivors, prepare, then victims in turn

static const struct { const char *name, *leaves; } site_info[KILL_SITES] = {
	[KILL_POP_READ]     = { "alloc: list head read", "nothing" },
	[KILL_TAKEN]        = { "alloc: block taken off its list, not marked", "1 block on no list" },
	[KILL_MARKED]       = { "alloc: block marked, offset not returned", "1 block handed out to the dead" },
	[KILL_PAGE_COUNTED] = { "claim: page counted, owner not written", "1 page nobody owns" },
	[KILL_PAGE_OWNED]   = { "claim: owner written, nothing listed", "2 blocks on no list" },
	[KILL_PAGE_LISTED]  = { "claim: one block listed, one not marked", "1 block on no list" },
	[KILL_UNMARKED]     = { "free: block unmarked, not listed", "1 block on no list" },
	[KILL_FREED]        = { "free: block listed", "nothing" },
};

struct proc {
	pid_t pid;
	int chan;
};

struct kill_test {
	const char *worker;
	const struct kill_options *o;
	char region[SHMLAB_NAME_MAX];
	struct placement plan;
	int kills, survived, rounds, leaked;
	int died_at[KILL_SITES];
	uint64_t reclaimed_blocks, reclaimed_pages;
	unsigned long long pending_blocks, pending_pages;      // recovered by survivors since the last check
	long survivor_ops[SURVIVORS];
	char problem[600];
};

static int
failed(struct kill_test *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
failed(struct kill_test *t, const char *fmt, ...)
{
	va_list ap;

	if (t->problem[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(t->problem, sizeof t->problem, fmt, ap);
		va_end(ap);
	}
	return -1;
}

// Starts ROLE at address slot `slot`, its channel on descriptor 3, in this
// test's process group, dying with the harness.
static int
spawn(struct kill_test *t, struct proc *p, const char *role, int slot, uint64_t seed)
{
	char at[32], sd[32];
	char *argv[] = { (char *)t->worker, (char *)role, t->region, at, sd, (char *)t->o->lock,
	    t->o->recover ? "1" : "0", NULL };
	int sv[2];
	sigset_t none;

	snprintf(at, sizeof at, "%#lx", (unsigned long)t->plan.at[slot][0]);
	snprintf(sd, sizeof sd, "%llu", (unsigned long long)seed);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return failed(t, "socketpair: %s", strerror(errno));
	if ((p->pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(sv[1], 3);         // the copy is not close-on-exec: the worker's one inheritance
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(t->worker, argv);
		dprintf(3, "fail cannot start %s: %s", t->worker, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	p->chan = sv[0];
	if (p->pid < 0) {
		close(sv[0]);
		return failed(t, "fork: %s", strerror(errno));
	}
	return 0;
}

// Waits (bounded) for p to end; a worker that outlives the bound is killed.
static int
reap(struct kill_test *t, struct proc *p, int *status)
{
	struct timespec end, now, left;
	sigset_t chld;
	pid_t r;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += t->o->step_ms / 1000;
	end.tv_nsec += t->o->step_ms % 1000 * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	while ((r = waitpid(p->pid, status, WNOHANG)) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, status, 0);
			r = -1;
			break;
		}
		sigtimedwait(&chld, NULL, &left);
	}
	close(p->chan);
	p->chan = -1;
	p->pid = 0;
	return r > 0 ? 0 : -1;
}

// The next message from p, or "" when it said nothing within the bound.
static const char *
hear(struct kill_test *t, struct proc *p, char *buf, size_t len)
{
	if (chan_recv(p->chan, buf, len, t->o->step_ms) <= 0)
		buf[0] = '\0';
	return buf;
}

// A recovery's report, with what survivors recovered since the last one,
// against what the death before it leaves (last: the kill site, or
// KILL_SITES when the previous victim survived).
static int
check_recovery(struct kill_test *t, const char *msg, int last)
{
	unsigned long long blocks, pages, allocated;
	unsigned freed;
	unsigned long long want_blocks = last == KILL_TAKEN || last == KILL_PAGE_LISTED || last == KILL_UNMARKED
	    ? 1 : last == KILL_PAGE_OWNED ? SHMLAB_ALLOC_MAX / KILL_CLAIM_SIZE : 0;
	unsigned long long want_pages = last == KILL_PAGE_COUNTED;

	if (sscanf(msg, "checked %llu %llu %u %llu", &blocks, &pages, &freed, &allocated) != 4)
		return failed(t, "round %d: the next process did not recover and check the heap: %s",
		    t->rounds, *msg ? msg : "(no answer within the step bound)");
	blocks += t->pending_blocks;
	pages += t->pending_pages;
	t->pending_blocks = t->pending_pages = 0;
	if (blocks != want_blocks || pages != want_pages)
		return failed(t, "round %d: after a death at \"%s\", recovery found %llu lost blocks and %llu "
		    "ownerless pages; that kill point leaves %s", t->rounds, last < KILL_SITES ? site_info[last].name :
		    "(none: the victim survived)", blocks, pages, last < KILL_SITES ? site_info[last].leaves : "nothing");
	if (allocated != (unsigned long long)t->leaked)
		return failed(t, "round %d: %llu blocks still handed out after recovery; %d victims died holding "
		    "a block they never recorded, and nobody else holds any", t->rounds, allocated, t->leaked);
	t->reclaimed_blocks += blocks;
	t->reclaimed_pages += pages;
	return 0;
}

// Tells the survivors `word` and, for "stop", waits for each one's "done".
static int
tell_survivors(struct kill_test *t, struct proc *s, const char *word, int last)
{
	char msg[CHAN_MSG_MAX];

	for (int i = 0; i < SURVIVORS; i++)
		if (chan_send(s[i].chan, "%s", word) < 0)
			return failed(t, "round %d: survivor %d is gone", t->rounds, i);
	if (strcmp(word, "stop") != 0)
		return 0;
	for (int i = 0; i < SURVIVORS; i++) {
		unsigned long long blocks, pages;
		if (sscanf(hear(t, &s[i], msg, sizeof msg), "done %ld %llu %llu", &t->survivor_ops[i], &blocks,
		    &pages) != 3)
			return failed(t, "round %d: survivor %d did not finish its steps within %d ms after a victim "
			    "died at \"%s\": %s", t->rounds, i, t->o->step_ms,
			    last < KILL_SITES ? site_info[last].name : "(none)",
			    *msg ? msg : strcmp(t->o->lock, "plain") == 0 ? "stuck behind the dead process (a deadlock): "
			    "a plain mutex stays locked when its owner dies" : "stuck behind the dead process (a deadlock)");
		t->pending_blocks += blocks;
		t->pending_pages += pages;
	}
	return 0;
}

// One round: a victim recovers, then dies beside the survivors. Returns the
// kill site, KILL_SITES if it survived, or -1.
static int
round_of(struct kill_test *t, struct proc *s, int last)
{
	uint64_t seed = t->o->seed * 1000003u + (uint64_t)t->rounds;
	char msg[CHAN_MSG_MAX];
	struct proc v;
	int site = -1, status = 0;

	if (spawn(t, &v, "victim", SURVIVORS + 1 + t->rounds % (SLOTS - SURVIVORS - 1), seed) < 0)
		return -1;
	if (check_recovery(t, hear(t, &v, msg, sizeof msg), last) == 0 && chan_send(v.chan, "go") == 0
	    && tell_survivors(t, s, "go", last) == 0) {
		hear(t, &v, msg, sizeof msg);
		if (sscanf(msg, "dying %d", &site) == 1 && site >= 0 && site < KILL_SITES)
			;
		else if (strcmp(msg, "survived") == 0)
			site = KILL_SITES;
		else
			failed(t, "round %d: the victim said \"%s\"", t->rounds, *msg ? msg : "nothing in time");
	}
	if (t->problem[0])
		kill(v.pid, SIGKILL);   // it may be waiting for a word that will not come
	if (reap(t, &v, &status) < 0)
		return failed(t, "round %d: the victim did not end in time", t->rounds);
	if (t->problem[0])
		return -1;
	if (site < KILL_SITES && !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
		return failed(t, "round %d: the victim announced its death at \"%s\" but ended with status %#x",
		    t->rounds, site_info[site].name, (unsigned)status);
	if (site == KILL_SITES && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return failed(t, "round %d: the victim ended with status %#x", t->rounds, (unsigned)status);
	if (site < KILL_SITES) {
		t->kills++;
		t->died_at[site]++;
		t->leaked += site == KILL_MARKED;
	} else {
		t->survived++;
	}
	if (tell_survivors(t, s, "stop", site) < 0)
		return -1;
	return site;
}

static void
progress(const struct kill_test *t, int want, int final)
{
	int tty = isatty(2) && getenv("CI") == NULL;

	if (tty)
		fprintf(stderr, "\rkill test: %d/%d victims killed%s", t->kills, want, final ? "\n" : "");
	else if (final ? t->kills % 100 != 0 : t->kills % 100 == 0)
		fprintf(stderr, "kill test: %d/%d victims killed\n", t->kills, want);
}

// The rounds, between the survivors' start and the last recovery.
static int
rounds(struct kill_test *t)
{
	int want = t->o->kills;
	struct proc s[SURVIVORS] = { 0 }, p;
	char msg[CHAN_MSG_MAX];
	int last = KILL_SITES, status, rc = 0;

	if (spawn(t, &p, "prepare", SURVIVORS, t->o->seed) < 0)
		return -1;
	if (strcmp(hear(t, &p, msg, sizeof msg), "ready") != 0)
		rc = failed(t, "the region could not be prepared: %s", *msg ? msg : "(no answer)");
	if (reap(t, &p, &status) < 0 || rc < 0)
		return failed(t, "the preparing worker did not finish");
	for (int i = 0; i < SURVIVORS && rc == 0; i++)
		rc = spawn(t, &s[i], "survivor", i, t->o->seed + 1 + (uint64_t)i);
	while (rc == 0 && t->kills < want && t->rounds < 2 * want) {
		int site = round_of(t, s, last);
		if (site < 0)
			rc = -1;
		else if (site < KILL_SITES)
			progress(t, want, 0);
		last = site;
		t->rounds++;
	}
	if (rc == 0 && spawn(t, &p, "last", SURVIVORS + 1 + t->rounds % (SLOTS - SURVIVORS - 1), t->o->seed) == 0) {
		rc = check_recovery(t, hear(t, &p, msg, sizeof msg), last);
		if (reap(t, &p, &status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = failed(t, "the last worker did not end cleanly (status %#x)", (unsigned)status);
	}
	for (int i = 0; i < SURVIVORS; i++) {
		if (s[i].pid <= 0)
			continue;
		if (rc < 0)
			kill(s[i].pid, SIGKILL);        // it may be stuck, which is what failed
		shutdown(s[i].chan, SHUT_RDWR);         // the end of its channel is its cue to exit
		if (reap(t, &s[i], &status) < 0 || (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)))
			rc = failed(t, "survivor %d did not end cleanly (status %#x)", i, (unsigned)status);
	}
	progress(t, want, 1);
	return rc;
}

static void
kill_report_json(const struct kill_test *t, const char *path, const char *replay)
{
	json_object *o = json_object_new_object(), *sites = json_object_new_object(), *ops = json_object_new_array();

	for (int k = 0; k < KILL_SITES; k++)
		json_object_object_add(sites, site_info[k].name, json_object_new_int(t->died_at[k]));
	for (int i = 0; i < SURVIVORS; i++)
		json_object_array_add(ops, json_object_new_int64(t->survivor_ops[i]));
	json_object_object_add(o, "test", json_object_new_string("kill"));
	json_object_object_add(o, "result", json_object_new_string(t->problem[0] ? "FAIL" : "PASS"));
	json_object_object_add(o, "seed", json_object_new_uint64(t->o->seed));
	json_object_object_add(o, "lock", json_object_new_string(t->o->lock));
	json_object_object_add(o, "recovery", json_object_new_boolean(t->o->recover));
	json_object_object_add(o, "kills_wanted", json_object_new_int(t->o->kills));
	json_object_object_add(o, "kills", json_object_new_int(t->kills));
	json_object_object_add(o, "survived", json_object_new_int(t->survived));
	json_object_object_add(o, "died_at", sites);
	json_object_object_add(o, "reclaimed_blocks", json_object_new_uint64(t->reclaimed_blocks));
	json_object_object_add(o, "reclaimed_pages", json_object_new_uint64(t->reclaimed_pages));
	json_object_object_add(o, "held_by_the_dead", json_object_new_int(t->leaked));
	json_object_object_add(o, "survivor_steps", ops);
	if (t->problem[0])
		json_object_object_add(o, "problem", json_object_new_string(t->problem));
	json_object_object_add(o, "replay", json_object_new_string(replay));
	if (json_object_to_file_ext(path, o, JSON_C_TO_STRING_PRETTY) < 0)
		fprintf(stderr, "shmlab-harness: cannot write %s\n", path);
	json_object_put(o);
}

static void
kill_report_text(const struct kill_test *t, const char *replay)
{
	printf("kill test, seed %llu, lock %s%s: %d victims killed by SIGKILL inside shmlab_alloc/shmlab_free "
	    "(%d more met no kill point)\n", (unsigned long long)t->o->seed, t->o->lock,
	    t->o->recover ? "" : ", no recovery", t->kills, t->survived);
	for (int k = 0; k < KILL_SITES; k++)
		printf("  %4d died at %-42s leaves %s\n", t->died_at[k], site_info[k].name, site_info[k].leaves);
	printf("recovered: %llu blocks, %llu pages; still handed out to dead victims: %d; survivors' steps: %ld, %ld\n",
	    (unsigned long long)t->reclaimed_blocks, (unsigned long long)t->reclaimed_pages, t->leaked,
	    t->survivor_ops[0], t->survivor_ops[1]);
	if (t->problem[0])
		printf("%sFAIL%s: %s\nread: reference/alloc.c (its essay) and harness/kill_test.c\nreplay: %s\n",
		    report_paint("FAIL"), report_paint("off"), t->problem, replay);
	else
		printf("%sPASS%s: no block lost or handed out twice, no survivor stuck (%d of %d kills)\n",
		    report_paint("PASS"), report_paint("off"), t->kills, t->o->kills);
}

// What the test made must be gone: the region's name, every child, every
// descriptor it opened.
static void
check_leftovers(struct kill_test *t, int fds_before)
{
	int fd = shm_open(t->region, O_RDONLY, 0);

	if (fd >= 0 || errno != ENOENT) {
		failed(t, "leftover: the region's name %s still exists", t->region);
		if (fd >= 0)
			close(fd);
	}
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		failed(t, "leftover: a child process was not reaped");
	if (count_open_fds() != fds_before)
		failed(t, "leftover: the harness holds more descriptors than before the test");
}

int
kill_test(const char *worker, const struct kill_options *o, const char *progname)
{
	static struct kill_test t;
	struct shmlab_region r;
	uint64_t npages = (uint64_t)o->kills / 2 + 192;         // a claim takes a fresh page for good
	uint64_t size = KILL_HEAP_START + (npages + 2) * 65536 + 2 * 1024 * 1024;
	sigset_t chld, old;
	char replay[300], why[160];
	int rc, fds_before = count_open_fds();

	t = (struct kill_test){ .worker = worker, .o = o };
	snprintf(replay, sizeof replay, "%s kill-test --kills %d --seed %llu --lock %s%s", progname, o->kills,
	    (unsigned long long)o->seed, o->lock, o->recover ? "" : " --no-recovery");
	if (access(worker, X_OK) < 0) {
		fprintf(stderr, "shmlab-harness: cannot find %s: build it\n", worker);
		return 2;
	}
	if (choose_addresses(&t.plan, DISTINCT, o->seed, SLOTS, size, 0, why, sizeof why) < 0) {
		fprintf(stderr, "shmlab-harness: %s\n", why);
		return 2;
	}
	if (shmlab_region_random_name(t.region, sizeof t.region) < 0 || shmlab_region_create(&r, t.region, size) < 0) {
		fprintf(stderr, "shmlab-harness: cannot create a region: %s\n", strerror(errno));
		return 2;
	}
	shmlab_region_close(&r);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);    // so reap() can wait for it with sigtimedwait
	rc = rounds(&t);
	sigprocmask(SIG_SETMASK, &old, NULL);
	shmlab_region_unlink(t.region);
	for (int k = 0; k < KILL_SITES && rc == 0 && o->kills >= 100; k++)     // else a window went untested
		if (t.died_at[k] == 0)
			rc = failed(&t, "no victim died at \"%s\"", site_info[k].name);
	check_leftovers(&t, fds_before);
	kill_report_text(&t, replay);
	if (o->json)
		kill_report_json(&t, o->json, replay);
	return rc < 0 || t.problem[0] ? 1 : 0;
}
