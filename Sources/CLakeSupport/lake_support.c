#include "lake_support.h"

/* Any libc header defines __GLIBC__ (through <features.h>); without one, the checks below saw
   it undefined and every function here silently did nothing. */
#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int lake_malloc_arena_max(int arenas) {
#if defined(__GLIBC__)
    return mallopt(M_ARENA_MAX, arenas);
#else
    (void)arenas;
    return 0;
#endif
}

int lake_malloc_mmap_threshold(int bytes) {
#if defined(__GLIBC__)
    return mallopt(M_MMAP_THRESHOLD, bytes);
#else
    (void)bytes;
    return 0;
#endif
}
