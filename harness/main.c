/*
 * shmlab-harness, on both systems: list the scenarios, run one in N worker
 * processes, or run the kill test.
 *
 *   shmlab-harness list [--json]
 *   shmlab-harness impl [LIB]          what LIB (default as for run) says it is, as JSON
 *   shmlab-harness contract            the contract's version and feature sets, as JSON
 *   shmlab-harness run SCENARIO [--procs N] [--strategy S] [--seed K]
 *                      [--timeout-ms T] [--json FILE] [--svg FILE] [--quiet] [--impl LIB]
 *                      [--other-abi i386|win64|auto] [--expect]
 *   shmlab-harness kill-test [--kills N] [--seed K] [--lock L]
 *                      [--no-recovery] [--timeout-ms T] [--json FILE]
 *                                      workers killed inside the allocator (kill_test.c)
 *
 * and the commands of one system (front.h; on POSIX, `machine`: which of
 * lab 01's readers of another ABI run here). The order of a run's checks is
 * here; what each system cannot do, and where its programs are, is its
 * front half's (front_posix.c, win32/front_win32.c).
 *
 * Exit status: 0 the run passed, 1 it failed (with --expect: 0 the run went as
 * the lesson or the contract predicts, 1 it did not), 2 bad usage or the harness
 * could not do its job (an implementation that cannot be loaded included),
 * 77 skipped (what it needs is not built here or does not run on this machine,
 * or the implementation does not declare a feature set the scenario needs).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "front.h"
#include "impl.h"
#include "json.h"
#include "kill_test.h"
#include "platform.h"
#include "report.h"
#include "run.h"
#include "run_command.h"

static const char *progname = "shmlab-harness";   // as a shell runs it, for replay lines

static void
list_plain(void)
{
	for (const struct scenario *const *p = scenarios; *p; p++)
		printf("%s\n", (*p)->name);
}

static int
run(int argc, char **argv)
{
	static struct run r = { .procs = 2, .strategy = DISTINCT, .timeout_ms = 10000 };
	struct outputs o = { 0 };
	const char *refused;
	char why[600];
	int stop;

	if (parse_run(argc, argv, &r, &o, front_usage) < 0)
		return EXIT_USAGE;
	if ((refused = front_refuses(&r, &o)) != NULL) {
		fprintf(stderr, "shmlab-harness: %s\n", refused);
		return EXIT_USAGE;
	}
	if (!o.seed_given)
		r.seed = front_random() & UINT32_MAX;
	front_find_programs(&r);
	if (!front_can_start(r.worker64)) {
		fprintf(stderr, "shmlab-harness: cannot find the worker program %s: build it (cmake --build build)\n",
		    r.worker64);
		return EXIT_USAGE;
	}
	if ((stop = run_check_impl(&r, &o, progname)) != 0)
		return stop;
	if (front_cannot_run(&r, why, sizeof why))
		return run_skip(&r, &o, progname, why);
	if (choose_addresses_aligned(&r.plan, r.strategy, r.seed, r.procs, r.sc->region_size,
	    (r.sc->flags & MIXED_ABI) != 0, front_view_align(&r), why, sizeof why) < 0) {
		fprintf(stderr, "shmlab-harness: %s\n", why);
		return EXIT_USAGE;
	}
	fflush(stdout);
	supervise(&r);
	front_after_run(&r);
	return run_report(&r, &o, progname);
}

// `impl [LIB]`: loads the library as a run would and prints, as JSON, its
// path and contract version and feature sets, or why it cannot be loaded.
// The suite asks this rather than loading the library itself, so a library
// built with a sanitizer, whose runtime only a sanitized program has, is
// described as the workers will see it. Exit 0, or 2 if it cannot be loaded.
static int
describe_impl(const char *path)
{
	static struct run r;
	struct impl im;
	struct json j;
	char why[400];
	int rc = 0;

	r.impl = path;
	front_find_programs(&r);
	json_begin(&j, stdout, 0);
	json_open_object(&j);
	json_key(&j, "path"), json_string(&j, r.impl);
	if (impl_load(&im, r.impl, why, sizeof why) < 0) {
		json_key(&j, "error"), json_string(&j, why);
		rc = EXIT_USAGE;
	} else {
		json_key(&j, "version"), json_int(&j, im.version);
		json_key(&j, "features"), json_features(&j, im.features);
	}
	json_close_object(&j);
	json_end(&j);
	return rc;
}

// The kill test, with its worker beside this program.
static int
kill_command(int argc, char **argv)
{
	struct kill_options o = { .seed = front_random() % 1000000000 };  // short enough to type back
	char worker[600];

	if (kill_parse(argc, argv, &o) < 0)
		return fprintf(stderr, "%s", front_usage), EXIT_USAGE;
	fflush(stdout);
	return kill_test(platform_beside(worker, sizeof worker, front_kill_worker), &o, progname);
}

// `contract`: the version and the optional feature sets of the contract
// this harness tests (shmlab/contract.h), for the suite, which asks here
// instead of reading the header.
static int
contract_command(void)
{
	struct json j;

	json_begin(&j, stdout, 0);
	json_open_object(&j);
	json_key(&j, "version"), json_stringf(&j, "%d.%d", SHMLAB_CONTRACT_MAJOR, SHMLAB_CONTRACT_MINOR);
	json_key(&j, "version_number"), json_int(&j, SHMLAB_CONTRACT_MAJOR * 100 + SHMLAB_CONTRACT_MINOR);
	json_key(&j, "features");
	json_open_object(&j);
	for (size_t i = 0; i < NFEATURES; i++)
		json_key(&j, feature_names[i].name), json_uint(&j, feature_names[i].bit);
	json_close_object(&j);
	json_close_object(&j);
	return json_end(&j) == 0 ? 0 : EXIT_FAILED;
}

int
main(int argc, char **argv)
{
	int status;

	progname = front_start(argv[0]);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return list_plain(), 0;
	if (argc == 3 && strcmp(argv[1], "list") == 0 && strcmp(argv[2], "--json") == 0)
		return report_list_json(stdout), 0;
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "kill-test") == 0)
		return kill_command(argc - 1, argv + 1);
	if ((argc == 2 || argc == 3) && strcmp(argv[1], "impl") == 0)
		return describe_impl(argc == 3 ? argv[2] : NULL);
	if (argc == 2 && strcmp(argv[1], "contract") == 0)
		return contract_command();
	if (argc >= 2 && front_command(argc, argv, &status))
		return status;
	fprintf(stderr, "%s", front_usage);
	return EXIT_USAGE;
}
