// The `run` command line, parsed the same way by both harnesses (run.h).
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

int
parse_run(int argc, char **argv, struct run *r, struct outputs *o, const char *usage)
{
	static const struct option opts[] = {
		{ "procs", 1, 0, 'n' }, { "strategy", 1, 0, 's' }, { "seed", 1, 0, 'k' },
		{ "timeout-ms", 1, 0, 't' }, { "json", 1, 0, 'j' }, { "svg", 1, 0, 'g' },
		{ "quiet", 0, 0, 'q' }, { "impl", 1, 0, 'l' }, { "other-abi", 1, 0, 'o' }, { "expect", 0, 0, 'e' },
		{ 0, 0, 0, 0 },
	};
	uint64_t n;
	int c;

	opterr = 0;             // our own messages, which name the program
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_number(optarg, MAX_PROCS, &n) < 0 || n < 1)
				return fprintf(stderr, "shmlab-harness: --procs takes 1 to %d\n", MAX_PROCS), -1;
			r->procs = (int)n;
			break;
		case 's':
			if (parse_strategy(optarg, &r->strategy) < 0)
				return fprintf(stderr, "shmlab-harness: no strategy '%s'\n", optarg), -1;
			break;
		case 'k':
			if (parse_number(optarg, UINT32_MAX, &n) < 0)
				return fprintf(stderr, "shmlab-harness: --seed takes 0 to %u\n", UINT32_MAX), -1;
			r->seed = n;
			o->seed_given = 1;
			break;
		case 't':
			if (parse_number(optarg, 600000, &n) < 0 || n < 100)
				return fprintf(stderr, "shmlab-harness: --timeout-ms takes 100 to 600000\n"), -1;
			r->timeout_ms = (int)n;
			break;
		case 'j': o->json = optarg; break;
		case 'g': o->svg = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'e': o->expect = 1; break;
		case 'l': r->impl = optarg; break;
		case 'o':
			if (strcmp(optarg, "i386") && strcmp(optarg, "win64") && strcmp(optarg, "auto"))
				return fprintf(stderr, "shmlab-harness: --other-abi takes i386, win64 or auto\n"), -1;
			r->other_abi = optarg[0] == 'i' ? OTHER_ABI_I386 : optarg[0] == 'w' ? OTHER_ABI_WIN64
			    : OTHER_ABI_AUTO;
			break;
		default:
			return fprintf(stderr, "shmlab-harness: bad option '%s'\n%s", argv[optind - 1], usage), -1;
		}
	}
	if (optind != argc - 1)
		return fprintf(stderr, "%s", usage), -1;
	if ((r->sc = scenario_find(argv[optind])) == NULL)
		return fprintf(stderr, "shmlab-harness: no scenario '%s' (see: shmlab-harness list)\n", argv[optind]), -1;
	return 0;
}
