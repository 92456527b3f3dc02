/*
 * shmlab-harness: list the scenarios, or run one in N worker processes.
 *
 *   shmlab-harness list [--json]
 *   shmlab-harness impl [LIB]          what LIB (default as for run) says it is, as JSON
 *   shmlab-harness machine             which of lab 01's readers of another ABI run here
 *   shmlab-harness contract            the contract's version and feature sets, as JSON
 *   shmlab-harness run SCENARIO [--procs N] [--strategy S] [--seed K]
 *                      [--timeout-ms T] [--json FILE] [--svg FILE] [--quiet] [--impl LIB]
 *                      [--other-abi i386|win64|auto] [--expect]
 *   shmlab-harness kill-test [--kills N] [--seed K] [--lock none|plain|robust]
 *                      [--no-recovery] [--timeout-ms T] [--json FILE]
 *                                      workers killed inside the allocator (kill_test.c)
 *
 * Exit status: 0 the run passed, 1 it failed (with --expect: 0 the run went as
 * the lesson or the contract predicts, 1 it did not), 2 bad usage or the harness
 * could not do its job (an implementation that cannot be loaded included),
 * 77 skipped (what it needs is not built here or does not run on this machine,
 * or the implementation does not declare a feature set the scenario needs).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/personality.h>
#include <unistd.h>

#include "impl.h"
#include "kill_test.h"
#include "other_abi.h"
#include "report.h"
#include "run.h"

enum { EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_SKIP = 77 };

static const char *progname = "shmlab-harness";   // as invoked, for replay lines

static const char usage[] =
    "usage: shmlab-harness list [--json]\n"
    "       shmlab-harness machine             which readers of another ABI run here (lab 01)\n"
    "       shmlab-harness impl [LIBRARY]\n"
    "       shmlab-harness contract            the contract's version and feature sets, as JSON\n"
    "       shmlab-harness run SCENARIO [--procs N] [--strategy distinct|double|fork|same|kernel]\n"
    "                      [--seed K] [--timeout-ms T] [--json FILE] [--svg FILE] [--quiet]\n"
    "                      [--impl LIBRARY]   (CONTRACT scenarios; default $SHMLAB_IMPL, else\n"
    "                                          the reference, lib/libshmlab.so beside bin/)\n"
    "                      [--other-abi i386|win64|auto]   (lab 01's readers; default: the\n"
    "                                          first that runs here)\n"
    "                      [--expect]         exit 0 if the run went as predicted, 1 if not\n"
    "       shmlab-harness kill-test [--kills N] [--seed K] [--lock none|plain|robust]\n"
    "                      [--no-recovery] [--timeout-ms T] [--json FILE]\n";

static json_object *
strategies_in(unsigned mask)
{
	json_object *a = json_object_new_array();

	for (int s = 0; s < NSTRATEGIES; s++)
		if (mask & ONLY(s))
			json_object_array_add(a, json_object_new_string(strategy_name((enum strategy)s)));
	return a;
}

static json_object *
features_in(unsigned mask)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < NFEATURES; i++)
		if (mask & feature_names[i].bit)
			json_object_array_add(a, json_object_new_string(feature_names[i].name));
	return a;
}

static void
list_plain(void)
{
	for (const struct scenario *const *p = scenarios; *p; p++)
		printf("%s\n", (*p)->name);
}

static void
list_json(void)
{
	json_object *all = json_object_new_array();

	for (const struct scenario *const *p = scenarios; *p; p++) {
		const struct scenario *sc = *p;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(sc->name));
		json_object_object_add(o, "lab", json_object_new_string_len(sc->name, 2));
		json_object_object_add(o, "summary", json_object_new_string(sc->summary));
		json_object_object_add(o, "handout", sc->handout ? json_object_new_string(sc->handout) : NULL);
		json_object_object_add(o, "broken", json_object_new_boolean(strstr(sc->name, "broken") != NULL));
		json_object_object_add(o, "mixed_abi", json_object_new_boolean(sc->flags & MIXED_ABI));
		json_object_object_add(o, "selftest", json_object_new_boolean(sc->flags & SELFTEST));
		json_object_object_add(o, "contract", json_object_new_boolean(sc->flags & CONTRACT));
		json_object_object_add(o, "memfd_region", json_object_new_boolean(REGION_IS_MEMFD(sc)));
		json_object_object_add(o, "sealed_region", json_object_new_boolean(sc->flags & SEALED_REGION));
		json_object_object_add(o, "rule", sc->rule ? json_object_new_string(sc->rule) : NULL);
		json_object_object_add(o, "features", features_in(sc->features));
		json_object_object_add(o, "passes_under", strategies_in(sc->passes_under));
		json_object_object_add(o, "caught_under", strategies_in(sc->caught_under));
		json_object_array_add(all, o);
	}
	printf("%s\n", json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY));
	json_object_put(all);
}

// True if a program exec'd by this one gets a random load address: the
// kernel randomizes (proc(5): randomize_va_space) and this process's
// personality does not turn it off (personality(2): ADDR_NO_RANDOMIZE,
// which children inherit; setarch -R and gdb set it).
static int
aslr_is_on(void)
{
	FILE *f = fopen("/proc/sys/kernel/randomize_va_space", "r");
	int level = 2;

	if (f) {
		if (fscanf(f, "%d", &level) != 1)
			level = 2;
		fclose(f);
	}
	return level > 0 && !(personality(0xffffffff) & ADDR_NO_RANDOMIZE);
}

// The worker executables live beside this one; the Windows reader of lab 01
// in the Win32 track's build beside it (other_abi.c).
static void
find_workers(struct run *r)
{
	static char w64[PATH_MAX + 32], other[PATH_MAX + 32], lib[PATH_MAX + 32];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char *slash;

	if (n < 0)
		n = 0;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		slash[1] = '\0';
	snprintf(w64, sizeof w64, "%sshmlab-worker", self);
	snprintf(other, sizeof other, "%sshmlab-worker-other", self);
	snprintf(lib, sizeof lib, "%s../lib/libshmlab.so", self);
	r->worker64 = w64;
	other_abi_find(r, self);
	r->worker_other = access(other, X_OK) == 0 ? other : NULL;
	if (r->impl == NULL)
		r->impl = getenv("SHMLAB_IMPL") && *getenv("SHMLAB_IMPL") ? getenv("SHMLAB_IMPL") : lib;
}

static int
skip(const struct run *r, const struct outputs *o, const char *why)
{
	char replay[600];

	replay_line(replay, sizeof replay, r, progname);
	if (o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "scenario", json_object_new_string(r->sc->name));
		json_object_object_add(j, "strategy", json_object_new_string(strategy_name(r->strategy)));
		json_object_object_add(j, "seed", json_object_new_uint64(r->seed));
		json_object_object_add(j, "procs", json_object_new_int(r->procs));
		json_object_object_add(j, "timeout_ms", json_object_new_int(r->timeout_ms));
		json_object_object_add(j, "region", NULL);
		json_object_object_add(j, "expected", json_object_new_string(expectation(r)));
		json_object_object_add(j, "verdict", json_object_new_string("skipped"));
		json_object_object_add(j, "handout", r->sc->handout ? json_object_new_string(r->sc->handout) : NULL);
		json_object_object_add(j, "rule", r->sc->rule ? json_object_new_string(r->sc->rule) : NULL);
		json_object_object_add(j, "impl", r->sc->flags & CONTRACT ? json_object_new_string(r->impl) : NULL);
		json_object_object_add(j, "contract_version", r->sc->flags & CONTRACT
		    ? json_object_new_int(r->impl_version) : NULL);
		json_object_object_add(j, "replay", json_object_new_string(replay));
		json_object_object_add(j, "result", json_object_new_string("SKIP"));
		json_object_object_add(j, "problem", json_object_new_string(why));
		json_object_object_add(j, "workers", json_object_new_array());
		json_object_to_file_ext(o->json, j, JSON_C_TO_STRING_PRETTY);
		json_object_put(j);
	}
	printf("%s  strategy %s: SKIP: %s\n", r->sc->name, strategy_name(r->strategy), why);
	return EXIT_SKIP;
}

static int
run(int argc, char **argv)
{
	static struct run r = { .procs = 2, .strategy = DISTINCT, .timeout_ms = 10000 };
	struct outputs o = { 0 };
	char why[600];
	int which;
	uint64_t seed;

	if (parse_run(argc, argv, &r, &o, usage) < 0)
		return EXIT_USAGE;
	if (!o.seed_given && getrandom(&seed, sizeof seed, 0) == sizeof seed)
		r.seed = seed & UINT32_MAX;
	find_workers(&r);
	if (access(r.worker64, X_OK) < 0) {
		fprintf(stderr, "shmlab-harness: cannot find the worker program %s: build it (cmake --build build)\n",
		    r.worker64);
		return EXIT_USAGE;
	}
	if (r.sc->flags & CONTRACT) {
		struct impl im;
		char whyload[400], names[64];
		if (impl_load(&im, r.impl, whyload, sizeof whyload) < 0) {
			fprintf(stderr, "shmlab-harness: %s\n", whyload);
			return EXIT_USAGE;
		}
		r.impl_version = im.version;
		if (r.sc->features & ~im.features) {
			snprintf(whyload, sizeof whyload, "%s not supported by %s (its shmlab_features() does not "
			    "declare it)", feature_list(r.sc->features & ~im.features, names, sizeof names), r.impl);
			return skip(&r, &o, whyload);
		}
	}
	if ((r.sc->flags & MIXED_ABI) && r.procs > 1 && r.strategy != FORK && !other_abi_ready(&r, why, sizeof why))
		return skip(&r, &o, why);
	if ((r.sc->flags & OTHER_BUILD) && r.worker_other == NULL)
		return skip(&r, &o, "needs shmlab-worker-other, the second build of the worker: build it");
	if ((r.sc->flags & NEEDS_ASLR) && !aslr_is_on())
		return skip(&r, &o, "address randomization is off (kernel.randomize_va_space is 0, or the "
		    "harness runs under setarch -R or a debugger), so one program loads at one address in "
		    "every process and its function pointers would work by accident");
	// Wine places a view, as Windows does, only at a multiple of 64 KiB.
	if (choose_addresses_aligned(&r.plan, r.strategy, r.seed, r.procs, r.sc->region_size,
	    (r.sc->flags & MIXED_ABI) != 0, r.other_abi == OTHER_ABI_WIN64 ? 65536 : 4096, why, sizeof why) < 0) {
		fprintf(stderr, "shmlab-harness: %s\n", why);
		return EXIT_USAGE;
	}
	fflush(stdout);
	supervise(&r);
	if (wine_failed_to_start(&r, &which)) {
		fprintf(stderr, "shmlab-harness: Wine ended worker %d before it said a word (wait status %#x): "
		    "Wine failed to start it; running again, once\n", which, (unsigned)r.w[which].status);
		supervise(&r);
	}
	if (!o.quiet)
		report_text(stdout, &r, progname);
	if (o.json && report_json(o.json, &r, progname) < 0)
		fprintf(stderr, "shmlab-harness: cannot write %s\n", o.json);
	if (o.svg && report_svg(o.svg, &r) < 0)
		fprintf(stderr, "shmlab-harness: cannot write %s\n", o.svg);
	if (r.result == RESULT_ERROR)
		fprintf(stderr, "shmlab-harness: %s\n", r.problem);
	if (o.expect)
		return verdict_of(&r) == VERDICT_AS_PREDICTED ? 0 : verdict_of(&r) == VERDICT_ERROR ? EXIT_USAGE
		    : EXIT_FAILED;
	return r.result == RESULT_PASS ? 0 : r.result == RESULT_ERROR ? EXIT_USAGE : EXIT_FAILED;
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
	json_object *o = json_object_new_object();
	struct impl im;
	char why[400];
	int rc = 0;

	r.impl = path;
	find_workers(&r);
	json_object_object_add(o, "path", json_object_new_string(r.impl));
	if (impl_load(&im, r.impl, why, sizeof why) < 0) {
		json_object_object_add(o, "error", json_object_new_string(why));
		rc = EXIT_USAGE;
	} else {
		json_object_object_add(o, "version", json_object_new_int(im.version));
		json_object_object_add(o, "features", features_in(im.features));
	}
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return rc;
}

// `machine`: whether each reader of another ABI runs here (other_abi.h),
// one line each: "i386: runs", or "win64: cannot run: WHY". Exit 0.
static int
machine(void)
{
	static struct run r;
	char why[600];

	find_workers(&r);
	for (int a = OTHER_ABI_I386; a <= OTHER_ABI_WIN64; a++) {
		r.other_abi = (enum other_abi)a;
		if (other_abi_ready(&r, why, sizeof why))
			printf("%s: runs\n", a == OTHER_ABI_I386 ? "i386" : "win64");
		else
			printf("%s: cannot run: %s\n", a == OTHER_ABI_I386 ? "i386" : "win64", why);
	}
	return 0;
}

// shmlab-harness kill-test [--kills N] [--seed K] [--lock none|plain|robust]
//                          [--no-recovery] [--timeout-ms T] [--json FILE]
static int
kill_command(int argc, char **argv)
{
	struct kill_options o;
	char worker[PATH_MAX + 32], self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (getrandom(&o.seed, sizeof o.seed, 0) != sizeof o.seed)
		o.seed = (uint64_t)getpid();
	o.seed %= 1000000000;   // short enough to read out and type back
	if (kill_parse(argc, argv, &o) < 0)
		return fprintf(stderr, "%s", usage), EXIT_USAGE;
	self[n > 0 ? n : 0] = '\0';
	if (strrchr(self, '/'))
		strrchr(self, '/')[1] = '\0';
	snprintf(worker, sizeof worker, "%sshmlab-kill-worker", self);
	return kill_test(worker, &o, progname);
}

static int contract_command(void);

int
main(int argc, char **argv)
{
	const char *ci = getenv("CI");

	progname = argv[0];
	report_color = isatty(1) && getenv("NO_COLOR") == NULL && (ci == NULL || *ci == '\0');
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return list_plain(), 0;
	if (argc == 3 && strcmp(argv[1], "list") == 0 && strcmp(argv[2], "--json") == 0)
		return list_json(), 0;
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "kill-test") == 0)
		return kill_command(argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "machine") == 0)
		return machine();
	if ((argc == 2 || argc == 3) && strcmp(argv[1], "impl") == 0)
		return describe_impl(argc == 3 ? argv[2] : NULL);
	if (argc == 2 && strcmp(argv[1], "contract") == 0)
		return contract_command();
	fprintf(stderr, "%s", usage);
	return EXIT_USAGE;
}

// `contract`: the contract this harness tests, as JSON: its version
// ("MAJOR.MINOR", and as shmlab_contract_version() returns it) and the names
// and bits of its optional feature sets, so that no consumer copies them from
// the header. Exit 0.
static int
contract_command(void)
{
	json_object *o = json_object_new_object(), *f = json_object_new_object();
	char text[32];

	snprintf(text, sizeof text, "%d.%d", SHMLAB_CONTRACT_MAJOR, SHMLAB_CONTRACT_MINOR);
	json_object_object_add(o, "version", json_object_new_string(text));
	json_object_object_add(o, "version_number", json_object_new_int(SHMLAB_CONTRACT_MAJOR * 100
	    + SHMLAB_CONTRACT_MINOR));
	for (size_t i = 0; i < NFEATURES; i++)
		json_object_object_add(f, feature_names[i].name, json_object_new_int((int)feature_names[i].bit));
	json_object_object_add(o, "features", f);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return 0;
}
