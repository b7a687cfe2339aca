import Sluice

/// One step of the log table's history: the statements that take it from `version - 1` to
/// `version`. Steps only ever add (columns, indexes, tables), so a database written by an older
/// Sluice opens in a newer one; a newer database is refused by an older Sluice.
package struct SQLiteMigration: Sendable {
    package var version: Int
    package var statements: @Sendable (_ table: String) -> [String]

    package init(version: Int, statements: @escaping @Sendable (_ table: String) -> [String]) {
        self.version = version
        self.statements = statements
    }
}

/// The schema of a ``SQLiteSink``'s table (and its view `<table>_view`, with the time as text) and
/// its forward migrations. The version of each log table is kept in the table `sluice_schema`
/// (`name`, `version`, `synced_ns`).
package enum SQLiteSchema {
    package static let migrations: [SQLiteMigration] = [
        SQLiteMigration(version: 1) { table in
            [
                """
                CREATE TABLE "\(table)" (
                    id INTEGER PRIMARY KEY,
                    time_ns INTEGER NOT NULL,
                    level INTEGER NOT NULL,
                    label TEXT NOT NULL,
                    message TEXT NOT NULL,
                    metadata TEXT,
                    source_file TEXT,
                    source_function TEXT,
                    source_line INTEGER,
                    sequence INTEGER NOT NULL
                )
                """,
                "CREATE INDEX \"\(table)_time\" ON \"\(table)\" (time_ns)",
                "CREATE INDEX \"\(table)_level\" ON \"\(table)\" (level, time_ns)",
                "CREATE INDEX \"\(table)_label\" ON \"\(table)\" (label, time_ns)",
                // The time as text and the level's name are a view's columns, computed when read:
                // SQLite computes generated columns on every INSERT, and a date costs a microsecond.
                """
                CREATE VIEW "\(table)_view" AS SELECT id,
                    strftime('%Y-%m-%dT%H:%M:%fZ', time_ns / 1000000000.0, 'unixepoch') AS time, time_ns, level,
                    \(levelNames) AS level_name, label, message, metadata, source_file, source_function,
                    source_line, sequence
                FROM "\(table)"
                """,
            ]
        }
    ]

    /// `CASE level WHEN 0 THEN 'trace' … END`.
    package static var levelNames: String {
        "CASE level " + LogLevel.allCases.map { "WHEN \($0.rawValue) THEN '\($0.name)'" }.joined(separator: " ")
            + " END"
    }

    /// The columns the sink fills, in the order of its `INSERT`.
    package static let insertedColumns = [
        "time_ns", "level", "label", "message", "metadata", "source_file", "source_function", "source_line",
        "sequence",
    ]

    /// Whether `name` can be a table name: a letter or `_`, then letters, digits or `_`, at most 58 (its
    /// view appends `_view`).
    package static func isValidTableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 58 else { return false }
        func isLetter(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || byte == UInt8(ascii: "_")
        }
        return isLetter(first)
            && name.utf8.allSatisfy { isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            && !name.lowercased().hasPrefix("sqlite_") && name != "sluice_schema"
    }

    /// Creates the table or migrates it to the newest version, in one transaction holding the write
    /// lock. Returns the version found before (0 for a new table).
    ///
    /// - Throws: ``SQLiteSchemaError``.
    @discardableResult
    package static func migrate(
        _ connection: SQLiteConnection,
        table: String,
        migrations: [SQLiteMigration] = migrations
    ) throws(SQLiteSchemaError) -> Int {
        let latest = migrations.last?.version ?? 0
        do {
            try connection.execute("BEGIN IMMEDIATE")
            try connection.execute(
                "CREATE TABLE IF NOT EXISTS sluice_schema (name TEXT PRIMARY KEY, version INTEGER NOT NULL, synced_ns INTEGER)"
            )
            let found = try versionOf(table, connection)
            var current = found ?? 0
            if found == nil {
                let existing = try connection.integer(
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '\(table)' COLLATE NOCASE")
                if existing ?? 0 > 0 {
                    connection.rollbackIfNeeded()
                    throw SQLiteSchemaError.foreignTable
                }
            }
            guard current <= latest else {
                connection.rollbackIfNeeded()
                throw SQLiteSchemaError.newerSchema(found: current, known: latest)
            }
            for migration in migrations where migration.version > current {
                for statement in migration.statements(table) {
                    try connection.execute(statement)
                }
                current = migration.version
            }
            try connection.execute(
                "INSERT INTO sluice_schema (name, version) VALUES ('\(table)', \(current)) ON CONFLICT (name) DO UPDATE SET version = excluded.version"
            )
            try connection.execute("COMMIT")
            return found ?? 0
        } catch let error as SQLiteFailure {
            connection.rollbackIfNeeded()
            throw .database(error)
        } catch let error as SQLiteSchemaError {
            throw error
        } catch {
            preconditionFailure("internal inconsistency: unexpected error \(error)")
        }
    }

    /// The version recorded for `table`, or `nil` when the sink never created it.
    package static func versionOf(_ table: String, _ connection: SQLiteConnection) throws(SQLiteFailure) -> Int? {
        let statement = try connection.prepare("SELECT version FROM sluice_schema WHERE name = ?1")
        defer { statement.finalize() }
        try statement.bind(1, copying: table)
        guard try statement.step() else { return nil }
        return Int(statement.int64(0))
    }
}

/// Why a log table cannot be set up.
package enum SQLiteSchemaError: Error {
    case database(SQLiteFailure)
    /// A table of that name exists that Sluice did not create.
    case foreignTable
    /// The table was written by a newer Sluice.
    case newerSchema(found: Int, known: Int)

    package func sluiceError(sink: String, path: String, table: String) -> SluiceError {
        switch self {
        case .database(let failure):
            SluiceError(.fileOpenFailed, "\(sink): \(failure.explanation(database: path))")
        case .foreignTable:
            SluiceError(
                .fileOpenFailed,
                "\(sink): the SQLite database '\(path)' already has a table '\(table)' that Sluice did not create; pass another table name or another file"
            )
        case .newerSchema(let found, let known):
            SluiceError(
                .fileOpenFailed,
                "\(sink): the table '\(table)' in '\(path)' has schema version \(found), written by a newer Sluice (this one knows versions up to \(known)); use that Sluice version or another file"
            )
        }
    }
}
