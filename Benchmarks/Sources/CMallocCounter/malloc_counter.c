// Counts heap allocations by replacing the malloc family in this executable (glibc lets a program
// provide its own malloc, calloc, realloc and free) and forwarding to glibc's implementation.
// A per-thread counter lets the benchmark count what the logging *caller* allocates.
#define _GNU_SOURCE
#include "malloc_counter.h"

#include <errno.h>
#include <stddef.h>
#include <stdatomic.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);

static _Thread_local uint64_t thread_allocations;
static _Atomic uint64_t total_allocations;

static inline void count_one(void) {
    thread_allocations += 1;
    atomic_fetch_add_explicit(&total_allocations, 1, memory_order_relaxed);
}

uint64_t sluice_bench_thread_allocations(void) { return thread_allocations; }

uint64_t sluice_bench_total_allocations(void) {
    return atomic_load_explicit(&total_allocations, memory_order_relaxed);
}

void *malloc(size_t size) {
    count_one();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_one();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    count_one();
    return __libc_realloc(pointer, size);
}

void free(void *pointer) { __libc_free(pointer); }

void *memalign(size_t alignment, size_t size) {
    count_one();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_one();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) {
        return EINVAL;
    }
    count_one();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL && size != 0) {
        return ENOMEM;
    }
    *result = pointer;
    return 0;
}
