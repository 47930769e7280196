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
