import Parquet

/// `gold_session_stats`: one row per session (SPEC §6), in Parquet (closed sessions) and in
/// the catalog database (every session), with the KPI views of the seed dashboards.
enum GoldTable {
    static let schema = Schema([
        .string("user_id"),
        .timestamp("session_start"),
        .timestamp("session_end"),
        .timestamp("window_end"),
        Column("events_count", .int64),
        Column("is_purchased", .int32),
        Column("has_cart_activity", .int32),
        Column("is_abandoned_cart", .int32),
        Column("session_revenue", .double),
        Column("is_closed", .int32),
    ])

    static let schemaJSON = """
        [{"name":"user_id","type":"string"},{"name":"session_start","type":"timestamp"},\
        {"name":"session_end","type":"timestamp"},{"name":"window_end","type":"timestamp"},\
        {"name":"events_count","type":"int64"},{"name":"is_purchased","type":"int32"},\
        {"name":"has_cart_activity","type":"int32"},{"name":"is_abandoned_cart","type":"int32"},\
        {"name":"session_revenue","type":"double"},{"name":"is_closed","type":"int32"}]
        """

    /// The SQLite table and its views; `prefix` names the views (`gold` for gold_session_stats).
    /// The table is clustered on its key, session start first (WITHOUT ROWID: one b-tree less
    /// to write per row): a gold commit's new rows start after almost all older ones, so they
    /// land on the last pages of the b-tree instead of on every user's pages, and time-range
    /// queries read one slice of it. Open rows have a partial index (a full index on
    /// `is_closed` cost a write per closed row for two distinct values). Lakes made before keep
    /// their table and its `_by_start` index (clustered on the user, or a rowid table); their
    /// old `_open` index is replaced by the partial one.
    static func sql(table: String) -> String {
        let prefix = table == "gold_session_stats" ? "gold" : table
        return """
            CREATE TABLE IF NOT EXISTS \(table) (
                user_id TEXT NOT NULL,
                session_start TEXT NOT NULL,
                session_end TEXT NOT NULL,
                window_end TEXT NOT NULL,
                events_count INTEGER NOT NULL,
                is_purchased INTEGER NOT NULL,
                has_cart_activity INTEGER NOT NULL,
                is_abandoned_cart INTEGER NOT NULL,
                session_revenue REAL NOT NULL,
                is_closed INTEGER NOT NULL,
                PRIMARY KEY (session_start, user_id)
            ) WITHOUT ROWID;
            DROP INDEX IF EXISTS \(table)_open;
            CREATE INDEX IF NOT EXISTS \(table)_open_rows ON \(table) (user_id) WHERE is_closed = 0;
            CREATE VIEW IF NOT EXISTS \(prefix)_kpis AS
              SELECT count(*) AS total_sessions,
                     sum(is_purchased) AS orders,
                     sum(is_abandoned_cart) AS abandoned_carts,
                     round(sum(session_revenue), 2) AS revenue,
                     round(sum(session_revenue) / nullif(sum(is_purchased), 0), 2) AS average_order_value,
                     round(100.0 * sum(is_purchased) / nullif(count(*), 0), 2) AS conversion_rate_pct
              FROM \(table);
            CREATE VIEW IF NOT EXISTS \(prefix)_funnel AS
              SELECT 1 AS step, 'All sessions' AS stage, count(*) AS sessions FROM \(table)
              UNION ALL SELECT 2, 'Cart activity', sum(has_cart_activity) FROM \(table)
              UNION ALL SELECT 3, 'Purchased', sum(is_purchased) FROM \(table);
            CREATE VIEW IF NOT EXISTS \(prefix)_hourly AS
              SELECT strftime('%Y-%m-%dT%H:00:00Z', session_start) AS hour,
                     count(*) AS sessions, sum(is_purchased) AS purchases,
                     sum(is_abandoned_cart) AS abandoned_carts, round(sum(session_revenue), 2) AS revenue
              FROM \(table) GROUP BY hour ORDER BY hour;
            CREATE VIEW IF NOT EXISTS \(prefix)_top_customers AS
              SELECT user_id, round(sum(session_revenue), 2) AS lifetime_value, count(*) AS sessions,
                     sum(is_purchased) AS purchases
              FROM \(table) GROUP BY user_id ORDER BY lifetime_value DESC, user_id LIMIT 100;
            CREATE VIEW IF NOT EXISTS \(prefix)_session_status AS
              SELECT CASE WHEN is_purchased = 1 THEN 'Purchased'
                          WHEN is_abandoned_cart = 1 THEN 'Abandoned Cart'
                          ELSE 'Browsing Only' END AS status,
                     count(*) AS sessions
              FROM \(table) GROUP BY status ORDER BY sessions DESC;
            """
    }
}

extension GoldTable {
    /// Appends a session as one Parquet row.
    static func append(_ user: String, _ s: Session, closed: Bool, gapMicros: Int64, to w: ParquetWriter) throws {
        w.append(0, string: user)
        w.append(1, s.start)
        w.append(2, s.end)
        w.append(3, s.windowEnd(gapMicros: gapMicros))
        w.append(4, s.count)
        w.append(5, Int32(s.purchased ? 1 : 0))
        w.append(6, Int32(s.cart ? 1 : 0))
        w.append(7, Int32(s.abandoned ? 1 : 0))
        w.append(8, Double(s.revenueMicros) / 1_000_000)
        w.append(9, Int32(closed ? 1 : 0))
        try w.endRow()
    }

    /// A function that writes one session row into the SQLite table (insert or replace).
    static func inserter(
        _ db: Database, table: String, gapMicros: Int64
    ) throws -> (String, Session, Bool) throws -> Void {
        let insert = try db.prepare("""
            INSERT OR REPLACE INTO \(table) (user_id, session_start, session_end, window_end, events_count,
              is_purchased, has_cart_activity, is_abandoned_cart, session_revenue, is_closed)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        // Timestamps written into a buffer the inserter owns and bound in place, the user bound
        // from its own UTF-8, both without a copy into SQLite (each used to cost a malloc and a
        // copy, and the user a C string): this runs once per gold row. Every call binds all ten
        // parameters before it executes, so no binding outlives the bytes it points to.
        let text = TextBuffer(byteCount: 3 * 32)
        return { user, s, closed in
            let base = text.bytes
            func bindTime(_ micros: Int64, slot: Int, at index: Int32) throws {
                let out = UnsafeMutableRawBufferPointer(rebasing: base[(32 * slot)..<(32 * slot + 32)])
                let n = Timestamps.writeISO(micros: micros, into: out)
                try insert.bindTextInPlace(UnsafeRawBufferPointer(rebasing: out[0..<n]), at: index)
            }
            try bindTime(s.start, slot: 0, at: 2)
            try bindTime(s.end, slot: 1, at: 3)
            try bindTime(s.windowEnd(gapMicros: gapMicros), slot: 2, at: 4)
            try insert.bind(int: s.count, at: 5)
            try insert.bind(int: s.purchased ? 1 : 0, at: 6)
            try insert.bind(int: s.cart ? 1 : 0, at: 7)
            try insert.bind(int: s.abandoned ? 1 : 0, at: 8)
            try insert.bind(double: Double(s.revenueMicros) / 1_000_000, at: 9)
            try insert.bind(int: closed ? 1 : 0, at: 10)
            var user = user
            try user.withUTF8 { bytes in
                try insert.bindTextInPlace(UnsafeRawBufferPointer(bytes), at: 1)
                try insert.execute()
            }
        }
    }
}

/// Bytes an inserter reuses for every row (see `GoldTable.inserter`).
private final class TextBuffer {
    let bytes: UnsafeMutableRawBufferPointer

    init(byteCount: Int) { bytes = .allocate(byteCount: byteCount, alignment: 8) }

    deinit { bytes.deallocate() }
}
