// 02-exercise: a table of names. Each entry points at its name, and the names
// are stored in the region too. Run it under `distinct` and `fork`, predict
// what each does, then change `name` into something every process can use
// (an offset from the region's start, or an index into `text`) until it passes
// under all five strategies. The README's "Exercise" section walks you through.
#include <stdio.h>
#include <string.h>

#include "scenario.h"

#define ENTRIES 64

struct entry {
	const char *name;       // TODO: a pointer into the region. Replace it.
	uint32_t number;
	uint32_t pad;
};

struct table {
	struct entry entries[ENTRIES];
	char text[ENTRIES][16];         // the names themselves
};

static int
write_table(struct worker *w, const struct shmlab_view *v)
{
	struct table *t = (struct table *)v->base;

	(void)w;
	for (uint32_t i = 0; i < ENTRIES; i++) {
		snprintf(t->text[i], sizeof t->text[i], "entry-%u", i);
		t->entries[i].name = t->text[i];        // TODO: store what every view can use
		t->entries[i].number = i;
	}
	return 0;
}

static int
check_table(struct worker *w, const struct shmlab_view *v)
{
	const struct table *t = (const struct table *)v->base;
	char want[16];

	for (uint32_t i = 0; i < ENTRIES; i++) {
		const char *name = t->entries[i].name;  // TODO: turn what you stored back into a pointer
		snprintf(want, sizeof want, "entry-%u", i);
		if (strcmp(name, want) != 0)
			return fail(w, "entry %u is named '%.15s', expected '%s'", i, name, want);
	}
	return 0;
}

const struct scenario lab02_exercise = {
	.name = "02-exercise",
	.summary = "your turn: a table whose entries point at their names",
	.handout = "labs/02-raw-pointers/README.md#exercise",
	.region_size = 65536,
	.prepare = write_table,
	.run = check_table,
};
