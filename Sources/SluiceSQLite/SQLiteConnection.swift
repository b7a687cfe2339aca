import CSQLite
import Sluice

/// One connection to a SQLite database, used by one thread at a time (the sink's actor, or the
/// maintenance thread, each with a connection of its own), opened in multi-thread mode.
package final class SQLiteConnection {
    package let path: String
    private var handle: OpaquePointer?
    private var walHook: WALHook?

    /// What ``onCommit(_:)`` registered, kept alive by the connection.
    private final class WALHook {
        let handler: (Int) -> Void

        init(_ handler: @escaping (Int) -> Void) {
            self.handler = handler
        }
    }

    /// Opens `path` for reading and writing (creating it if needed) without following a symbolic
    /// link, and sets the busy timeout.
    package init(path: String, busyTimeout: Duration) throws(SQLiteFailure) {
        self.path = path
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let failure = SQLiteFailure(
                code: rc, message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory",
                systemErrno: handle.map { sqlite3_system_errno($0) } ?? 0, operation: "open")
            sqlite3_close_v2(handle)
            throw failure
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
        let (seconds, attoseconds) = busyTimeout.components
        let milliseconds = min(seconds * 1000 + attoseconds / 1_000_000_000_000_000, Int64(Int32.max))
        sqlite3_busy_timeout(handle, Int32(milliseconds))
    }

    deinit {
        close()
    }

    /// Closes the connection (the last one to close checkpoints the write-ahead log into the
    /// database). Statements must be finalized first.
    @discardableResult
    package func close() -> SQLiteFailure? {
        guard let handle else { return nil }
        self.handle = nil
        sqlite3_wal_hook(handle, nil, nil)
        let rc = sqlite3_close_v2(handle)
        return rc == SQLITE_OK
            ? nil : SQLiteFailure(code: rc, message: "close failed", systemErrno: 0, operation: "close")
    }

    package var isOpen: Bool { handle != nil }

    /// Calls `handler` after every commit with the pages in the write-ahead log, instead of SQLite's
    /// automatic checkpoint on the committing thread (the caller checkpoints elsewhere).
    package func onCommit(_ handler: @escaping (_ walPages: Int) -> Void) {
        guard let handle else { return }
        let hook = WALHook(handler)
        walHook = hook
        sqlite3_wal_hook(
            handle,
            { context, _, _, pages in
                if let context {
                    Unmanaged<WALHook>.fromOpaque(context).takeUnretainedValue().handler(Int(pages))
                }
                return SQLITE_OK
            }, Unmanaged.passUnretained(hook).toOpaque())
    }

    /// Whether SQLite opened the file read-only (it does so when the file or its file system refuses
    /// writing).
    package var isReadOnly: Bool {
        guard let handle else { return true }
        return sqlite3_db_readonly(handle, "main") == 1
    }

    /// Whether a transaction is open (SQLite rolls some failures back by itself).
    package var isInTransaction: Bool {
        guard let handle else { return false }
        return sqlite3_get_autocommit(handle) == 0
    }

    /// Rows changed by the last statement.
    package var changes: Int {
        guard let handle else { return 0 }
        return Int(sqlite3_changes(handle))
    }

    /// Runs one or more statements that return no rows.
    package func execute(_ sql: String) throws(SQLiteFailure) {
        guard let handle else { throw closedFailure(sql) }
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw failure(rc, during: sql) }
    }

    /// Compiles one statement.
    package func prepare(_ sql: String) throws(SQLiteFailure) -> SQLiteStatement {
        guard let handle else { throw closedFailure(sql) }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw failure(rc, during: sql) }
        return SQLiteStatement(handle: statement, connection: self, sql: sql)
    }

    /// The first column of the first row of `sql` as an integer (for `PRAGMA page_count` and the like).
    package func integer(_ sql: String) throws(SQLiteFailure) -> Int64? {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.int64(0)
    }

    /// The first column of the first row of `sql` as text.
    package func text(_ sql: String) throws(SQLiteFailure) -> String? {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        guard try statement.step() else { return nil }
        return statement.text(0)
    }

    /// Rolls back an open transaction, if any; errors are ignored (the connection may be broken).
    package func rollbackIfNeeded() {
        guard let handle, isInTransaction else { return }
        sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
    }

    /// The failure behind result code `rc`, with SQLite's message and the operating system's errno.
    package func failure(_ rc: Int32, during operation: String) -> SQLiteFailure {
        guard let handle else { return closedFailure(operation) }
        return SQLiteFailure(
            code: sqlite3_extended_errcode(handle) != SQLITE_OK ? sqlite3_extended_errcode(handle) : rc,
            message: String(cString: sqlite3_errmsg(handle)),
            systemErrno: sqlite3_system_errno(handle),
            operation: operation)
    }

    private func closedFailure(_ operation: String) -> SQLiteFailure {
        SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed", systemErrno: 0, operation: operation)
    }
}

/// A compiled statement of one ``SQLiteConnection``.
package final class SQLiteStatement {
    private var handle: OpaquePointer?
    private unowned let connection: SQLiteConnection
    private let sql: String

    fileprivate init(handle: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit {
        finalize()
    }

    package func finalize() {
        sqlite3_finalize(handle)
        handle = nil
    }

    package func bind(_ index: Int32, _ value: Int64) throws(SQLiteFailure) {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    package func bindNull(_ index: Int32) throws(SQLiteFailure) {
        try check(sqlite3_bind_null(handle, index))
    }

    /// Binds UTF-8 text without copying it: `text` must stay valid until the statement is stepped
    /// and reset.
    package func bind(_ index: Int32, text: UnsafeRawBufferPointer) throws(SQLiteFailure) {
        // A nil pointer would bind NULL: empty text points at a static empty string instead.
        let empty: StaticString = ""
        let base = (text.baseAddress ?? UnsafeRawPointer(empty.utf8Start)).assumingMemoryBound(to: CChar.self)
        try check(sqlite3_bind_text64(handle, index, base, sqlite3_uint64(text.count), nil, UInt8(SQLITE_UTF8)))
    }

    /// Binds a copy of `text` (for values that do not outlive the call).
    package func bind(_ index: Int32, copying text: String) throws(SQLiteFailure) {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        try check(sqlite3_bind_text(handle, index, text, -1, transient))
    }

    /// Runs the statement to its next row; `false` once it is done.
    @discardableResult
    package func step() throws(SQLiteFailure) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.failure(rc, during: sql)
        }
    }

    /// Makes the statement ready to run again, keeping its bindings.
    package func reset() {
        sqlite3_reset(handle)
    }

    package func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    package func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    package func text(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    private func check(_ rc: Int32) throws(SQLiteFailure) {
        guard rc == SQLITE_OK else { throw connection.failure(rc, during: sql) }
    }
}
