/*
 * What a run's facts mean, in words the reports of both harnesses use
 * (report.c): the names of strategies, outcomes and results, what the lesson
 * predicts, where a fault address lies and the command that replays a run;
 * the colours of a verdict; and the command-line words both harnesses parse. Portable C: no
 * system headers beyond the standard library.
 */
#include <inttypes.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "shmlab/contract.h"

int report_color;

const char *
report_paint(const char *what)
{
	static const struct { const char *name, *code; } inks[] = {
		{ "PASS", "\033[32m" }, { "FAIL", "\033[31m" }, { "SIGNALED", "\033[31;1m" },
		{ "HUNG", "\033[35m" }, { "SKIP", "\033[33m" }, { "ERROR", "\033[31;1m" },
		{ "dim", "\033[2m" }, { "off", "\033[0m" },
	};
	if (!report_color)
		return "";
	for (size_t i = 0; i < sizeof inks / sizeof inks[0]; i++)
		if (strcmp(inks[i].name, what) == 0)
			return inks[i].code;
	return "";
}

const char *
strategy_name(enum strategy s)
{
	static const char *names[] = { "distinct", "double", "fork", "same", "kernel" };
	return s < NSTRATEGIES ? names[s] : "?";
}

int
parse_strategy(const char *s, enum strategy *out)
{
	for (int i = 0; i < NSTRATEGIES; i++)
		if (strcmp(s, strategy_name((enum strategy)i)) == 0) {
			*out = (enum strategy)i;
			return 0;
		}
	return -1;
}

int
parse_number(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *s == '-' || *end || end == s || *out > max ? -1 : 0;
}

const char *
outcome_name(enum outcome o)
{
	static const char *names[] = { "PENDING", "PASS", "FAIL", "SIGNALED", "HUNG" };
	return names[o];
}

const char *
result_name(enum result x)
{
	static const char *names[] = { "PASS", "FAIL", "SKIP", "ERROR" };
	return names[x];
}

const char *
expectation(const struct run *r)
{
	if (r->sc->passes_under & ONLY(r->strategy))
		return "pass";
	if ((r->sc->caught_under & ONLY(r->strategy)) && r->procs >= 2)
		return "caught";
	return "depends";
}

// True if every view of every worker that mapped had a base of its own.
static int
bases_all_differ(const struct run *r)
{
	uintptr_t seen[MAX_PROCS * MAX_VIEWS];
	int n = 0;

	for (int i = 0; i < r->procs; i++)
		for (int v = 0; v < r->w[i].nviews; v++) {
			for (int k = 0; k < n; k++)
				if (seen[k] == r->w[i].base[v])
					return 0;
			seen[n++] = r->w[i].base[v];
		}
	return 1;
}

// Caught: the run failed for a reason it names: a worker failed, died of a
// signal or hung, or the run itself left something wrong behind.
static int
caught(const struct run *r)
{
	if (r->result != RESULT_FAIL)
		return 0;
	for (int i = 0; i < r->procs; i++)
		if (r->w[i].outcome == FAIL || r->w[i].outcome == SIGNALED || r->w[i].outcome == HUNG)
			return 1;
	return r->problem[0] != '\0';
}

// A "depends" run whose views all had bases of their own gave the bug
// something to trip on, so it must be caught; where some bases were shared,
// either way is as predicted. A problem of the run itself (a leftover, a
// base the strategy did not promise) is no lesson's catch and no lesson
// predicts it, so it makes any run not as predicted; only a self-test,
// whose subject is the harness's own checks, is caught by one.
enum verdict
verdict_of(const struct run *r)
{
	const char *e = expectation(r);

	if (r->result == RESULT_ERROR)
		return VERDICT_ERROR;
	if (r->problem[0] && !(r->sc->flags & SELFTEST))
		return VERDICT_NOT_AS_PREDICTED;
	if (strcmp(e, "pass") == 0)
		return r->result == RESULT_PASS ? VERDICT_AS_PREDICTED : VERDICT_NOT_AS_PREDICTED;
	if (strcmp(e, "caught") == 0 || bases_all_differ(r))
		return caught(r) ? VERDICT_AS_PREDICTED : VERDICT_NOT_AS_PREDICTED;
	return VERDICT_AS_PREDICTED;
}

const char *
verdict_name(enum verdict v)
{
	return v == VERDICT_AS_PREDICTED ? "as predicted" : v == VERDICT_NOT_AS_PREDICTED ? "not as predicted"
	    : "error";
}

void
where_is(const struct run *r, int i, char *buf, size_t len)
{
	uintptr_t a = r->w[i].fault;

#ifdef SIGBUS
	// A SIGBUS in a view of its own: the page is in the view, not in the file
	// behind it. Checked first, since under `fork` and `same` every view
	// shares worker 0's address.
	for (int v = 0; r->w[i].signo == SIGBUS && v < r->w[i].nviews; v++) {
		uintptr_t b = r->w[i].base[v];
		if (a >= b && a - b < r->sc->region_size) {
			snprintf(buf, len, "inside this worker's own view at offset %#llx, past the file's end: "
			    "the region shrank", (unsigned long long)(a - b));
			return;
		}
	}
#endif
	for (int j = 0; j < r->procs; j++)
		for (int v = 0; v < r->w[j].nviews; v++) {
			uintptr_t b = r->w[j].base[v];
			if (a < b || a - b >= r->sc->region_size)
				continue;
			if (j == i && v == 0 && r->w[i].nviews == 2)
				snprintf(buf, len, "inside this worker's other view (view 0, fenced) at offset %#llx: "
				    "a raw pointer written through that view", (unsigned long long)(a - b));
			else if (j == i)
				snprintf(buf, len, "inside this worker's own view at offset %#llx", (unsigned long long)(a - b));
			else
				snprintf(buf, len, "inside worker %d's view at offset %#llx: an address that only means "
				    "something in worker %d", j, (unsigned long long)(a - b), j);
			return;
		}
	for (int v = 0; v < r->w[i].nviews; v++) {
		uintptr_t end = r->w[i].base[v] + r->sc->region_size;
		if (a >= end && a - end < ((uintptr_t)1 << 30)) {
			snprintf(buf, len, "%#llx bytes past the end of this worker's view: an offset beyond the region",
			    (unsigned long long)(a - end));
			return;
		}
	}
	for (int j = 0; j < r->procs; j++)
		if (a >= r->w[j].heap[0] && a < r->w[j].heap[1]) {
			snprintf(buf, len, "inside worker %d's heap: private memory that no other process can see", j);
			return;
		}
	for (int j = 0; j < r->procs; j++)
		if (j != i && a >= r->w[j].program[0] && a < r->w[j].program[1]) {
			snprintf(buf, len, "inside worker %d's program (its code and data): every process loads "
			    "its program at an address of its own", j);
			return;
		}
	// Lab 06 on Windows: each process's loader places its own copy of a DLL,
	// at the DLL's preferred base only where that range is free.
	for (int j = 0; j < r->procs; j++)
		if (j != i && r->sc->dll && a >= r->w[j].dll[0] && a < r->w[j].dll[1]) {
			snprintf(buf, len, "inside worker %d's copy of %s: every process loads its own copy of a "
			    "DLL, where its own loader puts it", j, r->sc->dll);
			return;
		}
	// Lab 06's other build: a code address from worker 0's build leads
	// anywhere in this one, often near 0; say so, or the fault reads as a
	// NULL pointer of this worker's own making.
	if ((r->sc->flags & OTHER_BUILD) && i % 2 && r->strategy != FORK)
		snprintf(buf, len, "%s, in a worker that runs another build of the program: an address of code "
		    "from worker 0's build names other code here (the handout's \"Another build\")",
		    a < 65536 ? "near address 0" : "outside every view of the region");
	else if (a < 65536)
		snprintf(buf, len, "near address 0: a NULL or tiny pointer");
	else
		snprintf(buf, len, "outside every view of the region: memory private to some process");
}

void
replay_line(char *buf, size_t len, const struct run *r, const char *argv0)
{
	int n = snprintf(buf, len, "%s run %s --procs %d --strategy %s --seed %" PRIu64, argv0,
	    r->sc->name, r->procs, strategy_name(r->strategy), r->seed);

	if ((r->sc->flags & CONTRACT) && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " --impl %s", r->impl);
	if ((r->sc->flags & MIXED_ABI) && r->other_abi != OTHER_ABI_AUTO && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " --other-abi %s", r->other_abi == OTHER_ABI_WIN64 ? "win64" : "i386");
}

const struct feature_name feature_names[NFEATURES] = {
	{ SHMLAB_FEATURE_HANDLES, "handles" }, { SHMLAB_FEATURE_GLOBAL_IDS, "global-ids" },
	{ SHMLAB_FEATURE_SYNC, "sync" },
};

const char *
feature_list(unsigned mask, char *buf, size_t len)
{
	unsigned known = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NFEATURES; i++) {
		known |= feature_names[i].bit;
		if (mask & feature_names[i].bit)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? ", " : "", feature_names[i].name);
	}
	if (mask & ~known)
		snprintf(buf + strlen(buf), len - strlen(buf), "%sunknown (%#x)", buf[0] ? ", " : "", mask);
	return buf;
}
