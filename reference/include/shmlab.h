// shmlab reference library: what may live in memory shared between processes.
#ifndef SHMLAB_H
#define SHMLAB_H
#include "shmlab/region.h"
#include "shmlab/offset.h"
#include "shmlab/relptr.h"
#include "shmlab/root.h"
#include "shmlab/alloc.h"
#include "shmlab/handles.h"
#include "shmlab/global_ids.h"
#include "shmlab/sync.h"
#include "shmlab/contract.h"
#endif
