// Making a named region when /dev/shm is shared with other runs.
#ifndef SHMLAB_ROOM_H
#define SHMLAB_ROOM_H

#include <stdint.h>
#include "shmlab/region.h"

// How long a run waits for another to give /dev/shm back.
#define ROOM_WAIT_MS    20000

// shmlab_region_create(r, name, size), waiting up to ROOM_WAIT_MS for room
// on /dev/shm while other runs hold it. Returns 0, or -1 with errno: ENOSPC
// at once when size is more than all of /dev/shm, else once the wait is up.
int create_with_room(struct shmlab_region *r, const char *name, uint64_t size);

#endif
