/*
 * Reports of a run. The text page is for a learner at a terminal: one line a
 * worker, the base it used, what became of it, and where a fault landed,
 * since the fault address is the lesson (it is an address that was valid in
 * some other view). The JSON holds the same facts for the test suite; the SVG
 * draws them for the slides.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static const char *
signame(int sig)
{
	static char buf[16];
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, sizeof buf, "SIG%s", abbrev);
	else
		snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}

static void
text_worker(FILE *out, const struct run *r, int i)
{
	const struct worker_record *w = &r->w[i];
	char where[200];

	char abi[16];

	if (windows_reader(r, i))
		snprintf(abi, sizeof abi, "Win64");
	else
		snprintf(abi, sizeof abi, "%d-bit", w->abi ? w->abi : 64);
	fprintf(out, "  worker %d  pid %-7ld %6s  base", i, (long)w->pid, abi);
	if (w->nviews == 0)
		fprintf(out, " %14s", "(not mapped)");
	for (int v = 0; v < w->nviews; v++)
		fprintf(out, " %#14lx", (unsigned long)w->base[v]);
	fprintf(out, "  %s%s%s", report_paint(outcome_name(w->outcome)), outcome_name(w->outcome), report_paint("off"));
	if (w->outcome == SIGNALED)
		fprintf(out, " %s", signame(w->signo));
	if (w->outcome == SIGNALED && w->has_fault) {
		where_is(r, i, where, sizeof where);
		fprintf(out, " at %#lx\n      %s%s%s", (unsigned long)w->fault, report_paint("dim"), where, report_paint("off"));
	}
	if (w->message[0])
		fprintf(out, "\n      %s", w->message);
	fputc('\n', out);
}

void
report_text(FILE *out, const struct run *r, const char *argv0)
{
	char replay[600];

	fprintf(out, "%s  strategy %s  procs %d  seed %" PRIu64 "\n", r->sc->name,
	    strategy_name(r->strategy), r->procs, r->seed);
	if ((r->sc->flags & OTHER_BUILD) && r->strategy != FORK)
		fprintf(out, "  %srandomization off; odd workers run shmlab-worker-other, another build%s\n",
		    report_paint("dim"), report_paint("off"));
	if ((r->sc->flags & MIXED_ABI) && r->strategy != FORK && r->procs > 1)
		fprintf(out, "  %sodd workers: %s%s\n", report_paint("dim"), r->other_abi == OTHER_ABI_WIN64
		    ? "x86-64 Windows programs under Wine (LLP64: long is 4 bytes), mapping the region's file "
		    "through Z:" : "i386 Linux programs (ILP32: long and pointers are 4 bytes)", report_paint("off"));
	if (REGION_IS_MEMFD(r->sc))
		fprintf(out, "  %sregion: a memfd, passed to each worker as a descriptor; %s%s\n", report_paint("dim"),
		    r->sc->flags & SEALED_REGION ? "sealed against shrink and grow" : "not sealed", report_paint("off"));
	for (int i = 0; i < r->procs; i++)
		text_worker(out, r, i);
	if (r->problem[0])
		fprintf(out, "  run: %s\n", r->problem);
	fprintf(out, "result: %s%s%s  (%s: %s)\n", report_paint(result_name(r->result)), result_name(r->result),
	    report_paint("off"), r->sc->flags & CONTRACT ? "the contract requires" : "the lesson predicts", expectation(r));
	if (verdict_of(r) == VERDICT_NOT_AS_PREDICTED)
		fprintf(out, "%sNOT as predicted%s\n", report_paint("FAIL"), report_paint("off"));
	replay_line(replay, sizeof replay, r, argv0);
	fprintf(out, "%sreplay: %s%s\n", report_paint("dim"), replay, report_paint("off"));
	if (r->result != RESULT_PASS && r->sc->handout)
		fprintf(out, "%sread: %s%s\n", report_paint("dim"), r->sc->handout, report_paint("off"));
}

static json_object *
hex(uintptr_t a)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%#lx", (unsigned long)a);
	return json_object_new_string(buf);
}

static json_object *
json_worker(const struct run *r, int i)
{
	const struct worker_record *w = &r->w[i];
	json_object *o = json_object_new_object(), *bases = json_object_new_array(), *asked = json_object_new_array();
	char where[200];

	for (int v = 0; v < w->nviews; v++)
		json_object_array_add(bases, hex(w->base[v]));
	for (int v = 0; v < r->plan.views; v++)
		json_object_array_add(asked, r->plan.at[i][v] ? hex(r->plan.at[i][v]) : NULL);
	json_object_object_add(o, "index", json_object_new_int(i));
	json_object_object_add(o, "pid", json_object_new_int64(w->pid));
	json_object_object_add(o, "abi", json_object_new_int(w->abi));
	json_object_object_add(o, "data_model", json_object_new_string(windows_reader(r, i) ? "LLP64"
	    : w->abi == 32 ? "ILP32" : "LP64"));
	json_object_object_add(o, "platform", json_object_new_string(windows_reader(r, i) ? "windows" : "linux"));
	json_object_object_add(o, "base", w->nviews ? hex(w->base[0]) : NULL);
	json_object_object_add(o, "bases", bases);
	json_object_object_add(o, "requested", asked);
	json_object_object_add(o, "outcome", json_object_new_string(outcome_name(w->outcome)));
	json_object_object_add(o, "signal", w->outcome == SIGNALED ? json_object_new_string(signame(w->signo)) : NULL);
	json_object_object_add(o, "fault_address", w->outcome == SIGNALED && w->has_fault ? hex(w->fault) : NULL);
	if (w->outcome == SIGNALED && w->has_fault)
		where_is(r, i, where, sizeof where);
	json_object_object_add(o, "fault_where", w->outcome == SIGNALED && w->has_fault
	    ? json_object_new_string(where) : NULL);
	json_object_object_add(o, "message", json_object_new_string(w->message));
	return o;
}

int
report_json(const char *path, const struct run *r, const char *argv0)
{
	json_object *o = json_object_new_object(), *ws = json_object_new_array(), *region = json_object_new_object();
	char replay[600];
	int rc;

	replay_line(replay, sizeof replay, r, argv0);
	json_object_object_add(region, "name", json_object_new_string(r->region));
	json_object_object_add(region, "size", json_object_new_uint64(r->sc->region_size));
	json_object_object_add(region, "kind", json_object_new_string(REGION_IS_MEMFD(r->sc) ? "memfd" : "shm"));
	json_object_object_add(region, "sealed", json_object_new_boolean(r->sc->flags & SEALED_REGION));
	for (int i = 0; i < r->procs; i++)
		json_object_array_add(ws, json_worker(r, i));
	json_object_object_add(o, "scenario", json_object_new_string(r->sc->name));
	json_object_object_add(o, "strategy", json_object_new_string(strategy_name(r->strategy)));
	json_object_object_add(o, "seed", json_object_new_uint64(r->seed));
	json_object_object_add(o, "procs", json_object_new_int(r->procs));
	json_object_object_add(o, "timeout_ms", json_object_new_int(r->timeout_ms));
	json_object_object_add(o, "other_abi", (r->sc->flags & MIXED_ABI) && r->strategy != FORK
	    ? json_object_new_string(r->other_abi == OTHER_ABI_WIN64 ? "win64" : "i386") : NULL);
	json_object_object_add(o, "region", region);
	json_object_object_add(o, "result", json_object_new_string(result_name(r->result)));
	json_object_object_add(o, "expected", json_object_new_string(expectation(r)));
	json_object_object_add(o, "verdict", json_object_new_string(verdict_name(verdict_of(r))));
	json_object_object_add(o, "problem", json_object_new_string(r->problem));
	json_object_object_add(o, "handout", r->sc->handout ? json_object_new_string(r->sc->handout) : NULL);
	json_object_object_add(o, "rule", r->sc->rule ? json_object_new_string(r->sc->rule) : NULL);
	json_object_object_add(o, "impl", r->sc->flags & CONTRACT ? json_object_new_string(r->impl) : NULL);
	json_object_object_add(o, "contract_version", r->sc->flags & CONTRACT
	    ? json_object_new_int(r->impl_version) : NULL);
	json_object_object_add(o, "replay", json_object_new_string(replay));
	json_object_object_add(o, "workers", ws);
	rc = json_object_to_file_ext(path, o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(o);
	return rc;
}
