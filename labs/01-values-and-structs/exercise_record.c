// 01-exercise-record: the proof of lab 01's exercise. Worker 0, a 64-bit
// process, writes your struct sample (exercise_record.h) with known values;
// every worker reads them back, the odd ones built for another ABI (i386,
// or 64-bit Windows under Wine). It passes once every ABI lays the record
// out alike, and no sooner: the starter fails as 01-layout-broken does. A
// reader that finds a field wrong names it, with the value it read and the
// offset its own ABI gives the field.
#include <stdio.h>
#include <string.h>

#include "exercise_record.h"
#include "scenario.h"

#define KIND    'S'
#define COUNT   42
#define LENGTH  4096
#define MEAN    2.5
#define TOTAL   1234567890123LL

static int
write_sample(struct worker *w, const struct shmlab_view *v)
{
	struct sample *s = (struct sample *)v->base;

	(void)w;
	memset(s, 0, sizeof *s);        // the padding too: every reader sees the same bytes
	s->kind = KIND;
	s->count = COUNT;
	s->length = LENGTH;
	s->valid = 1;
	s->mean = MEAN;
	s->total = TOTAL;
	return 0;
}

// A field's bytes as an integer (x86 is little-endian): a bool read at the
// wrong offset may hold neither 0 nor 1, which no bool may.
static unsigned long long
bytes_of(const void *p, size_t n)
{
	unsigned long long v = 0;

	memcpy(&v, p, n < sizeof v ? n : sizeof v);
	return v;
}

// Appends "name=value@offset " to buf while it fits in room, else "..." once.
static void
note(char *buf, size_t room, const char *name, const char *value, size_t offset)
{
	size_t used = strlen(buf);
	int n = snprintf(buf + used, room - used, "%s=%s@%zu ", name, value, offset);

	if (n < 0 || (size_t)n >= room - used) {
		buf[used] = '\0';
		if (used + 4 < room && (used < 4 || strcmp(buf + used - 4, "... ") != 0))
			strcat(buf, "... ");
	}
}

static int
read_sample(struct worker *w, const struct shmlab_view *v)
{
	const struct sample *s = (const struct sample *)v->base;
	const char *model = sizeof(long) == 8 ? "LP64" : sizeof(void *) == 8 ? "LLP64" : "ILP32";
	const char *run = "run build/bin/shmlab-check labs/01-values-and-structs/exercise_record.h";
	char head[80], wrong[sizeof w->message], value[32];
	size_t room;

	// What the reader saw, the run's command last: it must fit fail()'s message.
	snprintf(head, sizeof head, "%s reader, sizeof(struct sample) %zu, read field=value@offset: ", model,
	    sizeof *s);
	room = sizeof w->message - strlen(head) - strlen("; ") - strlen(run);
	wrong[0] = '\0';
#define CHECK(field, ok, fmt, cast)                                                             \
	if (!(ok)) {                                                                            \
		snprintf(value, sizeof value, fmt, (cast)s->field);                             \
		note(wrong, room, #field, value, offsetof(struct sample, field));               \
	}
	CHECK(kind, (long long)s->kind == KIND, "%lld", long long)
	CHECK(count, (long long)s->count == COUNT, "%lld", long long)
	CHECK(length, (unsigned long long)s->length == LENGTH, "%llu", unsigned long long)
	if (bytes_of(&s->valid, sizeof s->valid) != 1) {
		snprintf(value, sizeof value, "%llu", bytes_of(&s->valid, sizeof s->valid));
		note(wrong, room, "valid", value, offsetof(struct sample, valid));
	}
	CHECK(mean, (double)s->mean == MEAN, "%g", double)
	CHECK(total, (long long)s->total == TOTAL, "%lld", long long)
#undef CHECK
	if (wrong[0]) {
		wrong[strlen(wrong) - 1] = '\0';      // the last note's space
		return fail(w, "%s%s; %s", head, wrong, run);
	}
	return 0;
}

const struct scenario lab01_exercise_record = {
	.name = "01-exercise-record",
	.summary = "your struct sample (exercise_record.h), written by a 64-bit worker and read by another ABI",
	.handout = "labs/01-values-and-structs/README.md#exercise",
	.region_size = 65536,
	.flags = MIXED_ABI | EXERCISE,
	.passes_under = ALL_STRATEGIES,         // a record laid out alike on every ABI passes everywhere
	.caught_under = 0,                      // the outcome is the learner's: nothing is predicted caught
	.prepare = write_sample,
	.run = read_sample,
};
