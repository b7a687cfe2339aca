#ifndef SLUICE_ALLOCATION_COUNTER_H
#define SLUICE_ALLOCATION_COUNTER_H

/// Allocations (malloc, calloc, realloc, aligned allocations) made by the calling thread so far.
unsigned long sluice_thread_allocations(void);

#endif
