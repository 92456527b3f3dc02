/*
 * A run, on either system: start the workers of one scenario, drive them
 * through its phases, account for every process, and judge.
 *
 *   1. create the region under a fresh unguessable name (platform_begin);
 *   2. start each worker (under `fork`: only worker 0, which forks the others
 *      after it has prepared), each with its own channel;
 *   3. wait until worker 0 has mapped, tell it to prepare;
 *   4. wait until every worker has mapped, let the region's name go (every
 *      worker holds the region now, so nothing can leak), check the bases;
 *   5. tell every worker to run, then worker 0 to verify if the scenario
 *      has a verification;
 *   6. tell everyone to quit and wait for every process; on the deadline,
 *      kill them all at once, and wait again, bounded;
 *   7. check that nothing is left, and judge.
 *
 * The order and the meaning of every message are here; how a process is
 * started, waited for and killed is the platform half's (platform.h). Every
 * wait is bounded by the run's one deadline: a wait is a loop over
 * platform_wait(), each call bounded by the time left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

enum stage { MAPPED, PREPARED, FINISHED, VERIFIED, REAPED };

static long long deadline;               // platform_clock_ms()
static long stray_pid[MAX_PROCS];       // reaped before they said who they were
static int stray_status[MAX_PROCS], nstray;

static int
ms_left(void)
{
	long long ms = deadline - platform_clock_ms();

	return ms < 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

void
run_problem(struct run *r, const char *what)
{
	size_t n = strlen(r->problem);

	snprintf(r->problem + n, sizeof r->problem - n, "%s%s", n ? "; " : "", what);
}

static void
note_exit(struct worker_record *w, int status)
{
	w->reaped = 1;
	w->status = status;
}

void
run_reaped(struct run *r, long pid, int status)
{
	for (int i = 0; i < r->procs; i++)
		if (r->w[i].pid == pid) {
			note_exit(&r->w[i], status);
			return;
		}
	if (nstray < MAX_PROCS) {
		stray_pid[nstray] = pid;
		stray_status[nstray++] = status;
	}
}

// "mapped PID ABI BASE [BASE]": who the worker is and where its views are.
static void
heard_mapped(struct run *r, int i, long long pid, int abi, unsigned long long b0, unsigned long long b1)
{
	struct worker_record *w = &r->w[i];

	if (!windows_reader(r, i))      // whose pid is Windows', not the kernel's
		w->pid = (long)pid;
	w->abi = abi;
	w->base[0] = (uintptr_t)b0;
	w->base[1] = (uintptr_t)b1;
	w->nviews = b1 ? 2 : 1;
	w->mapped = 1;
	for (int k = 0; k < nstray; k++)
		if (stray_pid[k] == w->pid)
			note_exit(w, stray_status[k]);
}

// "signal N ADDR": the worker caught a fault and is about to die of it. Lab
// 01's Windows reader on POSIX sends its exception code instead, and its
// death is Wine's exit, not a signal: it fails with the code as its message.
static void
heard_signal(struct run *r, int i, unsigned long cause, unsigned long long addr)
{
	struct worker_record *w = &r->w[i];

	if (windows_reader(r, i)) {
		w->finished = 1;
		w->outcome = FAIL;
		snprintf(w->message, sizeof w->message, "Windows exception %#lx at %#llx", cause, addr);
		return;
	}
	w->signo = (int)cause;
	w->fault = (uintptr_t)addr;
	w->has_fault = 1;
}

static void
fail_with(struct worker_record *w, const char *message)
{
	w->finished = 1;
	w->outcome = FAIL;
	snprintf(w->message, sizeof w->message, "%.300s", message);
}

void
run_heard(struct run *r, int i, const char *msg)
{
	struct worker_record *w = &r->w[i];
	struct wire_msg m;

	w->heard = 1;
	wire_parse(msg, WIRE_FROM_WORKER, &m);     // else m.word is WIRE_WORDS: the last case
	switch (m.word) {
	case WIRE_MAPPED:
		heard_mapped(r, i, (long long)m.num[0], (int)m.num[1], m.num[2], m.nums > 3 ? m.num[3] : 0);
		break;
	case WIRE_OK:
		w->heap[0] = (uintptr_t)m.num[0];
		w->heap[1] = (uintptr_t)m.num[1];
		w->program[0] = (uintptr_t)m.num[2];
		w->program[1] = (uintptr_t)m.num[3];
		w->dll[0] = m.nums > 4 ? (uintptr_t)m.num[4] : 0;
		w->dll[1] = m.nums > 5 ? (uintptr_t)m.num[5] : 0;
		w->prepared = 1;
		break;
	case WIRE_PASS:
		w->finished = 1;
		w->outcome = PASS;
		break;
	case WIRE_VERIFIED:
		w->verified = 1;
		break;
	case WIRE_SIGNAL:
	case WIRE_EXCEPTION:
		heard_signal(r, i, (unsigned long)m.num[0], m.num[1]);
		break;
	case WIRE_NOSTART:
		fail_with(w, m.text);
		w->nostart = 1;
		if (!r->harness_fault) {        // the first worker's reason stands for all
			char what[sizeof r->problem];
			snprintf(what, sizeof what, "worker %d could not be started: %s", i, m.text);
			run_problem(r, what);
		}
		r->harness_fault = 1;
		break;
	case WIRE_FAIL:
	case WIRE_ERROR:
		fail_with(w, m.text);
		break;
	default:
		run_problem(r, "a worker sent a message the harness does not know");
	}
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
	for (;;) {
		int all = 1, left, got;
		for (int i = first; i < last; i++)
			all &= settled(&r->w[i], s);
		if (all)
			return 0;
		if ((left = ms_left()) <= 0)
			return -1;
		if ((got = platform_wait(r, left)) != 0)
			return got > 0 ? 0 : -1;
	}
}

// Sends word to every worker still waiting for one; `quit` goes to all.
static void
tell_all(struct run *r, enum wire_word word)
{
	for (int i = 0; i < r->procs; i++)
		if (r->w[i].chan >= 0 && (r->w[i].outcome == PENDING || word == WIRE_QUIT))
			platform_send(r, i, word);
}

// Worker i's view v shares its base with an earlier view, where the
// strategy promises distinct ones.
static int
shares_base(const struct run *r, int i, int v, int *with)
{
	for (int j = 0; j <= i; j++)
		for (int u = 0; u < r->w[j].nviews; u++)
			if (!(j == i && u >= v) && r->w[j].base[u] == r->w[i].base[v]) {
				*with = j;
				return r->strategy == DISTINCT || r->strategy == DOUBLE;
			}
	return 0;
}

// The bases must be what the plan asked for, and as different (or as equal)
// as the strategy promises. Returns the number of problems found.
static int
check_bases(struct run *r)
{
	char what[200];
	int j, n = 0;

	for (int i = 0; i < r->procs; i++)
		for (int v = 0; v < r->w[i].nviews; v++) {
			unsigned long long want = r->plan.at[i][v], got = r->w[i].base[v];
			if (want && got != want) {
				snprintf(what, sizeof what, "worker %d asked for %#llx and got %#llx", i, want, got);
				run_problem(r, what);
				n++;
			}
			if (shares_base(r, i, v, &j)) {
				snprintf(what, sizeof what, "workers %d and %d share base %#llx", j, i, got);
				run_problem(r, what);
				n++;
			}
		}
	return n;
}

// The first worker that could not be started, named with its cause, as the
// reason the others were not told to run (their bases were never wrong).
static const char *
unstarted(const struct run *r)
{
	static char why[sizeof r->w[0].message];  // becomes the others' message

	for (int i = 0; i < r->procs; i++)
		if (r->w[i].nostart) {
			snprintf(why, sizeof why, "not run: worker %d could not be started: %.200s", i, r->w[i].message);
			return why;
		}
	return NULL;
}

// Ends every process of the run: all killed at once, then waited for,
// bounded: a kill cannot be refused.
static void
finish(struct run *r)
{
	if (pump(r, 0, r->procs, REAPED) == 0)
		return;
	for (int i = 0; i < r->procs; i++)
		if (!r->w[i].reaped && (!r->w[i].finished || (i == 0 && r->sc->verify && !r->w[i].verified)))
			r->w[i].killed = 1;
	platform_kill_all(r);
	deadline = platform_clock_ms() + 5000;
	pump(r, 0, r->procs, REAPED);
}

static void
judge_worker(struct run *r, struct worker_record *w, const char *not_run)
{
	int cause;

	if (w->killed) {
		w->outcome = HUNG;
		snprintf(w->message, sizeof w->message, "still running after %d ms: killed with %s",
		    r->timeout_ms, platform_killer);
	} else if (w->reaped && platform_died_of_fault(w->status, &cause)) {
		w->outcome = SIGNALED;
		w->signo = cause;
	} else if (w->outcome == PASS && !(w->reaped && platform_exited_cleanly(w->status))) {
		w->outcome = FAIL;
		snprintf(w->message, sizeof w->message, "reported pass, then did not exit cleanly");
	} else if (w->outcome == PENDING) {
		w->outcome = FAIL;
		snprintf(w->message, sizeof w->message, "%s", w->pid == 0 ? "never started (the run: line says why)"
		    : !w->mapped ? "ended before it mapped the region"
		    : not_run ? not_run : "ended without reporting a result");
	}
}

static void
judge(struct run *r, const char *not_run)
{
	r->result = r->problem[0] ? RESULT_FAIL : RESULT_PASS;
	for (int i = 0; i < r->procs; i++) {
		judge_worker(r, &r->w[i], not_run);
		if (r->w[i].outcome != PASS)
			r->result = RESULT_FAIL;
	}
	if (r->harness_fault)
		r->result = RESULT_ERROR;
}

// The phases of a run whose workers have started; returns why the others did
// not run, or NULL.
static const char *
drive(struct run *r)
{
	const char *why;
	int first_wave = r->strategy == FORK ? 1 : r->procs;

	if (pump(r, 0, first_wave, MAPPED) < 0)
		return "timed out while mapping";
	if (!r->w[0].mapped)
		return "not run: worker 0 could not map the region";
	platform_send(r, 0, WIRE_PREPARE);
	if (pump(r, 0, 1, PREPARED) < 0)
		return "not run: worker 0 did not finish preparing";
	if (!r->w[0].prepared)
		return "not run: worker 0 failed while preparing";
	if (pump(r, 0, r->procs, MAPPED) < 0)
		return "timed out while mapping";
	platform_release_region(r);
	if (check_bases(r) > 0)
		return "not run: the bases were wrong";
	if ((why = unstarted(r)) != NULL)
		return why;
	if (r->problem[0])
		return "not run: the run failed before its workers ran (its run: line says why)";
	tell_all(r, WIRE_RUN);
	if (pump(r, 0, r->procs, FINISHED) < 0)
		return NULL;                    // a worker still running at the deadline is HUNG
	if (r->sc->verify && r->w[0].outcome == PASS) {
		platform_send(r, 0, WIRE_VERIFY);
		pump(r, 0, 1, VERIFIED);
	}
	return NULL;
}

void
supervise(struct run *r)
{
	const char *not_run;

	nstray = 0;
	r->problem[0] = '\0';
	r->harness_fault = 0;
	for (int i = 0; i < r->procs; i++)
		r->w[i] = (struct worker_record){ .chan = -1 };
	if (platform_begin(r) < 0) {
		r->result = RESULT_ERROR;
		return;
	}
	deadline = platform_clock_ms() + r->timeout_ms;
	not_run = platform_start_all(r) < 0 ? "not run: the harness could not start every worker (its run: line says why)"
	    : drive(r);
	tell_all(r, WIRE_QUIT);
	platform_release_region(r);
	finish(r);
	platform_end(r);
	judge(r, not_run);
}
