/*
 * Reports of a run, the same on both systems. The text page is for a learner
 * at a terminal: one line a worker, the base it used, what became of it, and
 * where a fault landed, since the fault address is the lesson (it is an
 * address that was valid in some other view). The JSON holds the same facts
 * for the test suite (json.h); the SVG (svg.c) draws them for the slides.
 *
 * What differs between the systems is in their own words, and each platform
 * half says it in report_terms (report.h): how a process dies (a signal, an
 * exception code), how a path is shown to a shell, and the facts only the
 * POSIX track has (a memfd region, lab 01's Windows reader, the data model),
 * which the Win32 reports leave out rather than fill with nulls.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "report.h"

// The replay line, with the library under test named as a shell on this
// machine takes its path (report_terms.shown_path).
static void
replay_shown(char *buf, size_t len, const struct run *r, const char *argv0)
{
	struct run shown = *r;
	char impl[600];

	if (r->impl)
		shown.impl = report_terms.shown_path(r->impl, impl, sizeof impl);
	replay_line(buf, len, &shown, argv0);
}

static void
text_worker(FILE *out, const struct run *r, int i)
{
	const struct worker_record *w = &r->w[i];
	char where[200], abi[16];

	if (windows_reader(r, i))
		snprintf(abi, sizeof abi, "Win64");
	else
		snprintf(abi, sizeof abi, "%d-bit", w->abi ? w->abi : 64);
	fprintf(out, "  worker %d  pid %-7ld %6s  base", i, (long)w->pid, abi);
	if (w->nviews == 0)
		fprintf(out, " %14s", "(not mapped)");
	for (int v = 0; v < w->nviews; v++)
		fprintf(out, " %#14llx", (unsigned long long)w->base[v]);
	fprintf(out, "  %s%s%s", report_paint(outcome_name(w->outcome)), outcome_name(w->outcome), report_paint("off"));
	if (w->outcome == SIGNALED)
		fprintf(out, " %s", report_terms.death(w->signo));
	if (w->outcome == SIGNALED && w->has_fault) {
		where_is(r, i, where, sizeof where);
		fprintf(out, " at %#llx\n      %s%s%s", (unsigned long long)w->fault, report_paint("dim"), where,
		    report_paint("off"));
	}
	if (w->message[0])
		fprintf(out, "\n      %s", w->message);
	fputc('\n', out);
}

// The lines under the title that say how this run differs from a plain one.
static void
text_setting(FILE *out, const struct run *r)
{
	char impl[600];

	if (!report_terms.posix_facts)
		return;
	if ((r->sc->flags & OTHER_BUILD) && r->strategy != FORK)
		fprintf(out, "  %srandomization off; odd workers run shmlab-worker-other, another build%s\n",
		    report_paint("dim"), report_paint("off"));
	if ((r->sc->flags & MIXED_ABI) && r->strategy != FORK && r->procs > 1)
		fprintf(out, "  %sodd workers: %s%s\n", report_paint("dim"), r->other_abi == OTHER_ABI_WIN64
		    ? "x86-64 Windows programs under Wine (LLP64: long is 4 bytes), mapping the region's file "
		    "through Z:" : "i386 Linux programs (ILP32: long and pointers are 4 bytes)", report_paint("off"));
	if (r->impl32 && i386_reader(r, 1))
		fprintf(out, "  %sodd workers load %s%s\n", report_paint("dim"),
		    report_terms.shown_path(r->impl32, impl, sizeof impl), report_paint("off"));
	if (REGION_IS_MEMFD(r->sc))
		fprintf(out, "  %sregion: a memfd, passed to each worker as a descriptor; %s%s\n", report_paint("dim"),
		    r->sc->flags & SEALED_REGION ? "sealed against shrink and grow" : "not sealed", report_paint("off"));
}

void
report_text(FILE *out, const struct run *r, const char *argv0)
{
	char replay[600];

	fprintf(out, "%s  strategy %s  procs %d  seed %" PRIu64 "%s\n", r->sc->name,
	    strategy_name(r->strategy), r->procs, r->seed, report_terms.title);
	text_setting(out, r);
	for (int i = 0; i < r->procs; i++)
		text_worker(out, r, i);
	if (r->problem[0])
		fprintf(out, "  run: %s\n", r->problem);
	fprintf(out, "result: %s%s%s  (%s: %s)\n", report_paint(result_name(r->result)), result_name(r->result),
	    report_paint("off"), r->sc->flags & CONTRACT ? "the contract requires"
	    : r->sc->flags & EXERCISE ? "the exercise requires" : "the lesson predicts", expectation(r));
	if (verdict_of(r) == VERDICT_NOT_AS_PREDICTED)
		fprintf(out, "%sNOT as predicted%s\n", report_paint("FAIL"), report_paint("off"));
	replay_shown(replay, sizeof replay, r, argv0);
	fprintf(out, "%sreplay: %s%s\n", report_paint("dim"), replay, report_paint("off"));
	if (r->result != RESULT_PASS && r->sc->handout)
		fprintf(out, "%sread: %s%s\n", report_paint("dim"), r->sc->handout, report_paint("off"));
}

// An address, as a string: JSON numbers lose precision beyond 2^53.
static void
json_hex(struct json *j, uintptr_t a)
{
	json_stringf(j, "%#llx", (unsigned long long)a);
}

static void
json_hex_or_null(struct json *j, int present, uintptr_t a)
{
	if (present)
		json_hex(j, a);
	else
		json_null(j);
}

static void
json_worker(struct json *j, const struct run *r, int i)
{
	const struct worker_record *w = &r->w[i];
	int faulted = w->outcome == SIGNALED && w->has_fault;
	char where[200];

	json_open_object(j);
	json_key(j, "index"), json_int(j, i);
	json_key(j, "pid"), json_int(j, w->pid);
	json_key(j, "abi"), json_int(j, w->abi);
	if (report_terms.posix_facts) {
		json_key(j, "data_model"), json_string(j, windows_reader(r, i) ? "LLP64" : w->abi == 32 ? "ILP32" : "LP64");
		json_key(j, "platform"), json_string(j, windows_reader(r, i) ? "windows" : "linux");
	}
	json_key(j, "base"), json_hex_or_null(j, w->nviews > 0, w->base[0]);
	json_key(j, "bases"), json_open_array(j);
	for (int v = 0; v < w->nviews; v++)
		json_hex(j, w->base[v]);
	json_close_array(j);
	json_key(j, "requested"), json_open_array(j);
	for (int v = 0; v < r->plan.views; v++)
		json_hex_or_null(j, r->plan.at[i][v] != 0, r->plan.at[i][v]);
	json_close_array(j);
	json_key(j, "outcome"), json_string(j, outcome_name(w->outcome));
	json_key(j, "signal"), json_string(j, w->outcome == SIGNALED ? report_terms.death(w->signo) : NULL);
	json_key(j, "fault_address"), json_hex_or_null(j, faulted, w->fault);
	if (faulted)
		where_is(r, i, where, sizeof where);
	json_key(j, "fault_where"), json_string(j, faulted ? where : NULL);
	json_key(j, "message"), json_string(j, w->message);
	json_key(j, "impl"), json_string(j, worker_impl(r, i));
	json_close_object(j);
}

static void
json_region(struct json *j, const struct run *r)
{
	json_open_object(j);
	json_key(j, "name"), json_string(j, r->region);
	json_key(j, "size"), json_uint(j, r->sc->region_size);
	if (report_terms.posix_facts) {
		json_key(j, "kind"), json_string(j, REGION_IS_MEMFD(r->sc) ? "memfd" : "shm");
		json_key(j, "sealed"), json_bool(j, r->sc->flags & SEALED_REGION);
	}
	json_close_object(j);
}

// The fields of a run's report and of a skip's: a skipped run (why, not
// NULL) has no region and no workers, and the reason as its problem.
static void
json_run(struct json *j, const struct run *r, const char *argv0, const char *why)
{
	char replay[600];

	replay_shown(replay, sizeof replay, r, argv0);
	json_open_object(j);
	json_key(j, "scenario"), json_string(j, r->sc->name);
	json_key(j, "strategy"), json_string(j, strategy_name(r->strategy));
	json_key(j, "seed"), json_uint(j, r->seed);
	json_key(j, "procs"), json_int(j, r->procs);
	json_key(j, "timeout_ms"), json_int(j, r->timeout_ms);
	if (report_terms.platform)
		json_key(j, "platform"), json_string(j, report_terms.platform);
	if (report_terms.posix_facts && !why)
		json_key(j, "other_abi"), json_string(j, !((r->sc->flags & MIXED_ABI) && r->strategy != FORK) ? NULL
		    : r->other_abi == OTHER_ABI_WIN64 ? "win64" : "i386");
	json_key(j, "region");
	if (why)
		json_null(j);
	else
		json_region(j, r);
	json_key(j, "result"), json_string(j, why ? "SKIP" : result_name(r->result));
	json_key(j, "expected"), json_string(j, expectation(r));
	json_key(j, "verdict"), json_string(j, why ? "skipped" : verdict_name(verdict_of(r)));
	json_key(j, "problem"), json_string(j, why ? why : r->problem);
	json_key(j, "handout"), json_string(j, r->sc->handout);
	json_key(j, "rule"), json_string(j, r->sc->rule);
	json_key(j, "impl"), json_string(j, r->sc->flags & CONTRACT ? r->impl : NULL);
	json_key(j, "contract_version");
	if (r->sc->flags & CONTRACT)
		json_int(j, r->impl_version);
	else
		json_null(j);
	json_key(j, "replay"), json_string(j, replay);
	json_key(j, "workers"), json_open_array(j);
	for (int i = 0; !why && i < r->procs; i++)
		json_worker(j, r, i);
	json_close_array(j);
	json_close_object(j);
}

int
report_json(const char *path, const struct run *r, const char *argv0, const char *why)
{
	FILE *f = fopen(path, "w");
	struct json j;

	if (f == NULL)
		return -1;
	json_begin(&j, f, 1);
	json_run(&j, r, argv0, why);
	return json_end(&j) | fclose(f) ? -1 : 0;
}

void
json_strategies(struct json *j, unsigned mask)
{
	json_open_array(j);
	for (int s = 0; s < NSTRATEGIES; s++)
		if (mask & ONLY(s))
			json_string(j, strategy_name((enum strategy)s));
	json_close_array(j);
}

void
json_features(struct json *j, unsigned mask)
{
	json_open_array(j);
	for (size_t i = 0; i < NFEATURES; i++)
		if (mask & feature_names[i].bit)
			json_string(j, feature_names[i].name);
	json_close_array(j);
}

// The tour shows each lesson under distinct addresses unless the lesson names
// strategies of its own; no self-test, contract scenario or exercise is shown.
static unsigned
tour_strategies(const struct scenario *sc)
{
	if (sc->flags & (SELFTEST | CONTRACT | EXERCISE))
		return 0;
	return sc->tour_under ? sc->tour_under : ONLY(DISTINCT);
}

void
report_list_json(FILE *out)
{
	struct json j;

	json_begin(&j, out, 1);
	json_open_array(&j);
	for (const struct scenario *const *p = scenarios; *p; p++) {
		const struct scenario *sc = *p;
		json_open_object(&j);
		json_key(&j, "name"), json_string(&j, sc->name);
		json_key(&j, "lab"), json_string_n(&j, sc->name, 2);
		json_key(&j, "summary"), json_string(&j, sc->summary);
		json_key(&j, "handout"), json_string(&j, sc->handout);
		json_key(&j, "broken"), json_bool(&j, strstr(sc->name, "broken") != NULL);
		json_key(&j, "mixed_abi"), json_bool(&j, sc->flags & MIXED_ABI);
		json_key(&j, "selftest"), json_bool(&j, sc->flags & SELFTEST);
		json_key(&j, "exercise"), json_bool(&j, sc->flags & EXERCISE);
		json_key(&j, "contract"), json_bool(&j, sc->flags & CONTRACT);
		if (report_terms.posix_facts) {
			json_key(&j, "memfd_region"), json_bool(&j, REGION_IS_MEMFD(sc));
			json_key(&j, "sealed_region"), json_bool(&j, sc->flags & SEALED_REGION);
		}
		json_key(&j, "rule"), json_string(&j, sc->rule);
		json_key(&j, "features"), json_features(&j, sc->features);
		json_key(&j, "passes_under"), json_strategies(&j, sc->passes_under);
		json_key(&j, "caught_under"), json_strategies(&j, sc->caught_under);
		json_key(&j, "tour_under"), json_strategies(&j, tour_strategies(sc));
		json_close_object(&j);
	}
	json_close_array(&j);
	json_end(&j);
}
