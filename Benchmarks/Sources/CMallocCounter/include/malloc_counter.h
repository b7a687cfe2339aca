#ifndef SLUICE_MALLOC_COUNTER_H
#define SLUICE_MALLOC_COUNTER_H

#include <stdint.h>

/// Allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) made by the calling
/// thread since it started.
uint64_t sluice_bench_thread_allocations(void);

/// Allocations made by every thread since the process started.
uint64_t sluice_bench_total_allocations(void);

#endif
