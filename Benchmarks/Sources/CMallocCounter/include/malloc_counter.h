#ifndef SLUICE_MALLOC_COUNTER_H
#define SLUICE_MALLOC_COUNTER_H

#include <stdint.h>

/// Allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) made by the calling
/// thread since it started.
uint64_t sluice_bench_thread_allocations(void);

/// Allocations of 64 KiB or more (a pipeline's queue chunk) made by the calling thread since it
/// started.
uint64_t sluice_bench_thread_large_allocations(void);

/// Allocations made by every thread since the process started.
uint64_t sluice_bench_total_allocations(void);

/// Threads that allocated or freed so far (each has a slot, kept after it exits).
int sluice_bench_thread_slots(void);

/// The kernel thread id, allocations and frees of slot `index`.
void sluice_bench_thread_slot(int index, int32_t *tid, uint64_t *allocations, uint64_t *frees);

#endif
