#include "lake_support.h"

/* Any libc header defines __GLIBC__ (through <features.h>); without one, the checks below saw
   it undefined and every function here silently did nothing. */
#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* mallopt(option, value), or 0 where the C library is not glibc. */
static int set_malloc_option(int option, int value) {
#if defined(__GLIBC__)
    return mallopt(option, value);
#else
    (void)option;
    (void)value;
    return 0;
#endif
}

#if !defined(__GLIBC__)
#define M_ARENA_MAX 0
#define M_MMAP_THRESHOLD 0
#endif

int lake_malloc_arena_max(int arenas) { return set_malloc_option(M_ARENA_MAX, arenas); }

int lake_malloc_mmap_threshold(int bytes) { return set_malloc_option(M_MMAP_THRESHOLD, bytes); }

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
int lake_set_thread_nice(int nice) { return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice); }
#else
int lake_set_thread_nice(int nice) {
    (void)nice;
    return -1;
}
#endif
