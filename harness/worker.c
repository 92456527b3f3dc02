/*
 * A worker: one process that maps the region and runs its part of a
 * scenario, started by the harness with exec (CreateProcess on Windows) so
 * that it gets an address space of its own (its own heap, its own library
 * addresses, its own view).
 *
 * This half is the same on every system; worker.h says what the system's
 * half does. The worker obeys the harness's words (wire.h) and never waits
 * without a bound: every receive has a timeout, and the system's half ends
 * the process if the harness itself has gone. A fault is reported with the
 * address it touched, then ends the process as it would have, so the
 * harness also sees the real death.
 *
 * Under `fork` (POSIX), worker 0 prepares and then forks the others without
 * exec: they inherit its view at the same address and a copy of its heap.
 * That is the test set-up which hides pointer bugs, kept so it can be shown.
 * Windows has no fork; a Win32 scenario that needs a process of its own
 * starts one (win32/helpers_win32.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"

_Static_assert(2 + MAX_VIEWS <= WIRE_NUMS_MAX, "`mapped` carries a pid, the ABI and every base");
_Static_assert(6 <= WIRE_NUMS_MAX, "`ok` carries three ranges: heap, program, DLL");

typedef int step_fn(struct worker *, const struct shmlab_view *);

static void
say(struct job *j, enum wire_word word, const char *text)
{
	chan_tell(j->chan, &(struct wire_msg){ .word = word, .text = text });
}

// Every caller is a step of setting the worker up, before the scenario
// runs: one that failed because the machine ran short is the environment's
// (NOSTART: the run is an ERROR), not the code under test's.
_Noreturn void
give_up(struct job *j, const char *what)
{
	char why[CHAN_MSG_MAX], more[160];
	int err = errno;

	if (short_of(err, more, sizeof more)) {
		snprintf(why, sizeof why, "%s: %s%s", what, strerror(err), more);
		say(j, WIRE_NOSTART, why);
	} else {
		snprintf(why, sizeof why, "%s: %s", what, strerror(err));
		say(j, WIRE_ERROR, why);
	}
	leave(3);
}

static void
load_impl(struct job *j)
{
	char why[CHAN_MSG_MAX - 16];

	if (!(j->sc->flags & CONTRACT))
		return;
	if (j->impl_path == NULL || impl_load(&j->impl, j->impl_path, why, sizeof why) < 0) {
		say(j, WIRE_ERROR, j->impl_path ? why : "no implementation given (--impl)");
		leave(3);
	}
	j->w.impl = &j->impl;
}

// Opens and maps the region: as it came, when it came as a descriptor or a
// file; else by its name, through the library under test for a CONTRACT
// scenario (mapping at a given address is part of the contract), through
// the reference linked in otherwise. A HARNESS_MAPS scenario is mapped by
// the reference too: it tests functions that take a view and nothing else,
// and a learner writes them (lab 01) before the region functions (lab 02),
// so a rule of them must not fail for want of those.
static void
map_views(struct job *j)
{
	const struct impl *mapper = (j->sc->flags & HARNESS_MAPS) ? NULL : j->w.impl;
	char why[120];

	if (j->region == NULL)
		map_given_region(j);
	else if (impl_map_views(mapper, j->region, j->nviews, j->at, j->view, why, sizeof why) < 0)
		give_up(j, why);
}

void
announce(struct job *j)
{
	struct wire_msg m = { .word = WIRE_MAPPED, .nums = 2 + j->nviews,
		.num = { own_pid(), sizeof(void *) * 8 } };

	for (int v = 0; v < j->nviews; v++)
		m.num[2 + v] = (uintptr_t)j->view[v].base;
	chan_tell(j->chan, &m);
}

// Runs a step in view v with every other view inaccessible, so a reference
// that escapes the view it was read through faults instead of quietly
// reading the same bytes. A failed step is said, and ends the worker.
static void
run_through(struct job *j, step_fn *step, int v)
{
	if (step == NULL)
		return;
	for (int k = 0; k < j->nviews; k++)
		fence(&j->view[k], k == v);
	j->w.view = v;
	if (step(&j->w, &j->view[v]) < 0) {
		say(j, WIRE_FAIL, j->w.message);
		leave(1);
	}
}

static void
prepare(struct job *j)
{
	struct wire_msg ok = { .word = WIRE_OK, .nums = 6 };

	run_through(j, j->sc->prepare, 0);
	own_ranges(j->sc->dll, ok.num);
	chan_tell(j->chan, &ok);
	if (j->fork_chans_arg)
		fork_the_others(j);
}

static void
obey(struct job *j)
{
	char line[CHAN_MSG_MAX];
	struct wire_msg order;
	int n;

	for (;;) {
		n = chan_recv(j->hear, line, sizeof line, j->timeout_ms);
		if (n < 0)
			give_up(j, "no word from the harness");
		if (n == 0)
			leave(0);
		if (wire_parse(line, WIRE_FROM_HARNESS, &order) < 0)
			give_up(j, "the harness said what wire.h does not");
		switch (order.word) {
		case WIRE_PREPARE:
			prepare(j);
			break;
		case WIRE_RUN:
			for (int v = j->nviews - 1; v >= 0; v--)
				run_through(j, j->sc->run, v);
			say(j, WIRE_PASS, NULL);
			break;
		case WIRE_VERIFY:
			run_through(j, j->sc->verify, j->nviews - 1);
			say(j, WIRE_VERIFIED, NULL);
			break;
		case WIRE_QUIT:
		default:        // no other: wire_parse lets only the harness's words through
			leave(0);
		}
	}
}

static int
parse(struct job *j, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "index", 1, 0, 'i' }, { "procs", 1, 0, 'n' }, { "region", 1, 0, 'r' },
		{ "region-fd", 1, 0, 'd' }, { "region-file", 1, 0, 'F' }, { "chan", 1, 0, 'c' },
		{ "fork-chans", 1, 0, 'f' }, { "at", 1, 0, 'a' }, { "views", 1, 0, 'v' },
		{ "timeout-ms", 1, 0, 't' }, { "impl", 1, 0, 'l' }, { "seed", 1, 0, 's' },
		{ 0, 0, 0, 0 },
	};
	int c, nat = 0;

	j->w.procs = 1;
	j->nviews = 1;
	j->timeout_ms = 10000;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': j->w.index = atoi(optarg); break;
		case 'n': j->w.procs = atoi(optarg); break;
		case 'r': j->region = optarg; break;
		case 'd': j->w.region_fd = atoi(optarg); break;
		case 'F': j->region_file = optarg; break;
		case 'c': j->chan_arg = optarg; break;
		case 'f': j->fork_chans_arg = optarg; break;
		case 'v': j->nviews = atoi(optarg); break;
		case 't': j->timeout_ms = atoi(optarg); break;
		case 'l': j->impl_path = optarg; break;
		case 's': j->w.seed = strtoull(optarg, NULL, 0); break;
		case 'a':
			if (nat == MAX_VIEWS)
				return -1;
			j->at[nat++] = (uintptr_t)strtoull(optarg, NULL, 0);
			break;
		default: return -1;
		}
	}
	if (optind != argc - 1 || (j->region != NULL) + (j->w.region_fd >= 0) + (j->region_file != NULL) != 1
	    || j->nviews < 1 || j->nviews > MAX_VIEWS)
		return -1;
	j->w.views = j->nviews;
	j->sc = scenario_find(argv[optind]);
	return j->sc ? 0 : -1;
}

int
worker_main(int argc, char **argv)
{
	struct job j = { .w.region_fd = -1 };

	// The harness asks before a mixed-ABI run whether this program runs here.
	if (argc == 2 && strcmp(argv[1], "--abi") == 0)
		return (int)sizeof(void *) * 8;
	if (parse(&j, argc, argv) < 0 || reach_harness(&j) < 0) {
		fprintf(stderr, "shmlab worker: started with bad arguments; the harness starts workers\n");
		return 2;
	}
	guard(&j);
	load_impl(&j);
	map_views(&j);
	announce(&j);
	obey(&j);
	return 0;
}
