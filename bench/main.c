/*
 * shmlab-bench: the reference measured against raw pointers, Boost and
 * glibc, in one run, every figure beside its baseline from the same run.
 *
 *   shmlab-bench [--quick] [--reps N] [--json FILE]
 *
 * --quick measures fewer sizes with fewer repetitions (under 30 s); the
 * full run takes a few minutes. The table goes to stdout, progress to
 * stderr, and --json FILE writes the same figures (docs/performance.md
 * names the keys). A figure that could not be measured (no Boost, no right
 * to ptrace) is shown as "-" and is null in the JSON.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "json.h"

static void
progress(const char *what)
{
	fprintf(stderr, "shmlab-bench: %s\n", what);
}

static void
cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
			snprintf(buf, len, "%s", strchr(line, ':') + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
}

// A figure, or null for one not measured (negative).
static void
json_figure(struct json *j, const char *key, double x)
{
	json_key(j, key);
	if (x < 0)
		json_null(j);
	else
		json_double(j, x);
}

// x as a multiple of its baseline, or null if either was not measured.
static void
json_ratio(struct json *j, const char *key, double x, double base)
{
	json_figure(j, key, x < 0 || base <= 0 ? -1 : x / base);
}

// "1.23x", or "-" for a figure not measured.
static const char *
times(double x, double base, char *buf)
{
	if (x < 0 || base <= 0)
		return "-";
	snprintf(buf, 16, "%.2fx", x / base);
	return buf;
}

static const char *
fig(double x, const char *fmt, char *buf)
{
	if (x < 0)
		return "-";
	snprintf(buf, 24, fmt, x);
	return buf;
}

static void
print_chase(const struct chase_result *c, int n)
{
	char b[6][24];

	printf("\n1. Chasing a shuffled list: ns per hop, and each way as a multiple of raw pointers\n");
	printf("%10s %8s %8s %10s %10s %10s %10s\n", "nodes", "raw ns", "offset", "checked", "call", "self-rel", "boost");
	for (int i = 0; i < n; i++) {
		printf("%10llu %8s %8s %10s %10s %10s %10s\n", (unsigned long long)c[i].nodes,
		    fig(c[i].raw, "%.2f", b[0]), times(c[i].offset, c[i].raw, b[1]),
		    times(c[i].offset_checked, c[i].raw, b[2]), times(c[i].offset_checked_call, c[i].raw, b[3]),
		    times(c[i].self_relative, c[i].raw, b[4]), times(c[i].boost_offset_ptr, c[i].raw, b[5]));
	}
}

static void
print_alloc(const struct alloc_result *a, int n)
{
	char b[5][24];

	printf("\n2. Allocate+free, 16..256 B in batches: millions of pairs per second, all processes\n");
	printf("%6s %10s %10s %12s %10s %14s\n", "procs", "shmlab", "boost", "shmlab/boost", "malloc", "shmlab/malloc");
	for (int i = 0; i < n; i++) {
		printf("%6d %10s %10s %12s %10s %14s\n", a[i].procs, fig(a[i].shmlab_mops, "%.2f", b[0]),
		    fig(a[i].boost_mops, "%.2f", b[1]), times(a[i].shmlab_mops, a[i].boost_mops, b[2]),
		    fig(a[i].malloc_mops, "%.2f", b[3]), times(a[i].shmlab_mops, a[i].malloc_mops, b[4]));
	}
}

static void
print_ipc(const struct ipc_result *r)
{
	char b[5][24];

	printf("\n3. Passing a descriptor, 4. a global id: microseconds, and multiples of the baseline\n");
	printf("  %-34s %8s\n", "socket round trip (baseline)", fig(r->pipe_rtt_us, "%.2f", b[0]));
	printf("  %-34s %8s  %s\n", "SCM_RIGHTS round trip", fig(r->scm_rights_us, "%.2f", b[1]),
	    times(r->scm_rights_us, r->pipe_rtt_us, b[4]));
	printf("  %-34s %8s  %s\n", "SysV queue round trip, by id", fig(r->sysv_rtt_us, "%.2f", b[2]),
	    times(r->sysv_rtt_us, r->pipe_rtt_us, b[4]));
	printf("  %-34s %8s\n", "dup + close (baseline)", fig(r->dup_us, "%.3f", b[3]));
	printf("  %-34s %8s  %s\n", "pidfd_getfd + close", fig(r->pidfd_getfd_us, "%.3f", b[0]),
	    times(r->pidfd_getfd_us, r->dup_us, b[4]));
}

static void
print_win32(const struct win32_result *w, const char *why)
{
	char b[4][24], x[2][16];

	if (why[0]) {
		printf("  Win32 under Wine: not measured (%s)\n", why);
		return;
	}
	printf("  %-34s %8s\n", "Wine: event round trip (baseline)", fig(w->event_rtt_us, "%.2f", b[0]));
	printf("  %-34s %8s  %s\n", "Wine: HWND PostMessage round trip", fig(w->hwnd_rtt_us, "%.2f", b[1]),
	    times(w->hwnd_rtt_us, w->event_rtt_us, x[0]));
	printf("  %-34s %8s\n", "Wine: DuplicateHandle, same process", fig(w->dup_local_us, "%.3f", b[2]));
	printf("  %-34s %8s  %s\n", "Wine: DuplicateHandle, into another", fig(w->dup_remote_us, "%.3f", b[3]),
	    times(w->dup_remote_us, w->dup_local_us, x[1]));
}

static void
print_harness(const struct harness_result *h, int n, double suite_s)
{
	char b[3][24];

	printf("\n5. The harness: ms to run N workers of 00-selftest-pass, beside spawning N /bin/true\n");
	printf("%6s %12s %12s %8s\n", "procs", "harness ms", "spawn ms", "ratio");
	for (int i = 0; i < n; i++) {
		printf("%6d %12s %12s %8s\n", h[i].procs, fig(h[i].harness_ms, "%.1f", b[0]),
		    fig(h[i].spawn_ms, "%.2f", b[1]), times(h[i].harness_ms, h[i].spawn_ms, b[2]));
	}
	printf("  POSIX conformance suite on the reference (ctest -L conformance): %s\n",
	    suite_s < 0 ? "- (not run: --quick, or no ctest)" : fig(suite_s, "%.1f s", b[0]));
}

static void
print_machine(const struct bench_opts *o)
{
	struct utsname u;
	char model[128];

	cpu_model(model, sizeof model);
	uname(&u);
	printf("shmlab-bench%s: %s, %ld cores, Linux %s; median of %d runs per figure\n",
	    o->quick ? " --quick" : "", model, sysconf(_SC_NPROCESSORS_ONLN), u.release, o->reps);
}

// Every figure of one run of the benchmark, for the page and the JSON.
struct figures {
	struct chase_result chase[3];
	int nchase;
	struct alloc_result alloc[3];
	struct ipc_result ipc;
	struct win32_result win32;
	char win32_why[120];            // "" if Wine was measured
	struct harness_result harness[3];
	double suite;                   // seconds, or -1
};

static void
json_machine(struct json *j, const struct bench_opts *o)
{
	struct utsname u;
	char model[128];

	cpu_model(model, sizeof model);
	uname(&u);
	json_key(j, "machine"), json_open_object(j);
	json_key(j, "cpu"), json_string(j, model);
	json_key(j, "cores"), json_int(j, sysconf(_SC_NPROCESSORS_ONLN));
	json_key(j, "kernel"), json_string(j, u.release);
	json_close_object(j);
	json_key(j, "quick"), json_bool(j, o->quick);
	json_key(j, "repetitions"), json_int(j, o->reps);
}

static void
json_chase(struct json *j, const struct figures *f)
{
	json_key(j, "chase"), json_open_array(j);
	for (int i = 0; i < f->nchase; i++) {
		const struct chase_result *c = &f->chase[i];
		json_open_object(j);
		json_key(j, "nodes"), json_uint(j, c->nodes);
		json_figure(j, "raw_ns_per_hop", c->raw);
		json_key(j, "ratio"), json_open_object(j);
		json_ratio(j, "offset", c->offset, c->raw);
		json_ratio(j, "offset_checked", c->offset_checked, c->raw);
		json_ratio(j, "offset_checked_call", c->offset_checked_call, c->raw);
		json_ratio(j, "self_relative", c->self_relative, c->raw);
		json_ratio(j, "boost_offset_ptr", c->boost_offset_ptr, c->raw);
		json_close_object(j);
		json_close_object(j);
	}
	json_close_array(j);
}

static void
json_alloc(struct json *j, const struct figures *f)
{
	json_key(j, "alloc"), json_open_array(j);
	for (int i = 0; i < 3; i++) {
		json_open_object(j);
		json_key(j, "procs"), json_int(j, f->alloc[i].procs);
		json_figure(j, "shmlab_mops", f->alloc[i].shmlab_mops);
		json_figure(j, "boost_mops", f->alloc[i].boost_mops);
		json_figure(j, "malloc_mops", f->alloc[i].malloc_mops);
		json_close_object(j);
	}
	json_close_array(j);
}

static void
json_ipc(struct json *j, const struct figures *f)
{
	json_key(j, "ipc"), json_open_object(j);
	json_figure(j, "socket_rtt_us", f->ipc.pipe_rtt_us);
	json_figure(j, "scm_rights_rtt_us", f->ipc.scm_rights_us);
	json_figure(j, "sysv_rtt_us", f->ipc.sysv_rtt_us);
	json_figure(j, "dup_close_us", f->ipc.dup_us);
	json_figure(j, "pidfd_getfd_close_us", f->ipc.pidfd_getfd_us);
	json_close_object(j);
	json_key(j, "win32");
	if (f->win32_why[0]) {
		json_null(j);
		return;
	}
	json_open_object(j);
	json_figure(j, "event_rtt_us", f->win32.event_rtt_us);
	json_figure(j, "hwnd_rtt_us", f->win32.hwnd_rtt_us);
	json_figure(j, "duplicate_local_us", f->win32.dup_local_us);
	json_figure(j, "duplicate_remote_us", f->win32.dup_remote_us);
	json_close_object(j);
}

static void
json_harness(struct json *j, const struct figures *f)
{
	json_key(j, "harness"), json_open_array(j);
	for (int i = 0; i < 3; i++) {
		json_open_object(j);
		json_key(j, "procs"), json_int(j, f->harness[i].procs);
		json_figure(j, "harness_ms", f->harness[i].harness_ms);
		json_figure(j, "spawn_ms", f->harness[i].spawn_ms);
		json_close_object(j);
	}
	json_close_array(j);
	json_figure(j, "conformance_suite_s", f->suite);
}

// The figures as JSON, to path (docs/performance.md names the keys).
// Returns 0, or -1 if path cannot be written.
static int
write_json(const char *path, const struct bench_opts *o, const struct figures *f)
{
	FILE *out = fopen(path, "w");
	struct json j;

	if (out == NULL)
		return -1;
	json_begin(&j, out, 1);
	json_open_object(&j);
	json_machine(&j, o);
	json_chase(&j, f);
	json_alloc(&j, f);
	json_ipc(&j, f);
	json_harness(&j, f);
	json_close_object(&j);
	return json_end(&j) | fclose(out) ? -1 : 0;
}

// The harness and the build directory, beside this program.
static void
find_siblings(struct bench_opts *o)
{
	static char harness[PATH_MAX + 32], build[PATH_MAX + 8];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char *slash;

	self[n > 0 ? n : 0] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	snprintf(harness, sizeof harness, "%s/shmlab-harness", self);
	snprintf(build, sizeof build, "%s/..", self);
	o->harness = harness;
	o->build_dir = build;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", 0, 0, 'q' }, { "json", 1, 0, 'j' }, { "reps", 1, 0, 'r' }, { 0, 0, 0, 0 },
	};
	struct bench_opts o = { .reps = 5 };
	const char *json = NULL;
	static struct figures f = { .win32_why = "--quick leaves Wine out", .suite = -1 };
	static const uint64_t sizes[] = { 4096, 65536, 4194304 };
	static const int procs[] = { 1, 2, 4 };
	int c, reps_given = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'q': o.quick = 1; break;
		case 'j': json = optarg; break;
		case 'r': o.reps = atoi(optarg); reps_given = 1; break;
		default:
			fprintf(stderr, "usage: shmlab-bench [--quick] [--reps N] [--json FILE]\n");
			return 2;
		}
	}
	if (o.quick && !reps_given)
		o.reps = 3;
	if (o.reps < 1 || o.reps > REPS_MAX) {
		fprintf(stderr, "shmlab-bench: --reps takes 1 to %d\n", REPS_MAX);
		return 2;
	}
	find_siblings(&o);
	f.nchase = o.quick ? 2 : 3;
	print_machine(&o);
	for (int i = 0; i < f.nchase; i++) {
		char what[64];
		snprintf(what, sizeof what, "1/5 chasing a list of %llu nodes", (unsigned long long)sizes[i]);
		progress(what);
		bench_chase(&o, sizes[i], &f.chase[i]);
	}
	for (int i = 0; i < 3; i++) {
		char what[64];
		snprintf(what, sizeof what, "2/5 allocating in %d process%s", procs[i], procs[i] > 1 ? "es" : "");
		progress(what);
		bench_alloc(&o, procs[i], &f.alloc[i]);
	}
	progress("3-4/5 passing descriptors, SysV round trips");
	bench_ipc(&o, &f.ipc);
	if (!o.quick) {
		progress("3-4/5 DuplicateHandle and HWND round trips under Wine");
		bench_win32(&o, &f.win32, f.win32_why, sizeof f.win32_why);
	}
	progress("5/5 the harness");
	for (int i = 0; i < 3; i++)
		bench_harness(&o, procs[i] * 2, &f.harness[i]);
	if (!o.quick) {
		progress("5/5 the POSIX conformance suite (ctest -L conformance)");
		f.suite = bench_suite_seconds(&o);
	}
	print_chase(f.chase, f.nchase);
	print_alloc(f.alloc, 3);
	print_ipc(&f.ipc);
	print_win32(&f.win32, f.win32_why);
	print_harness(f.harness, 3, f.suite);
	if (json && write_json(json, &o, &f) < 0) {
		fprintf(stderr, "shmlab-bench: cannot write %s\n", json);
		return 1;
	}
	return 0;
}
