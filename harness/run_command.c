/*
 * The `run` command's steps that need no system (main.c runs them in
 * order): the library under test checked before any worker starts, a skip
 * reported as such, and a supervised run reported and turned into an exit
 * status. What differs, where the programs are and what this machine cannot
 * run, is the front halves' (front.h).
 */
#include <stdio.h>

#include "impl.h"
#include "report.h"
#include "run_command.h"

int
run_skip(const struct run *r, const struct outputs *o, const char *argv0, const char *why)
{
	if (o->json && report_json(o->json, r, argv0, why) < 0)
		fprintf(stderr, "shmlab-harness: cannot write %s\n", o->json);
	printf("%s  strategy %s: SKIP: %s\n", r->sc->name, strategy_name(r->strategy), why);
	return EXIT_SKIP;
}

int
run_check_impl(struct run *r, const struct outputs *o, const char *argv0)
{
	char why[400], names[64];
	struct impl im;

	if (!(r->sc->flags & CONTRACT))
		return 0;
	if (impl_load(&im, r->impl, why, sizeof why) < 0) {
		fprintf(stderr, "shmlab-harness: %s\n", why);
		return EXIT_USAGE;
	}
	r->impl_version = im.version;
	if (!(r->sc->features & ~im.features))
		return 0;
	snprintf(why, sizeof why, "%s not supported by %s (its shmlab_features() does not declare it)",
	    feature_list(r->sc->features & ~im.features, names, sizeof names), r->impl);
	return run_skip(r, o, argv0, why);
}

int
run_report(const struct run *r, const struct outputs *o, const char *argv0)
{
	if (!o->quiet)
		report_text(stdout, r, argv0);
	if (o->json && report_json(o->json, r, argv0, NULL) < 0)
		fprintf(stderr, "shmlab-harness: cannot write %s\n", o->json);
	if (o->svg && report_svg(o->svg, r) < 0)
		fprintf(stderr, "shmlab-harness: cannot write %s\n", o->svg);
	if (r->result == RESULT_ERROR)
		fprintf(stderr, "shmlab-harness: %s\n", r->problem);
	if (o->expect)
		return verdict_of(r) == VERDICT_AS_PREDICTED ? 0 : verdict_of(r) == VERDICT_ERROR ? EXIT_USAGE
		    : EXIT_FAILED;
	return r->result == RESULT_PASS ? 0 : r->result == RESULT_ERROR ? EXIT_USAGE : EXIT_FAILED;
}
