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
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

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

static json_object *
num(double x)
{
	return x < 0 ? NULL : json_object_new_double(x);
}

static json_object *
ratio(double x, double base)
{
	return x < 0 || base <= 0 ? NULL : json_object_new_double(x / base);
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
print_chase(const struct chase_result *c, int n, json_object *root)
{
	json_object *a = json_object_new_array();
	char b[6][24];

	printf("\n1. Chasing a shuffled list: ns per hop, and each way as a multiple of raw pointers\n");
	printf("%10s %8s %8s %10s %10s %10s %10s\n", "nodes", "raw ns", "offset", "checked", "call", "self-rel", "boost");
	for (int i = 0; i < n; i++) {
		json_object *o = json_object_new_object(), *r = json_object_new_object();
		printf("%10llu %8s %8s %10s %10s %10s %10s\n", (unsigned long long)c[i].nodes,
		    fig(c[i].raw, "%.2f", b[0]), times(c[i].offset, c[i].raw, b[1]),
		    times(c[i].offset_checked, c[i].raw, b[2]), times(c[i].offset_checked_call, c[i].raw, b[3]),
		    times(c[i].self_relative, c[i].raw, b[4]), times(c[i].boost_offset_ptr, c[i].raw, b[5]));
		json_object_object_add(o, "nodes", json_object_new_int64((int64_t)c[i].nodes));
		json_object_object_add(o, "raw_ns_per_hop", num(c[i].raw));
		json_object_object_add(r, "offset", ratio(c[i].offset, c[i].raw));
		json_object_object_add(r, "offset_checked", ratio(c[i].offset_checked, c[i].raw));
		json_object_object_add(r, "offset_checked_call", ratio(c[i].offset_checked_call, c[i].raw));
		json_object_object_add(r, "self_relative", ratio(c[i].self_relative, c[i].raw));
		json_object_object_add(r, "boost_offset_ptr", ratio(c[i].boost_offset_ptr, c[i].raw));
		json_object_object_add(o, "ratio", r);
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "chase", a);
}

static void
print_alloc(const struct alloc_result *a, int n, json_object *root)
{
	json_object *arr = json_object_new_array();
	char b[5][24];

	printf("\n2. Allocate+free, 16..256 B in batches: millions of pairs per second, all processes\n");
	printf("%6s %10s %10s %12s %10s %14s\n", "procs", "shmlab", "boost", "shmlab/boost", "malloc", "shmlab/malloc");
	for (int i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		printf("%6d %10s %10s %12s %10s %14s\n", a[i].procs, fig(a[i].shmlab_mops, "%.2f", b[0]),
		    fig(a[i].boost_mops, "%.2f", b[1]), times(a[i].shmlab_mops, a[i].boost_mops, b[2]),
		    fig(a[i].malloc_mops, "%.2f", b[3]), times(a[i].shmlab_mops, a[i].malloc_mops, b[4]));
		json_object_object_add(o, "procs", json_object_new_int(a[i].procs));
		json_object_object_add(o, "shmlab_mops", num(a[i].shmlab_mops));
		json_object_object_add(o, "boost_mops", num(a[i].boost_mops));
		json_object_object_add(o, "malloc_mops", num(a[i].malloc_mops));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "alloc", arr);
}

static void
print_ipc(const struct ipc_result *r, json_object *root)
{
	json_object *o = json_object_new_object();
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
	json_object_object_add(o, "socket_rtt_us", num(r->pipe_rtt_us));
	json_object_object_add(o, "scm_rights_rtt_us", num(r->scm_rights_us));
	json_object_object_add(o, "sysv_rtt_us", num(r->sysv_rtt_us));
	json_object_object_add(o, "dup_close_us", num(r->dup_us));
	json_object_object_add(o, "pidfd_getfd_close_us", num(r->pidfd_getfd_us));
	json_object_object_add(root, "ipc", o);
}

static void
print_win32(const struct win32_result *w, const char *why, json_object *root)
{
	json_object *o;
	char b[4][24], x[2][16];

	if (why[0]) {
		printf("  Win32 under Wine: not measured (%s)\n", why);
		json_object_object_add(root, "win32", NULL);
		return;
	}
	o = json_object_new_object();
	printf("  %-34s %8s\n", "Wine: event round trip (baseline)", fig(w->event_rtt_us, "%.2f", b[0]));
	printf("  %-34s %8s  %s\n", "Wine: HWND PostMessage round trip", fig(w->hwnd_rtt_us, "%.2f", b[1]),
	    times(w->hwnd_rtt_us, w->event_rtt_us, x[0]));
	printf("  %-34s %8s\n", "Wine: DuplicateHandle, same process", fig(w->dup_local_us, "%.3f", b[2]));
	printf("  %-34s %8s  %s\n", "Wine: DuplicateHandle, into another", fig(w->dup_remote_us, "%.3f", b[3]),
	    times(w->dup_remote_us, w->dup_local_us, x[1]));
	json_object_object_add(o, "event_rtt_us", num(w->event_rtt_us));
	json_object_object_add(o, "hwnd_rtt_us", num(w->hwnd_rtt_us));
	json_object_object_add(o, "duplicate_local_us", num(w->dup_local_us));
	json_object_object_add(o, "duplicate_remote_us", num(w->dup_remote_us));
	json_object_object_add(root, "win32", o);
}

static void
print_harness(const struct harness_result *h, int n, double suite_s, json_object *root)
{
	json_object *arr = json_object_new_array();
	char b[3][24];

	printf("\n5. The harness: ms to run N workers of 00-selftest-pass, beside spawning N /bin/true\n");
	printf("%6s %12s %12s %8s\n", "procs", "harness ms", "spawn ms", "ratio");
	for (int i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		printf("%6d %12s %12s %8s\n", h[i].procs, fig(h[i].harness_ms, "%.1f", b[0]),
		    fig(h[i].spawn_ms, "%.2f", b[1]), times(h[i].harness_ms, h[i].spawn_ms, b[2]));
		json_object_object_add(o, "procs", json_object_new_int(h[i].procs));
		json_object_object_add(o, "harness_ms", num(h[i].harness_ms));
		json_object_object_add(o, "spawn_ms", num(h[i].spawn_ms));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "harness", arr);
	printf("  POSIX conformance suite on the reference (ctest -L conformance): %s\n",
	    suite_s < 0 ? "- (not run: --quick, or no ctest)" : fig(suite_s, "%.1f s", b[0]));
	json_object_object_add(root, "conformance_suite_s", num(suite_s));
}

static void
print_machine(const struct bench_opts *o, json_object *root)
{
	struct utsname u;
	char model[128];
	json_object *m = json_object_new_object();

	cpu_model(model, sizeof model);
	uname(&u);
	printf("shmlab-bench%s: %s, %ld cores, Linux %s; median of %d runs per figure\n",
	    o->quick ? " --quick" : "", model, sysconf(_SC_NPROCESSORS_ONLN), u.release, o->reps);
	json_object_object_add(m, "cpu", json_object_new_string(model));
	json_object_object_add(m, "cores", json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_object_add(m, "kernel", json_object_new_string(u.release));
	json_object_object_add(root, "machine", m);
	json_object_object_add(root, "quick", json_object_new_boolean(o->quick));
	json_object_object_add(root, "repetitions", json_object_new_int(o->reps));
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
	json_object *root = json_object_new_object();
	struct chase_result chase[3];
	struct alloc_result alloc[3];
	struct harness_result harness[3];
	struct ipc_result ipc;
	struct win32_result win32 = { 0 };
	char win32_why[120] = "--quick leaves Wine out";
	static const uint64_t sizes[] = { 4096, 65536, 4194304 };
	static const int procs[] = { 1, 2, 4 };
	double suite = -1;
	int c, nsizes, reps_given = 0;

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
	nsizes = o.quick ? 2 : 3;
	print_machine(&o, root);
	for (int i = 0; i < nsizes; i++) {
		char what[64];
		snprintf(what, sizeof what, "1/5 chasing a list of %llu nodes", (unsigned long long)sizes[i]);
		progress(what);
		bench_chase(&o, sizes[i], &chase[i]);
	}
	for (int i = 0; i < 3; i++) {
		char what[64];
		snprintf(what, sizeof what, "2/5 allocating in %d process%s", procs[i], procs[i] > 1 ? "es" : "");
		progress(what);
		bench_alloc(&o, procs[i], &alloc[i]);
	}
	progress("3-4/5 passing descriptors, SysV round trips");
	bench_ipc(&o, &ipc);
	if (!o.quick) {
		progress("3-4/5 DuplicateHandle and HWND round trips under Wine");
		bench_win32(&o, &win32, win32_why, sizeof win32_why);
	}
	progress("5/5 the harness");
	for (int i = 0; i < 3; i++)
		bench_harness(&o, procs[i] * 2, &harness[i]);
	if (!o.quick) {
		progress("5/5 the POSIX conformance suite (ctest -L conformance)");
		suite = bench_suite_seconds(&o);
	}
	print_chase(chase, nsizes, root);
	print_alloc(alloc, 3, root);
	print_ipc(&ipc, root);
	print_win32(&win32, win32_why, root);
	print_harness(harness, 3, suite, root);
	if (json && json_object_to_file_ext(json, root, JSON_C_TO_STRING_PRETTY) < 0) {
		fprintf(stderr, "shmlab-bench: cannot write %s\n", json);
		return 1;
	}
	json_object_put(root);
	return 0;
}
