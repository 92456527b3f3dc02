// The worker's side of a run; see worker.c.
#ifndef SHMLAB_WORKER_H
#define SHMLAB_WORKER_H

// Runs one worker as told by argv (built by the harness). Does not return
// once the worker has started: the process exits when its part is done.
int worker_main(int argc, char **argv);

#endif
