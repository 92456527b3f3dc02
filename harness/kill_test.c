/*
 * The kill test: processes killed inside shmlab_alloc() and shmlab_free(),
 * one after another, while others go on allocating beside them. Its rounds
 * and its judgement are here, the same on POSIX (victims die of SIGKILL)
 * and on Windows (TerminateProcess); the processes are kill_procs.h's.
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
 * A lock makes the comparison the test is for (--lock, kill_worker.c): a
 * lock that a dead owner leaves held (a plain mutex; on Windows a
 * semaphore) leaves the survivors stuck behind the first victim; a lock
 * that tells its next owner (a robust mutex's EOWNERDEAD, a Windows mutex's
 * WAIT_ABANDONED) lets that owner recover the heap then and there, and must
 * have told one owner of every death, all of which happen inside the lock.
 * --no-recovery skips the heap's recovery: the test must fail on the first
 * death that loses a block.
 *
 * The victims' seeds, and so where each dies, come from the test's seed; the
 * survivors' interleaving does not, so a replay repeats the deaths, not
 * every step.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "kill_procs.h"
#include "report.h"
#include "shmlab/alloc.h"

const struct kill_site_info kill_sites[KILL_SITES] = {
	[KILL_POP_READ]     = { "alloc: list head read", "nothing" },
	[KILL_TAKEN]        = { "alloc: block taken off its list, not marked", "1 block on no list" },
	[KILL_MARKED]       = { "alloc: block marked, offset not returned", "1 block handed out to the dead" },
	[KILL_PAGE_COUNTED] = { "claim: page counted, owner not written", "1 page nobody owns" },
	[KILL_PAGE_OWNED]   = { "claim: owner written, nothing listed", "2 blocks on no list" },
	[KILL_PAGE_LISTED]  = { "claim: one block listed, one not marked", "1 block on no list" },
	[KILL_UNMARKED]     = { "free: block unmarked, not listed", "1 block on no list" },
	[KILL_FREED]        = { "free: block listed", "nothing" },
};

int
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

// The next message from process p, or "" when it said nothing within the
// step bound.
static const char *
hear(struct kill_test *t, int p, char *buf, size_t len)
{
	if (chan_recv(proc_chan(p), buf, len, t->o->step_ms) <= 0)
		buf[0] = '\0';
	return buf;
}

static const char *
site_name(int site)
{
	return site < KILL_SITES ? kill_sites[site].name : "(none: the victim survived)";
}

// A recovery's report, with what survivors recovered since the last one,
// against what the death before it leaves (last: the kill site, or
// KILL_SITES when the previous victim survived).
static int
check_recovery(struct kill_test *t, const char *msg, int last)
{
	unsigned long long blocks, pages, allocated;
	unsigned freed;
	int told;
	unsigned long long want_blocks = last == KILL_TAKEN || last == KILL_PAGE_LISTED || last == KILL_UNMARKED
	    ? 1 : last == KILL_PAGE_OWNED ? SHMLAB_ALLOC_MAX / KILL_CLAIM_SIZE : 0;
	unsigned long long want_pages = last == KILL_PAGE_COUNTED;

	if (sscanf(msg, "checked %llu %llu %u %llu %d", &blocks, &pages, &freed, &allocated, &told) != 5)
		return failed(t, "round %d: the next process did not recover and check the heap: %s",
		    t->rounds, *msg ? msg : "(no answer within the step bound)");
	blocks += t->pending_blocks;
	pages += t->pending_pages;
	t->pending_blocks = t->pending_pages = 0;
	t->owner_died += told;
	if (blocks != want_blocks || pages != want_pages)
		return failed(t, "round %d: after a death at \"%s\", recovery found %llu lost blocks and %llu "
		    "ownerless pages; that kill point leaves %s", t->rounds, site_name(last), blocks, pages,
		    last < KILL_SITES ? kill_sites[last].leaves : "nothing");
	if (allocated != (unsigned long long)t->leaked)
		return failed(t, "round %d: %llu blocks still handed out after recovery; %d victims died holding "
		    "a block they never recorded, and nobody else holds any", t->rounds, allocated, t->leaked);
	t->reclaimed_blocks += blocks;
	t->reclaimed_pages += pages;
	return 0;
}

// Tells the survivors `word` and, for "stop", waits for each one's "done".
static int
tell_survivors(struct kill_test *t, const char *word, int last)
{
	const char *held = t->o->lock->held;
	char msg[CHAN_MSG_MAX];

	for (int i = 0; i < SURVIVORS; i++)
		if (chan_send(proc_chan(i), "%s", word) < 0)
			return failed(t, "round %d: survivor %d is gone", t->rounds, i);
	if (strcmp(word, "stop") != 0)
		return 0;
	for (int i = 0; i < SURVIVORS; i++) {
		unsigned long long blocks, pages;
		int told;
		if (sscanf(hear(t, i, msg, sizeof msg), "done %ld %llu %llu %d", &t->survivor_ops[i], &blocks,
		    &pages, &told) != 4)
			return failed(t, "round %d: survivor %d did not finish its steps within %d ms after a victim "
			    "died at \"%s\": %s%s%s", t->rounds, i, t->o->step_ms, last < KILL_SITES ? site_name(last)
			    : "(none)", *msg ? msg : "stuck behind the dead process (a deadlock)", held && !*msg ? ": "
			    : "", held && !*msg ? held : "");
		t->pending_blocks += blocks;
		t->pending_pages += pages;
		t->owner_died += told;
	}
	return 0;
}

// What the victim said after "go": the site it dies at, KILL_SITES if it
// survived, or -1.
static int
victim_said(struct kill_test *t, const char *msg)
{
	int site;

	if (sscanf(msg, "dying %d", &site) == 1 && site >= 0 && site < KILL_SITES)
		return site;
	if (strcmp(msg, "survived") == 0)
		return KILL_SITES;
	return failed(t, "round %d: the victim said \"%s\"", t->rounds, *msg ? msg : "nothing in time");
}

// One round: a victim recovers, then dies beside the survivors. Returns the
// kill site, KILL_SITES if it survived, or -1.
static int
round_of(struct kill_test *t, int last)
{
	uint64_t seed = t->o->seed * 1000003u + (uint64_t)t->rounds;
	char msg[CHAN_MSG_MAX];
	int site = -1;
	unsigned status;
	enum ending e;

	if (proc_start(t, VICTIM, "victim", SURVIVORS + 1 + t->rounds % (SLOTS - SURVIVORS - 1), seed) < 0)
		return -1;
	if (check_recovery(t, hear(t, VICTIM, msg, sizeof msg), last) == 0
	    && chan_send(proc_chan(VICTIM), "go") == 0 && tell_survivors(t, "go", last) == 0)
		site = victim_said(t, hear(t, VICTIM, msg, sizeof msg));
	e = proc_end(t, VICTIM, t->problem[0] != '\0', &status);       // it may wait for a word that will not come
	if (e == NOT_ENDED)
		return failed(t, "round %d: the victim did not end in time", t->rounds);
	if (t->problem[0])
		return -1;
	if (site < KILL_SITES && e != ENDED_AT_KILL_POINT)
		return failed(t, "round %d: the victim announced its death at \"%s\" but ended with status %#x",
		    t->rounds, site_name(site), status);
	if (site == KILL_SITES && e != ENDED_CLEAN)
		return failed(t, "round %d: the victim ended with status %#x", t->rounds, status);
	if (site < KILL_SITES) {
		t->kills++;
		t->died_at[site]++;
		t->leaked += site == KILL_MARKED;
	} else {
		t->survived++;
	}
	if (tell_survivors(t, "stop", site) < 0)
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

// The survivors' end: a stuck one is killed, which is what failed.
static int
end_survivors(struct kill_test *t, int rc)
{
	unsigned status;

	for (int i = 0; i < SURVIVORS; i++) {
		enum ending e;
		if (!proc_started(i))
			continue;
		e = proc_end(t, i, rc < 0, &status);
		if (e == NOT_ENDED || (rc == 0 && e != ENDED_CLEAN))
			rc = failed(t, "survivor %d did not end cleanly (status %#x)", i, status);
	}
	return rc;
}

// The rounds, between the survivors' start and the last recovery.
static int
rounds(struct kill_test *t)
{
	int want = t->o->kills, last = KILL_SITES, rc = 0;
	char msg[CHAN_MSG_MAX];
	unsigned status;

	if (proc_start(t, VICTIM, "prepare", SURVIVORS, t->o->seed) < 0)
		return -1;
	if (strcmp(hear(t, VICTIM, msg, sizeof msg), "ready") != 0)
		rc = failed(t, "the region could not be prepared: %s", *msg ? msg : "(no answer)");
	if (proc_end(t, VICTIM, rc < 0, &status) != ENDED_CLEAN || rc < 0)
		return failed(t, "the preparing worker did not finish");
	for (int i = 0; i < SURVIVORS && rc == 0; i++)
		rc = proc_start(t, i, "survivor", i, t->o->seed + 1 + (uint64_t)i);
	while (rc == 0 && t->kills < want && t->rounds < 2 * want) {
		int site = round_of(t, last);
		if (site < 0)
			rc = -1;
		else if (site < KILL_SITES)
			progress(t, want, 0);
		last = site;
		t->rounds++;
	}
	if (rc == 0 && proc_start(t, VICTIM, "last", SURVIVORS + 1 + t->rounds % (SLOTS - SURVIVORS - 1),
	    t->o->seed) == 0) {
		rc = check_recovery(t, hear(t, VICTIM, msg, sizeof msg), last);
		if (proc_end(t, VICTIM, rc < 0, &status) != ENDED_CLEAN && rc == 0)
			rc = failed(t, "the last worker did not end cleanly (status %#x)", status);
	}
	rc = end_survivors(t, rc);
	progress(t, want, 1);
	return rc;
}

// What a whole run must show besides each round: every kill point reached
// (in 100 kills or more, else a window went untested), and a lock that
// reports its owner's death reporting every one, since every death is
// inside the lock.
static void
check_totals(struct kill_test *t)
{
	for (int k = 0; k < KILL_SITES && t->o->kills >= 100; k++)
		if (t->died_at[k] == 0)
			failed(t, "no victim died at \"%s\"", kill_sites[k].name);
	if (t->o->lock->owner_died && t->owner_died != t->kills)
		failed(t, "%d victims died holding the lock, but %d times did its next owner get %s", t->kills,
		    t->owner_died, t->o->lock->owner_died);
}

static void
kill_report_text(const struct kill_test *t, const char *replay)
{
	const struct kill_lock *lock = t->o->lock;

	printf("kill test, seed %llu, lock %s%s: %d victims killed by %s inside shmlab_alloc/shmlab_free "
	    "(%d more met no kill point)\n", (unsigned long long)t->o->seed, lock->name,
	    t->o->recover ? "" : ", no recovery", t->kills, kill_death, t->survived);
	for (int k = 0; k < KILL_SITES; k++)
		printf("  %4d died at %-42s leaves %s\n", t->died_at[k], kill_sites[k].name, kill_sites[k].leaves);
	printf("recovered: %llu blocks, %llu pages; still handed out to dead victims: %d; survivors' steps: %ld, %ld\n",
	    (unsigned long long)t->reclaimed_blocks, (unsigned long long)t->reclaimed_pages, t->leaked,
	    t->survivor_ops[0], t->survivor_ops[1]);
	if (lock->owner_died)
		printf("the lock's next owner got %s and recovered the heap: %d times\n", lock->owner_died,
		    t->owner_died);
	if (t->problem[0])
		printf("%sFAIL%s: %s\nread: reference/alloc.c (its essay) and harness/kill_test.c\nreplay: %s\n",
		    report_paint("FAIL"), report_paint("off"), t->problem, replay);
	else
		printf("%sPASS%s: no block lost or handed out twice, no survivor stuck (%d of %d kills)\n",
		    report_paint("PASS"), report_paint("off"), t->kills, t->o->kills);
}

// The JSON report, with the same fields on every system but "platform".
// Returns 0, or -1 if path cannot be written.
static int
kill_report_json(const struct kill_test *t, const char *path, const char *replay)
{
	FILE *f = fopen(path, "w");
	struct json j;

	if (f == NULL)
		return -1;
	json_begin(&j, f, 1);
	json_open_object(&j);
	json_key(&j, "test"), json_string(&j, "kill");
	json_key(&j, "platform"), json_string(&j, kill_platform);
	json_key(&j, "result"), json_string(&j, t->problem[0] ? "FAIL" : "PASS");
	json_key(&j, "seed"), json_uint(&j, t->o->seed);
	json_key(&j, "lock"), json_string(&j, t->o->lock->name);
	json_key(&j, "recovery"), json_bool(&j, t->o->recover);
	json_key(&j, "kills_wanted"), json_int(&j, t->o->kills);
	json_key(&j, "kills"), json_int(&j, t->kills);
	json_key(&j, "survived"), json_int(&j, t->survived);
	json_key(&j, "died_at"), json_open_object(&j);
	for (int k = 0; k < KILL_SITES; k++)
		json_key(&j, kill_sites[k].name), json_int(&j, t->died_at[k]);
	json_close_object(&j);
	json_key(&j, "reclaimed_blocks"), json_uint(&j, t->reclaimed_blocks);
	json_key(&j, "reclaimed_pages"), json_uint(&j, t->reclaimed_pages);
	json_key(&j, "held_by_the_dead"), json_int(&j, t->leaked);
	json_key(&j, "owner_died"), json_int(&j, t->owner_died);
	json_key(&j, "survivor_steps"), json_open_array(&j);
	for (int i = 0; i < SURVIVORS; i++)
		json_int(&j, t->survivor_ops[i]);
	json_close_array(&j);
	if (t->problem[0])
		json_key(&j, "problem"), json_string(&j, t->problem);
	json_key(&j, "replay"), json_string(&j, replay);
	json_close_object(&j);
	return json_end(&j) | fclose(f) ? -1 : 0;
}

int
kill_test(const char *worker, const struct kill_options *o, const char *progname)
{
	static struct kill_test t;
	uint64_t npages = (uint64_t)o->kills / 2 + 192;         // a claim takes a fresh page for good
	uint64_t size = KILL_HEAP_START + (npages + 2) * 65536 + 2 * 1024 * 1024;
	char replay[300], why[160];
	int rc;

	t = (struct kill_test){ .worker = worker, .o = o };
	snprintf(replay, sizeof replay, "%s kill-test --kills %d --seed %llu --lock %s%s", progname, o->kills,
	    (unsigned long long)o->seed, o->lock->name, o->recover ? "" : " --no-recovery");
	if (access(worker, F_OK) < 0) {
		fprintf(stderr, "shmlab-harness: cannot find %s: build it\n", worker);
		return 2;
	}
	if (procs_setup(&t, size, why, sizeof why) < 0) {
		fprintf(stderr, "shmlab-harness: %s\n", why);
		return 2;
	}
	rc = rounds(&t);
	procs_teardown(&t);
	if (rc == 0)
		check_totals(&t);
	kill_report_text(&t, replay);
	if (o->json && kill_report_json(&t, o->json, replay) < 0)
		fprintf(stderr, "shmlab-harness: cannot write %s\n", o->json);
	return rc < 0 || t.problem[0] ? 1 : 0;
}

int
kill_parse(int argc, char **argv, struct kill_options *o)
{
	static const struct option opts[] = {
		{ "kills", 1, 0, 'k' }, { "seed", 1, 0, 's' }, { "json", 1, 0, 'j' }, { "lock", 1, 0, 'l' },
		{ "no-recovery", 0, 0, 'n' }, { "timeout-ms", 1, 0, 't' }, { 0, 0, 0, 0 } };
	int c;

	*o = (struct kill_options){ .kills = 1000, .seed = o->seed, .step_ms = 10000, .lock = &kill_locks[0],
	    .recover = 1 };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const struct kill_lock *l = kill_locks;
		if (c == 'k' && (o->kills = atoi(optarg)) > 0)
			continue;
		if (c == 't' && (o->step_ms = atoi(optarg)) > 0)
			continue;
		if (c == 'l') {
			while (l->name && strcmp(l->name, optarg) != 0)
				l++;
			if (l->name == NULL)
				return -1;
			o->lock = l;
		} else if (c == 's') {
			o->seed = strtoull(optarg, NULL, 0);
		} else if (c == 'j') {
			o->json = optarg;
		} else if (c == 'n') {
			o->recover = 0;
		} else {
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}
