#include "lake_support.h"

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
