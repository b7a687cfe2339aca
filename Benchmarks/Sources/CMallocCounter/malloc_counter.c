// Counts heap allocations by replacing the malloc family in this executable (glibc lets a program
// provide its own malloc, calloc, realloc and free) and forwarding to glibc's implementation.
// A per-thread counter lets the benchmark count what the logging *caller* allocates.
#define _GNU_SOURCE
#include "malloc_counter.h"

#include <errno.h>
#include <stddef.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);

static _Thread_local uint64_t thread_allocations;
// Allocations of 64 KiB or more: the size of a pipeline's queue chunks, so the benchmark can say
// which of the caller's allocations were queue memory.
static _Thread_local uint64_t thread_large_allocations;
static _Atomic uint64_t total_allocations;

// Per-thread counts that outlive their thread, so the benchmark can report what a pipeline's own
// threads (collector, sinks) allocated and freed, by thread id (the parent maps ids to names).
#define SLOTS 4096
struct slot {
    _Atomic int32_t tid;
    _Atomic uint64_t allocations;
    _Atomic uint64_t frees;
};
static struct slot slots[SLOTS];
static _Atomic int used_slots;
static _Thread_local int my_slot = -1;

static inline struct slot *current_slot(void) {
    if (my_slot < 0) {
        int index = atomic_fetch_add_explicit(&used_slots, 1, memory_order_relaxed);
        if (index >= SLOTS) {
            index = SLOTS - 1;  // shared overflow slot
        }
        my_slot = index;
        atomic_store_explicit(&slots[index].tid, (int32_t)syscall(SYS_gettid), memory_order_relaxed);
    }
    return &slots[my_slot];
}

static inline void count_one(size_t size) {
    thread_allocations += 1;
    if (size >= 65536) {
        thread_large_allocations += 1;
    }
    atomic_fetch_add_explicit(&total_allocations, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&current_slot()->allocations, 1, memory_order_relaxed);
}

int sluice_bench_thread_slots(void) {
    int used = atomic_load_explicit(&used_slots, memory_order_relaxed);
    return used < SLOTS ? used : SLOTS;
}

void sluice_bench_thread_slot(int index, int32_t *tid, uint64_t *allocations, uint64_t *frees) {
    *tid = atomic_load_explicit(&slots[index].tid, memory_order_relaxed);
    *allocations = atomic_load_explicit(&slots[index].allocations, memory_order_relaxed);
    *frees = atomic_load_explicit(&slots[index].frees, memory_order_relaxed);
}

uint64_t sluice_bench_thread_allocations(void) { return thread_allocations; }

uint64_t sluice_bench_thread_large_allocations(void) { return thread_large_allocations; }

uint64_t sluice_bench_total_allocations(void) {
    return atomic_load_explicit(&total_allocations, memory_order_relaxed);
}

void *malloc(size_t size) {
    count_one(size);
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_one(count * size);
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    count_one(size);
    return __libc_realloc(pointer, size);
}

void free(void *pointer) {
    if (pointer != NULL) {
        atomic_fetch_add_explicit(&current_slot()->frees, 1, memory_order_relaxed);
    }
    __libc_free(pointer);
}

void *memalign(size_t alignment, size_t size) {
    count_one(size);
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_one(size);
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) {
        return EINVAL;
    }
    count_one(size);
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL && size != 0) {
        return ENOMEM;
    }
    *result = pointer;
    return 0;
}
