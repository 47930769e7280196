#ifndef LAKE_SUPPORT_H
#define LAKE_SUPPORT_H

/// Caps glibc's malloc arenas (mallopt M_ARENA_MAX); returns 1 on success, 0 where not glibc.
int lake_malloc_arena_max(int arenas);

#endif
