/*
 * Reports of a Win32 run: the same page and the same JSON (field for field)
 * as ../report.c, written without json-c, which has no mingw-w64 build in
 * Debian. All JSON leaves this file through the few writers below, and every
 * string through json_string(), the one escaper.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <windows.h>

#include "kill_procs.h"
#include "report_win32.h"
#include "shmlab/contract.h"

const char *
exception_name(int code)
{
	static const struct { unsigned code; const char *name; } names[] = {
		{ 0xC0000005u, "EXCEPTION_ACCESS_VIOLATION" }, { 0xC0000006u, "EXCEPTION_IN_PAGE_ERROR" },
		{ 0xC000001Du, "EXCEPTION_ILLEGAL_INSTRUCTION" }, { 0xC0000094u, "EXCEPTION_INT_DIVIDE_BY_ZERO" },
		{ 0xC00000FDu, "EXCEPTION_STACK_OVERFLOW" }, { 0x80000003u, "EXCEPTION_BREAKPOINT" },
	};
	static char buf[16];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].code == (unsigned)code)
			return names[i].name;
	snprintf(buf, sizeof buf, "%#010x", (unsigned)code);
	return buf;
}

const char *
shell_path(const char *path, char *buf, size_t len)
{
	HMODULE ntdll = GetModuleHandleA("ntdll.dll");
	size_t n;

	if (ntdll == NULL || GetProcAddress(ntdll, "wine_get_version") == NULL
	    || (path[0] != 'Z' && path[0] != 'z') || path[1] != ':' || path[2] != '\\')
		return path;
	n = (size_t)snprintf(buf, len, "%s", path + 2);
	for (size_t i = 0; i < n && i < len; i++)
		if (buf[i] == '\\')
			buf[i] = '/';
	return buf;
}

// The command that replays r: describe.c's line, with the library of a
// CONTRACT run as a shell under Wine takes its path (shell_path).
static void
replay_win32(char *buf, size_t len, const struct run *r, const char *argv0)
{
	static struct run shown;
	char impl[MAX_PATH + 8];

	shown = *r;
	if (r->impl)
		shown.impl = shell_path(r->impl, impl, sizeof impl);
	replay_line(buf, len, &shown, argv0);
}

// ---------------------------------------------------------------- JSON

// A JSON string: quotes, backslashes and control characters escaped.
static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
json_string_or_null(FILE *f, const char *s)
{
	if (s)
		json_string(f, s);
	else
		fputs("null", f);
}

static void
json_key(FILE *f, int *first, const char *key)
{
	fputs(*first ? "\n    " : ",\n    ", f);
	*first = 0;
	json_string(f, key);
	fputs(": ", f);
}

static void
json_hex(FILE *f, uintptr_t a)
{
	fprintf(f, "\"%#llx\"", (unsigned long long)a);
}

static void
json_features(FILE *f, unsigned mask)
{
	int first = 1;

	fputc('[', f);
	for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++)
		if (mask & feature_names[i].bit) {
			fputs(first ? "" : ", ", f);
			json_string(f, feature_names[i].name);
			first = 0;
		}
	fputc(']', f);
}

static void
json_strategies(FILE *f, unsigned mask)
{
	int first = 1;

	fputc('[', f);
	for (int s = 0; s < NSTRATEGIES; s++)
		if (mask & ONLY(s)) {
			fputs(first ? "" : ", ", f);
			json_string(f, strategy_name((enum strategy)s));
			first = 0;
		}
	fputc(']', f);
}

static void
json_worker(FILE *f, const struct run *r, int i)
{
	const struct worker_record *w = &r->w[i];
	int signaled = w->outcome == SIGNALED, faulted = signaled && w->has_fault;
	char where[200];

	fprintf(f, "{\"index\": %d, \"pid\": %ld, \"abi\": %d, \"base\": ", i, (long)w->pid, w->abi);
	if (w->nviews)
		json_hex(f, w->base[0]);
	else
		fputs("null", f);
	fputs(", \"bases\": [", f);
	for (int v = 0; v < w->nviews; v++) {
		fputs(v ? ", " : "", f);
		json_hex(f, w->base[v]);
	}
	fputs("], \"requested\": [", f);
	for (int v = 0; v < r->plan.views; v++) {
		fputs(v ? ", " : "", f);
		if (r->plan.at[i][v])
			json_hex(f, r->plan.at[i][v]);
		else
			fputs("null", f);
	}
	fputs("], \"outcome\": ", f);
	json_string(f, outcome_name(w->outcome));
	fputs(", \"signal\": ", f);
	json_string_or_null(f, signaled ? exception_name(w->signo) : NULL);
	fputs(", \"fault_address\": ", f);
	if (faulted)
		json_hex(f, w->fault);
	else
		fputs("null", f);
	if (faulted)
		where_is(r, i, where, sizeof where);
	fputs(", \"fault_where\": ", f);
	json_string_or_null(f, faulted ? where : NULL);
	fputs(", \"message\": ", f);
	json_string(f, w->message);
	fputc('}', f);
}

int
report_json_win32(const char *path, const struct run *r, const char *argv0, const char *why)
{
	FILE *f = fopen(path, "w");
	char replay[600];
	int first = 1;

	if (f == NULL)
		return -1;
	replay_win32(replay, sizeof replay, r, argv0);
	fputc('{', f);
	json_key(f, &first, "scenario"), json_string(f, r->sc->name);
	json_key(f, &first, "strategy"), json_string(f, strategy_name(r->strategy));
	json_key(f, &first, "seed"), fprintf(f, "%" PRIu64, r->seed);
	json_key(f, &first, "procs"), fprintf(f, "%d", r->procs);
	json_key(f, &first, "timeout_ms"), fprintf(f, "%d", r->timeout_ms);
	json_key(f, &first, "region");
	if (why)
		fputs("null", f);
	else {
		fputs("{\"name\": ", f);
		json_string(f, r->region);
		fprintf(f, ", \"size\": %" PRIu64 "}", r->sc->region_size);
	}
	json_key(f, &first, "platform"), json_string(f, "win32");
	json_key(f, &first, "result"), json_string(f, why ? "SKIP" : result_name(r->result));
	json_key(f, &first, "expected"), json_string(f, expectation(r));
	json_key(f, &first, "verdict"), json_string(f, why ? "skipped" : verdict_name(verdict_of(r)));
	json_key(f, &first, "problem"), json_string(f, why ? why : r->problem);
	json_key(f, &first, "handout"), json_string_or_null(f, r->sc->handout);
	json_key(f, &first, "rule"), json_string_or_null(f, r->sc->rule);
	json_key(f, &first, "impl"), json_string_or_null(f, r->sc->flags & CONTRACT ? r->impl : NULL);
	json_key(f, &first, "contract_version");
	if (r->sc->flags & CONTRACT)
		fprintf(f, "%d", r->impl_version);
	else
		fputs("null", f);
	json_key(f, &first, "replay"), json_string(f, replay);
	json_key(f, &first, "workers"), fputc('[', f);
	for (int i = 0; !why && i < r->procs; i++) {
		fputs(i ? ",\n        " : "\n        ", f);
		json_worker(f, r, i);
	}
	fputs(why || r->procs == 0 ? "]\n}\n" : "\n    ]\n}\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

// The kill test's report (../kill_procs.h), with the fields of the POSIX
// one (../kill_procs.c).
int
kill_report_json(const struct kill_test *t, const char *path, const char *replay)
{
	FILE *f = fopen(path, "w");
	int first = 1, firstsite = 1;

	if (f == NULL)
		return -1;
	fputc('{', f);
	json_key(f, &first, "test"), json_string(f, "kill");
	json_key(f, &first, "platform"), json_string(f, "win32");
	json_key(f, &first, "result"), json_string(f, t->problem[0] ? "FAIL" : "PASS");
	json_key(f, &first, "seed"), fprintf(f, "%" PRIu64, t->o->seed);
	json_key(f, &first, "lock"), json_string(f, t->o->lock->name);
	json_key(f, &first, "recovery"), fputs(t->o->recover ? "true" : "false", f);
	json_key(f, &first, "kills_wanted"), fprintf(f, "%d", t->o->kills);
	json_key(f, &first, "kills"), fprintf(f, "%d", t->kills);
	json_key(f, &first, "survived"), fprintf(f, "%d", t->survived);
	json_key(f, &first, "died_at"), fputc('{', f);
	for (int k = 0; k < KILL_SITES; k++) {
		fputs(firstsite ? "" : ", ", f);
		firstsite = 0;
		json_string(f, kill_sites[k].name);
		fprintf(f, ": %d", t->died_at[k]);
	}
	fputc('}', f);
	json_key(f, &first, "reclaimed_blocks"), fprintf(f, "%" PRIu64, t->reclaimed_blocks);
	json_key(f, &first, "reclaimed_pages"), fprintf(f, "%" PRIu64, t->reclaimed_pages);
	json_key(f, &first, "held_by_the_dead"), fprintf(f, "%d", t->leaked);
	json_key(f, &first, "owner_died"), fprintf(f, "%d", t->owner_died);
	json_key(f, &first, "survivor_steps"), fprintf(f, "[%ld, %ld]", t->survivor_ops[0], t->survivor_ops[1]);
	if (t->problem[0])
		json_key(f, &first, "problem"), json_string(f, t->problem);
	json_key(f, &first, "replay"), json_string(f, replay);
	fputs("\n}\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

void
list_json_win32(FILE *out)
{
	fputc('[', out);
	for (const struct scenario *const *p = scenarios; *p; p++) {
		const struct scenario *sc = *p;
		int first = 1;
		fputs(p == scenarios ? "\n  {" : ",\n  {", out);
		json_key(out, &first, "name"), json_string(out, sc->name);
		json_key(out, &first, "lab"), fprintf(out, "\"%.2s\"", sc->name);
		json_key(out, &first, "summary"), json_string(out, sc->summary);
		json_key(out, &first, "handout"), json_string_or_null(out, sc->handout);
		json_key(out, &first, "broken"), fputs(strstr(sc->name, "broken") ? "true" : "false", out);
		json_key(out, &first, "mixed_abi"), fputs(sc->flags & MIXED_ABI ? "true" : "false", out);
		json_key(out, &first, "selftest"), fputs(sc->flags & SELFTEST ? "true" : "false", out);
		json_key(out, &first, "contract"), fputs(sc->flags & CONTRACT ? "true" : "false", out);
		json_key(out, &first, "rule"), json_string_or_null(out, sc->rule);
		json_key(out, &first, "features"), json_features(out, sc->features);
		json_key(out, &first, "passes_under"), json_strategies(out, sc->passes_under);
		json_key(out, &first, "caught_under"), json_strategies(out, sc->caught_under);
		fputs("\n  }", out);
	}
	fputs("\n]\n", out);
}

// ---------------------------------------------------------------- text

static void
text_worker(FILE *out, const struct run *r, int i)
{
	const struct worker_record *w = &r->w[i];
	char where[200];

	fprintf(out, "  worker %d  pid %-7ld %2d-bit  base", i, (long)w->pid, w->abi ? w->abi : 64);
	if (w->nviews == 0)
		fprintf(out, " %14s", "(not mapped)");
	for (int v = 0; v < w->nviews; v++)
		fprintf(out, " %#14llx", (unsigned long long)w->base[v]);
	fprintf(out, "  %s", outcome_name(w->outcome));
	if (w->outcome == SIGNALED)
		fprintf(out, " %s", exception_name(w->signo));
	if (w->outcome == SIGNALED && w->has_fault) {
		where_is(r, i, where, sizeof where);
		fprintf(out, " at %#llx\n      %s", (unsigned long long)w->fault, where);
	}
	if (w->message[0])
		fprintf(out, "\n      %s", w->message);
	fputc('\n', out);
}

void
report_text_win32(FILE *out, const struct run *r, const char *argv0)
{
	char replay[600];

	fprintf(out, "%s  strategy %s  procs %d  seed %" PRIu64 "  (Win32)\n", r->sc->name,
	    strategy_name(r->strategy), r->procs, r->seed);
	for (int i = 0; i < r->procs; i++)
		text_worker(out, r, i);
	if (r->problem[0])
		fprintf(out, "  run: %s\n", r->problem);
	fprintf(out, "result: %s  (%s: %s)\n", result_name(r->result),
	    r->sc->flags & CONTRACT ? "the contract requires" : "the lesson predicts", expectation(r));
	if (verdict_of(r) == VERDICT_NOT_AS_PREDICTED)
		fprintf(out, "NOT as predicted\n");
	replay_win32(replay, sizeof replay, r, argv0);
	fprintf(out, "replay: %s\n", replay);
	if (r->result != RESULT_PASS && r->sc->handout)
		fprintf(out, "read: %s\n", r->sc->handout);
}
