#include <sqlite3.h>

/* sqlite3_db_config is variadic, which Swift cannot call: one wrapper per option we use. */

/* Do not checkpoint (and delete) the WAL when the last connection closes: that takes an
   exclusive lock that makes concurrent readers without a busy timeout (the sqlite3 shell)
   fail with "database is locked". Passive auto-checkpoints keep the WAL bounded anyway. */
static inline int lake_sqlite_no_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

/* No global memory statistics: with them every sqlite3_malloc and sqlite3_free takes a
   process-wide mutex, which the stage threads of `lake run all` contend for. Must run before
   the first connection opens (sqlite3_config after sqlite3_initialize returns SQLITE_MISUSE). */
static inline int lake_sqlite_no_memory_status(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#include <stdint.h>
#include <time.h>

/* The busy handler of every connection: polls the lock every 0.1 ms for the first ms, then every
   0.5 ms, then every 2 ms, until `ms` milliseconds have passed. SQLite's own (sqlite3_busy_timeout)
   sleeps 1, 2, 5, 10, 15, 20, 25 ms…: the stage threads of `lake run all` share one catalog,
   hold its write lock for a millisecond or two at a time, and a thread that slept 10 ms for a
   lock freed after 1 left a core idle. */
static inline int lake_sqlite_busy(void *context, int count) {
    long limit_us = (long)(intptr_t)context * 1000;
    long waited_us = count < 10 ? 100L * count
        : count < 50 ? 1000L + 500L * (count - 10) : 21000L + 2000L * (count - 50);
    if (waited_us >= limit_us) return 0;
    long step_us = count < 10 ? 100 : count < 50 ? 500 : 2000;
    struct timespec t = { 0, step_us * 1000 };
    nanosleep(&t, 0);
    return 1;
}

static inline int lake_sqlite_busy_timeout(sqlite3 *db, int ms) {
    if (ms <= 0) return sqlite3_busy_handler(db, 0, 0);
    return sqlite3_busy_handler(db, lake_sqlite_busy, (void *)(intptr_t)ms);
}
