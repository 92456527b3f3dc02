// A limit of this process, in the words of ulimit(1): how the harness and
// its workers say what ran short.
#ifndef SHMLAB_RLIMITS_H
#define SHMLAB_RLIMITS_H

#include <stddef.h>

// "unlimited", "1024", or for RLIMIT_AS "30000 KiB"; in buf, or a constant.
const char *limit_of(int resource, char *buf, size_t len);

#endif
