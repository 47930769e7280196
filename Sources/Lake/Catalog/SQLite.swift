import CSQLite
import Foundation
import Parquet

/// A failed SQLite call: the SQL it ran, SQLite's message, and the database path.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var sql: String
    public var code: Int32
    public var message: String

    public var description: String {
        var text = "catalog \(path): \(message) (code \(code))"
        if !sql.isEmpty {
            // One line: the SQL's own line breaks and indentation become single spaces.
            let flat = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            text += " while running: \(flat.prefix(200))"
        }
        if code == SQLITE_BUSY || code == SQLITE_LOCKED {
            text += " (another process holds the catalog; retry, or check `lake status`)"
        }
        return text.oneLine
    }
}

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection. Not shared between threads.
public final class Database {
    public let path: String
    let handle: OpaquePointer
    private var cache: [String: Statement] = [:]

    /// Process-wide settings, applied once before the first connection opens.
    private static let configured: Bool = {
        _ = lake_sqlite_no_memory_status()
        return true
    }()

    public init(path: String, readOnly: Bool = false, busyTimeoutMs: Int32 = 10_000) throws {
        self.path = path
        _ = Self.configured
        var db: OpaquePointer?
        let flags = readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(path: path, sql: "", code: rc, message: message)
        }
        handle = db
        _ = lake_sqlite_busy_timeout(db, busyTimeoutMs)
        _ = lake_sqlite_no_checkpoint_on_close(db)
    }

    /// How long a statement waits for another connection's lock before it fails with BUSY.
    public func setBusyTimeout(milliseconds: Int32) {
        _ = lake_sqlite_busy_timeout(handle, milliseconds)
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32, _ sql: String) -> SQLiteError {
        SQLiteError(path: path, sql: sql, code: rc, message: String(cString: sqlite3_errmsg(handle)))
    }

    /// Runs one or more statements without results.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "error"
            sqlite3_free(message)
            throw SQLiteError(path: path, sql: sql, code: rc, message: text)
        }
    }

    /// A prepared statement, cached by SQL text and reset for reuse.
    public func prepare(_ sql: String) throws -> Statement {
        if let s = cache[sql] {
            s.reset()
            return s
        }
        let s = try Statement(database: self, sql: sql)
        cache[sql] = s
        return s
    }

    /// Runs a statement with arguments, ignoring results.
    public func run(_ sql: String, _ args: SQLValue...) throws {
        let s = try prepare(sql)
        try s.bind(args)
        while try s.step() {}
    }

    /// All rows of a query.
    public func query(_ sql: String, _ args: SQLValue...) throws -> [[SQLValue]] {
        try query(sql, arguments: args)
    }

    /// All rows of a query whose arguments are built at run time.
    public func query(_ sql: String, arguments args: [SQLValue]) throws -> [[SQLValue]] {
        let s = try prepare(sql)
        try s.bind(args)
        var rows: [[SQLValue]] = []
        while try s.step() { rows.append((0..<s.columnCount).map { s.value($0) }) }
        return rows
    }

    /// The first column of the first row, or nil.
    /// Resets the statement before returning: a statement left on a row keeps its read
    /// transaction open, pinning an old snapshot, and the connection's next write then fails
    /// with SQLITE_BUSY_SNAPSHOT (no busy wait) once another process has committed.
    public func scalar(_ sql: String, _ args: SQLValue...) throws -> SQLValue? {
        let s = try prepare(sql)
        try s.bind(args)
        defer { s.reset() }
        return try s.step() ? s.value(0) : nil
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// True inside BEGIN … COMMIT.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in a read transaction: every query sees the same snapshot of the database.
    public func read<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction { return try body() }
        try execute("BEGIN")
        defer { try? execute("COMMIT") }
        return try body()
    }

    /// Runs `body` in one IMMEDIATE transaction (takes the write lock up front).
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

/// A value bound to or read from SQLite.
public enum SQLValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])

    public var int: Int64? { if case .int(let v) = self { return v }; return nil }
    public var double: Double? {
        switch self {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default: return nil
        }
    }
    public var text: String? { if case .text(let v) = self { return v }; return nil }
    public var blob: [UInt8]? { if case .blob(let v) = self { return v }; return nil }

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .int(let v): return "\(v)"
        case .double(let v): return "\(v)"
        case .text(let v): return v
        case .blob(let v): return "<\(v.count) bytes>"
        }
    }
}

extension SQLValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public static func of(_ v: Int) -> SQLValue { .int(Int64(v)) }
    public static func of(_ v: String?) -> SQLValue { v.map { .text($0) } ?? .null }
    public static func of(_ v: Int64?) -> SQLValue { v.map { .int($0) } ?? .null }
}

/// A prepared statement; finalized when released.
public final class Statement {
    unowned let database: Database
    let handle: OpaquePointer
    let sql: String

    init(database: Database, sql: String) throws {
        self.database = database
        self.sql = sql
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(database.handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw database.error(rc, sql) }
        handle = stmt
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public func bind(_ values: [SQLValue]) throws {
        for (i, v) in values.enumerated() { try bind(v, at: Int32(i + 1)) }
    }

    /// Binds without building an `SQLValue` (per-row paths).
    public func bind(int value: Int64, at index: Int32) throws {
        let rc = sqlite3_bind_int64(handle, index, value)
        if rc != SQLITE_OK { throw database.error(rc, sql) }
    }

    public func bind(double value: Double, at index: Int32) throws {
        let rc = sqlite3_bind_double(handle, index, value)
        if rc != SQLITE_OK { throw database.error(rc, sql) }
    }

    public func bind(_ value: SQLValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .int(let v): rc = sqlite3_bind_int64(handle, index, v)
        case .double(let v): rc = sqlite3_bind_double(handle, index, v)
        case .text(let v):
            // With its byte count: a C string would end at the first NUL, and text read from
            // events may hold one.
            var v = v
            rc = v.withUTF8 { bytes in
                guard let base = bytes.baseAddress, bytes.count > 0 else {
                    return sqlite3_bind_text(handle, index, "", 0, transient)
                }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text(handle, index, $0, Int32(bytes.count), transient)
                }
            }
        case .blob(let v):
            // An empty blob from a nil pointer would bind NULL (a table without group_by has
            // an empty group key).
            rc = v.isEmpty ? sqlite3_bind_zeroblob(handle, index, 0)
                : v.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transient) }
        }
        if rc != SQLITE_OK { throw database.error(rc, sql) }
    }

    /// Binds UTF-8 text from raw bytes without building a String.
    public func bindText(_ bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        let rc = sqlite3_bind_text(
            handle, index, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count),
            transient)
        if rc != SQLITE_OK { throw database.error(rc, sql) }
    }

    /// Binds UTF-8 text that SQLite reads in place (no copy): `bytes` must stay valid until
    /// the statement is stepped for the last time with this binding, and every execution must
    /// bind the parameter again first (per-row inserts that bind all parameters each row).
    public func bindTextInPlace(_ bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        let rc = sqlite3_bind_text(
            handle, index, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
        if rc != SQLITE_OK { throw database.error(rc, sql) }
    }

    /// Advances; true while a row is available.
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE {
            return false
        }
        let error = database.error(rc, sql)
        sqlite3_reset(handle)
        throw error
    }

    /// Runs to completion (for INSERT/UPDATE), then resets for reuse.
    public func execute() throws {
        while try step() {}
        sqlite3_reset(handle)
    }

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// True when the statement does not write to the database.
    public var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    public func columnName(_ i: Int) -> String { String(cString: sqlite3_column_name(handle, Int32(i))) }

    /// The declared type of a result column that is a table column (through views too); nil
    /// for an expression.
    public func columnDeclaredType(_ i: Int) -> String? {
        sqlite3_column_decltype(handle, Int32(i)).map { String(cString: $0) }
    }

    public func value(_ i: Int) -> SQLValue {
        let index = Int32(i)
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: return .int(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT: return .double(sqlite3_column_double(handle, index))
        case SQLITE_TEXT:
            return .text(String(cString: sqlite3_column_text(handle, index)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard count > 0, let p = sqlite3_column_blob(handle, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: p, count: count)))
        default: return .null
        }
    }

    public func int(_ i: Int) -> Int64 { sqlite3_column_int64(handle, Int32(i)) }
}
