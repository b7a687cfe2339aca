import Sluice

/// The schema of a ``PostgresSink``'s table, how the sink sets it up, and its day partitions.
///
/// Set-up runs in one transaction under an advisory lock, so several processes starting at once do
/// not trip over each other's `CREATE TABLE`. Two tables of the sink's own sit next to the log
/// table: `sluice_schema` (each log table's schema version) and `sluice_batches` (the last batch
/// each sink committed, by which a batch whose `COMMIT` outcome was lost is recognised).
package enum PostgresSchema {
    package static let version = 1

    /// The columns the sink fills through `COPY`, in order.
    package static let copiedColumns = [
        "time", "level", "label", "message", "metadata", "source_file", "source_function", "source_line", "sequence",
    ]

    /// The advisory lock that serialises schema and partition changes of every sink on the server
    /// (an arbitrary constant all Sluice versions share).
    private static let lockKey: Int64 = 0x5_1C1_CE00

    /// Whether `name` can be the table's name: a letter or `_`, then letters, digits or `_`, at most 53
    /// (day partitions append `_pYYYYMMDD` within PostgreSQL's 63).
    package static func isValidTableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 53 else { return false }
        func isLetter(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || byte == UInt8(ascii: "_")
        }
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        return isLetter(first) && name.utf8.allSatisfy { isLetter($0) || isDigit($0) }
            && !["sluice_schema", "sluice_batches"].contains(name.lowercased())
    }

    package static func createStatements(table: String, partitioned: Bool) -> [String] {
        let levelName = LogLevel.allCases.map { "WHEN \($0.rawValue) THEN '\($0.name)'" }.joined(separator: " ")
        return [
            """
            CREATE TABLE "\(table)" (
                time timestamptz NOT NULL,
                level smallint NOT NULL,
                label text NOT NULL,
                message text NOT NULL,
                metadata jsonb,
                source_file text,
                source_function text,
                source_line integer,
                sequence bigint NOT NULL
            )\(partitioned ? " PARTITION BY RANGE (time)" : "")
            """,
            "CREATE INDEX \"\(table)_time\" ON \"\(table)\" USING brin (time)",
            "CREATE INDEX \"\(table)_level\" ON \"\(table)\" (level, time)",
            "CREATE INDEX \"\(table)_label\" ON \"\(table)\" (label, time)",
            // The level's name is a view's column, computed when read: a generated column would cost
            // every row of every COPY.
            """
            CREATE OR REPLACE VIEW "\(table)_view" AS SELECT time, level,
                CASE level \(levelName) ELSE level::text END AS level_name, label, message, metadata,
                source_file, source_function, source_line, sequence
            FROM "\(table)"
            """,
        ]
    }

    /// Creates the sink's tables and the log table if missing, or checks an existing one.
    package static func prepare(_ connection: PostgresConnection, table: String, partitioned: Bool)
        throws(PostgresSchemaError)
    {
        func execute(_ sql: String) throws(PostgresSchemaError) {
            do {
                try connection.execute(sql)
            } catch {
                throw .database(error)
            }
        }
        func query(_ sql: String) throws(PostgresSchemaError) -> [[String?]] {
            do {
                return try connection.query(sql)
            } catch {
                throw .database(error)
            }
        }
        do throws(PostgresSchemaError) {
            try execute("BEGIN")
            try execute("SELECT pg_advisory_xact_lock(\(lockKey))")
            try execute("CREATE TABLE IF NOT EXISTS sluice_schema (name text PRIMARY KEY, version integer NOT NULL)")
            try execute(
                """
                CREATE TABLE IF NOT EXISTS sluice_batches (
                    writer text NOT NULL, batch bigint NOT NULL, records integer NOT NULL,
                    committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (writer, batch))
                """)
            let versionText: String? =
                try query("SELECT version FROM sluice_schema WHERE name = '\(table)'")
                .first?.first ?? nil
            let version = versionText.flatMap { Int($0) }
            if let version, version > Self.version {
                throw .newerSchema(found: version, known: Self.version)
            }
            var kind: String? =
                try query("SELECT relkind FROM pg_class WHERE oid = to_regclass('\"\(table)\"')").first?.first ?? nil
            var created = false
            if kind == nil {
                // A new table, or one dropped since the sink set it up: (re)create it.
                for statement in createStatements(table: table, partitioned: partitioned) {
                    try execute(statement)
                }
                kind = partitioned ? "p" : "r"
                created = true
            } else if version == nil {
                // A table someone created for the sink (say, in a tablespace of their choosing): fine
                // as long as it has the columns the sink copies into.
                let rows = try query(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '\(table)'"
                )
                let present = Set(rows.compactMap { row -> String? in row.first ?? nil })
                let missing = copiedColumns.filter { !present.contains($0) }
                guard missing.isEmpty else { throw .foreignTable(missing: missing) }
            }
            if version == nil || created {
                try execute(
                    "INSERT INTO sluice_schema (name, version) VALUES ('\(table)', \(Self.version)) ON CONFLICT (name) DO UPDATE SET version = excluded.version"
                )
            }
            if (kind == "p") != partitioned {
                throw .partitioning(existing: kind == "p")
            }
            try execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Creates the partition for `day` (days since 1970-01-01, UTC) unless it exists.
    package static func createPartition(_ connection: PostgresConnection, table: String, day: Int64)
        throws(PostgresFailure)
    {
        let from = dayStart(day)
        let to = dayStart(day + 1)
        let name = "\(table)_p" + from.prefix(10).filter { $0 != "-" }
        do {
            try connection.execute(
                """
                BEGIN; SELECT pg_advisory_xact_lock(\(lockKey));
                CREATE TABLE IF NOT EXISTS "\(name)" PARTITION OF "\(table)" FOR VALUES FROM ('\(from)') TO ('\(to)');
                COMMIT
                """)
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// `YYYY-MM-DDT00:00:00Z` of a day number, also of the day after the last one a timestamp can
    /// fall on (2262-04-12, the end of the last partition).
    package static func dayStart(_ day: Int64) -> String {
        var output = LogOutput(capacity: 32)
        output.appendDayStart(day)
        return output.string
    }
}

/// Why the log table cannot be used.
package enum PostgresSchemaError: Error {
    case database(PostgresFailure)
    /// A table of that name exists without the columns the sink fills.
    case foreignTable(missing: [String])
    /// The table was set up by a newer Sluice.
    case newerSchema(found: Int, known: Int)
    /// The table is partitioned and the sink was told it is not, or the other way round.
    case partitioning(existing: Bool)

    /// What to tell the person setting the sink up.
    package var explanation: String {
        switch self {
        case .database(let failure):
            failure.description
        case .foreignTable(let missing):
            "the table exists but lacks the columns \(missing.joined(separator: ", ")); pass another table name"
        case .newerSchema(let found, let known):
            "the table has schema version \(found), set up by a newer Sluice (this one knows versions up to \(known)); use that Sluice version or another table"
        case .partitioning(let existing):
            existing
                ? "the table is partitioned; pass partitionByDay: true, or another table name"
                : "the table exists and is not partitioned; pass partitionByDay: false, or another table name"
        }
    }
}
