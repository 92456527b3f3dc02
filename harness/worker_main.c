// shmlab-worker: one worker process of a run. The harness starts it; see worker.c.
#include "worker.h"

int
main(int argc, char **argv)
{
	return worker_main(argc, argv);
}
