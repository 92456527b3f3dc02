/*
 * verdict_of() (describe.c), the one place that decides whether a run went
 * as its lesson predicts, on runs made up to sit on each side of each of
 * its rules. The tour, the soak, the slides and pytest only read its answer,
 * so a wrong rule here would be wrong everywhere at once.
 */
#include <stdio.h>
#include <string.h>

#include "report.h"

static const struct scenario lesson = {
	.name = "99-made-up-broken", .passes_under = ONLY(FORK), .caught_under = ONLY(DISTINCT),
};
static const struct scenario self_test = {
	.name = "00-selftest-made-up", .flags = SELFTEST, .caught_under = ALL_STRATEGIES,
};

// A run of sc under s by two workers, each with one view at its own base
// unless shared, ending as o0 and o1, with result x and problem p.
static struct run
made_up(const struct scenario *sc, enum strategy s, enum outcome o0, enum outcome o1, enum result x,
    const char *p, int shared)
{
	struct run r = { .sc = sc, .strategy = s, .procs = 2, .result = x };

	r.w[0] = (struct worker_record){ .outcome = o0, .nviews = 1, .base = { 0x10000 } };
	r.w[1] = (struct worker_record){ .outcome = o1, .nviews = 1, .base = { shared ? 0x10000 : 0x20000 } };
	snprintf(r.problem, sizeof r.problem, "%s", p);
	return r;
}

int
main(void)
{
	static const char leftover[] = "leftover: the region's name still exists";
	static const struct {
		const char *what;
		const struct scenario *sc;
		enum strategy s;
		enum outcome o0, o1;
		enum result x;
		const char *problem;
		int shared;
		enum verdict want;
	} cases[] = {
		{ "caught by a worker", &lesson, DISTINCT, PASS, FAIL, RESULT_FAIL, "", 0, VERDICT_AS_PREDICTED },
		{ "caught by a signal", &lesson, DISTINCT, PASS, SIGNALED, RESULT_FAIL, "", 0, VERDICT_AS_PREDICTED },
		{ "predicted caught, passed", &lesson, DISTINCT, PASS, PASS, RESULT_PASS, "", 0,
		    VERDICT_NOT_AS_PREDICTED },
		{ "caught, and a leftover", &lesson, DISTINCT, PASS, FAIL, RESULT_FAIL, leftover, 0,
		    VERDICT_NOT_AS_PREDICTED },
		{ "a leftover alone", &lesson, DISTINCT, PASS, PASS, RESULT_FAIL, leftover, 0,
		    VERDICT_NOT_AS_PREDICTED },
		{ "predicted pass, passed", &lesson, FORK, PASS, PASS, RESULT_PASS, "", 1, VERDICT_AS_PREDICTED },
		{ "predicted pass, failed", &lesson, FORK, PASS, FAIL, RESULT_FAIL, "", 1,
		    VERDICT_NOT_AS_PREDICTED },
		{ "depends, bases shared, passed", &lesson, SAME, PASS, PASS, RESULT_PASS, "", 1,
		    VERDICT_AS_PREDICTED },
		{ "depends, bases shared, caught", &lesson, SAME, PASS, FAIL, RESULT_FAIL, "", 1,
		    VERDICT_AS_PREDICTED },
		{ "depends, bases all differ, passed", &lesson, KERNEL, PASS, PASS, RESULT_PASS, "", 0,
		    VERDICT_NOT_AS_PREDICTED },
		{ "depends, bases shared, a leftover", &lesson, SAME, PASS, PASS, RESULT_FAIL, leftover, 1,
		    VERDICT_NOT_AS_PREDICTED },
		{ "self-test caught by its leftover", &self_test, DISTINCT, PASS, PASS, RESULT_FAIL, leftover, 0,
		    VERDICT_AS_PREDICTED },
		{ "the harness failed", &lesson, DISTINCT, PASS, FAIL, RESULT_ERROR, "fork failed", 0, VERDICT_ERROR },
	};
	int wrong = 0;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct run r = made_up(cases[i].sc, cases[i].s, cases[i].o0, cases[i].o1, cases[i].x,
		    cases[i].problem, cases[i].shared);
		enum verdict got = verdict_of(&r);

		if (got != cases[i].want) {
			printf("verdict_of: %s: %s, want %s\n", cases[i].what, verdict_name(got),
			    verdict_name(cases[i].want));
			wrong++;
		}
	}
	printf("verdict_of: %zu cases, %d wrong\n", sizeof cases / sizeof cases[0], wrong);
	return wrong != 0;
}
