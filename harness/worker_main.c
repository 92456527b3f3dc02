// shmlab-worker: one worker process of a run. The harness starts it; see worker.c.
#include <string.h>

#include "worker.h"

int
main(int argc, char **argv)
{
	// The harness asks before a mixed-ABI run whether this program runs here.
	if (argc == 2 && strcmp(argv[1], "--abi") == 0)
		return (int)sizeof(void *) * 8;
	return worker_main(argc, argv);
}
