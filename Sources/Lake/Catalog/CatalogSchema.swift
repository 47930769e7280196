/// The catalog's tables, as named migrations applied in order and recorded in `lake_migration`.
/// Catalog tables are `lake_*`; gold tables (`gold_*`) live in the same database.
enum CatalogSchema {
    static let migrations: [(name: String, sql: String)] = [
        ("0001_core", """
        CREATE TABLE lake_table (
            table_id INTEGER PRIMARY KEY,
            table_name TEXT NOT NULL UNIQUE,
            job TEXT NOT NULL,
            layer TEXT NOT NULL,
            schema_json TEXT NOT NULL,
            partition_column TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE lake_snapshot (
            snapshot_id INTEGER PRIMARY KEY,
            status TEXT NOT NULL CHECK (status IN ('pending', 'committed')),
            created_at TEXT NOT NULL,
            committed_at TEXT,
            job TEXT,
            stage TEXT,
            run_id INTEGER,
            summary TEXT,
            watermark_us INTEGER
        );
        CREATE TABLE lake_data_file (
            file_id INTEGER PRIMARY KEY,
            table_id INTEGER NOT NULL REFERENCES lake_table (table_id),
            path TEXT NOT NULL UNIQUE,
            partition_value TEXT,
            record_count INTEGER NOT NULL,
            file_size_bytes INTEGER NOT NULL,
            min_time_us INTEGER,
            max_time_us INTEGER,
            min_ingest_id INTEGER,
            max_ingest_id INTEGER,
            begin_snapshot INTEGER NOT NULL REFERENCES lake_snapshot (snapshot_id),
            end_snapshot INTEGER REFERENCES lake_snapshot (snapshot_id)
        );
        CREATE INDEX lake_data_file_live ON lake_data_file (table_id, end_snapshot);
        CREATE TABLE lake_checkpoint (
            job TEXT NOT NULL,
            stage TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT,
            state BLOB,
            snapshot_id INTEGER,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (job, stage, key)
        );
        CREATE TABLE lake_source_position (
            job TEXT NOT NULL,
            source TEXT NOT NULL,
            identity TEXT NOT NULL,
            byte_offset INTEGER NOT NULL,
            line_count INTEGER NOT NULL,
            snapshot_id INTEGER,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (job, source, identity)
        );
        CREATE TABLE lake_run (
            run_id INTEGER PRIMARY KEY,
            job TEXT NOT NULL,
            stage TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
            rows_in INTEGER NOT NULL DEFAULT 0,
            rows_out INTEGER NOT NULL DEFAULT 0,
            rows_quarantined INTEGER NOT NULL DEFAULT 0,
            rows_duplicate INTEGER NOT NULL DEFAULT 0,
            snapshots INTEGER NOT NULL DEFAULT 0,
            watermark_us INTEGER,
            error TEXT
        );
        CREATE INDEX lake_run_by_stage ON lake_run (job, stage, run_id);
        CREATE TABLE lake_run_stat (
            run_id INTEGER NOT NULL REFERENCES lake_run (run_id),
            key TEXT NOT NULL,
            value INTEGER NOT NULL,
            PRIMARY KEY (run_id, key)
        );
        """),
        ("0002_silver_duplicates", """
        CREATE TABLE lake_silver_duplicates (
            job TEXT NOT NULL,
            event_date TEXT NOT NULL,
            duplicate_count INTEGER NOT NULL,
            PRIMARY KEY (job, event_date)
        );
        """),
        ("0003_silver_keys", """
        CREATE TABLE lake_silver_key (
            job TEXT NOT NULL,
            key_a INTEGER NOT NULL,
            key_b INTEGER NOT NULL,
            event_time_us INTEGER NOT NULL,
            PRIMARY KEY (job, key_a, key_b)
        ) WITHOUT ROWID;
        CREATE INDEX lake_silver_key_by_time ON lake_silver_key (job, event_time_us);
        """),
        ("0004_quarantine_counts", """
        CREATE TABLE lake_quarantine_count (
            job TEXT NOT NULL,
            reason TEXT NOT NULL,
            row_count INTEGER NOT NULL,
            PRIMARY KEY (job, reason)
        );
        """),
        // Silver's dedup keys are rebuilt from silver's own rows at start (SilverStage.loadState):
        // a row per key made the catalog grow with the dedup window (1.1 GB at 12M keys).
        ("0005_no_silver_keys", """
        DROP TABLE lake_silver_key;
        """),
        // Folding old snapshots (Catalog.fold) asks, per snapshot, whether a file row names it
        // and which is the newest of its stage.
        ("0006_fold_indexes", """
        CREATE INDEX lake_data_file_begin ON lake_data_file (begin_snapshot);
        CREATE INDEX lake_data_file_end ON lake_data_file (end_snapshot);
        CREATE INDEX lake_snapshot_by_stage ON lake_snapshot (job, stage, snapshot_id);
        """),
        // Gold's open state, one row per table and group, so a commit rewrites only the groups
        // it changed (one blob of every open session and window grew with the users).
        ("0007_gold_state", """
        CREATE TABLE lake_gold_state (
            job TEXT NOT NULL,
            gold_table TEXT NOT NULL,
            group_key BLOB NOT NULL,
            state BLOB NOT NULL,
            PRIMARY KEY (job, gold_table, group_key)
        ) WITHOUT ROWID;
        """),
        // The Delta log of each table (SPEC §13), derived from the catalog. A commit queues
        // (table, snapshot) for each table it changed, in the same transaction, in commit
        // order; the log writer turns queued entries into versions. A version row is written
        // `pending` (with everything its content depends on) before its file and `written`
        // after it, so a kill in between rewrites the same bytes. Tables that already had
        // files get a baseline entry: version 0 lists their live files.
        ("0008_delta_log", """
        CREATE TABLE lake_delta_pending (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            table_id INTEGER NOT NULL,
            snapshot_id INTEGER NOT NULL,
            baseline INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX lake_delta_pending_table ON lake_delta_pending (table_id, seq);
        CREATE TABLE lake_delta_table (
            table_id INTEGER PRIMARY KEY,
            delta_id TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        );
        CREATE TABLE lake_delta_version (
            table_id INTEGER NOT NULL,
            version INTEGER NOT NULL,
            first_seq INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'written')),
            committed_ms INTEGER NOT NULL,
            operation TEXT NOT NULL,
            data_change INTEGER NOT NULL,
            schema_string TEXT,
            files_added INTEGER NOT NULL DEFAULT 0,
            files_removed INTEGER NOT NULL DEFAULT 0,
            rows_added INTEGER NOT NULL DEFAULT 0,
            rows_removed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (table_id, version)
        ) WITHOUT ROWID;
        ALTER TABLE lake_data_file ADD COLUMN delta_added INTEGER;
        ALTER TABLE lake_data_file ADD COLUMN delta_removed INTEGER;
        INSERT INTO lake_delta_pending (table_id, snapshot_id, baseline)
          SELECT t.table_id, (SELECT max(snapshot_id) FROM lake_snapshot WHERE status = 'committed'), 1
          FROM lake_table t
          WHERE EXISTS (SELECT 1 FROM lake_data_file f WHERE f.table_id = t.table_id AND f.end_snapshot IS NULL);
        """),
        // The k-means models of `kmeans` gold tables: one row per fitted model, never changed;
        // rows are labelled with the newest (`ModelStore`).
        ("0009_models", """
        CREATE TABLE lake_model (
            job TEXT NOT NULL,
            gold_table TEXT NOT NULL,
            version INTEGER NOT NULL,
            trained_at TEXT NOT NULL,
            through_snapshot INTEGER NOT NULL,
            training_rows INTEGER NOT NULL,
            model TEXT NOT NULL,
            PRIMARY KEY (job, gold_table, version)
        ) WITHOUT ROWID;
        """),
        // Retired files whose removal the Delta log has written, as one compressed list per
        // table and fold instead of a row each (`RetiredFileList`), until vacuum deletes them.
        ("0010_retired_lists", """
        CREATE TABLE lake_retired_list (
            list_id INTEGER PRIMARY KEY,
            table_id INTEGER NOT NULL REFERENCES lake_table (table_id),
            file_count INTEGER NOT NULL,
            file_bytes INTEGER NOT NULL,
            retired_last TEXT NOT NULL,
            max_time_us INTEGER,
            delta_removed_max INTEGER NOT NULL,
            files BLOB NOT NULL
        );
        CREATE INDEX lake_retired_list_table ON lake_retired_list (table_id);
        """),
    ]
}
