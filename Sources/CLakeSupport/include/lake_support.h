#ifndef LAKE_SUPPORT_H
#define LAKE_SUPPORT_H

/// Caps glibc's malloc arenas (mallopt M_ARENA_MAX); returns 1 on success, 0 where not glibc.
int lake_malloc_arena_max(int arenas);

/// Fixes glibc's mmap threshold (mallopt M_MMAP_THRESHOLD): blocks of at least `bytes` are
/// mapped on their own and returned to the system when freed. Returns 1 on success.
int lake_malloc_mmap_threshold(int bytes);

/// Sets the calling thread's nice value (Linux schedules threads by their own nice value);
/// returns 0 on success, -1 otherwise (or where threads cannot be set apart).
int lake_set_thread_nice(int nice);

#endif
