import Sluice

/// Delivers ``PostgresBatch`` payloads: one transaction per batch (`BEGIN`, `COPY … FROM STDIN`
/// in binary, a row in `sluice_batches`, `COMMIT`), reconnecting when the connection broke, and
/// settling a batch whose `COMMIT` answer was lost by looking for its row after reconnecting.
///
/// Only the delivery engine's thread calls it (after the sink's creation handed over the first
/// connection), one call at a time.
package final class PostgresTransport: DeliveryTransport {
    package struct Settings: Sendable {
        package var name: String
        package var connection: PostgresConnectionOptions
        package var table: String
        package var partitioned: Bool
        package var timeout: Duration
        /// Identifies this sink's batches in `sluice_batches`: random, and the process id.
        package var writer: String
        /// Removed from every message (passwords).
        package var secrets: [String]
    }

    /// A batch whose `COMMIT` was sent when the connection broke.
    private struct InDoubt {
        var tag: UInt64
        var records: Int
    }

    private let settings: Settings
    private let stats: PostgresSinkStatsRecorder
    private var connection: PostgresConnection?
    private var schemaReady: Bool
    private var knownDays: Set<Int64> = []
    private var inDoubt: InDoubt?
    /// `COPY "<table>" (…) FROM STDIN (FORMAT binary)`.
    private let copyStatement: String

    /// - Parameter connection: A connection the sink's creation opened and set the schema up on.
    package init(settings: Settings, stats: PostgresSinkStatsRecorder, connection: PostgresConnection?) {
        self.settings = settings
        self.stats = stats
        self.connection = connection
        schemaReady = connection != nil
        copyStatement =
            "COPY \"\(settings.table)\" (\(PostgresSchema.copiedColumns.joined(separator: ", "))) FROM STDIN (FORMAT binary)"
    }

    package var isConnected: Bool { connection != nil }

    // MARK: Connecting

    /// Opens a connection (blocking up to the timeout) and sets the schema up on it.
    package static func open(_ settings: Settings, stats: PostgresSinkStatsRecorder) throws(PostgresSchemaError)
        -> PostgresConnection
    {
        let connection: PostgresConnection
        do {
            connection = try connect(settings, stats: stats)
        } catch {
            throw .database(error)
        }
        try PostgresSchema.prepare(connection, table: settings.table, partitioned: settings.partitioned)
        return connection
    }

    private static func connect(_ settings: Settings, stats: PostgresSinkStatsRecorder) throws(PostgresFailure)
        -> PostgresConnection
    {
        var parameters = settings.connection.parameters
        let (seconds, _) = settings.timeout.components
        let timeout = max(Int(seconds), 2)
        parameters["application_name"] = parameters["application_name"] ?? "sluice"
        parameters["client_encoding"] = "UTF8"
        parameters["connect_timeout"] = String(timeout)
        // A server that vanishes without closing the connection is noticed within about the timeout.
        parameters["keepalives"] = "1"
        parameters["keepalives_idle"] = String(max(timeout / 2, 1))
        parameters["keepalives_interval"] = "1"
        parameters["keepalives_count"] = String(max(timeout / 2, 1))
        parameters["tcp_user_timeout"] = String(timeout * 1000)
        let connection = try PostgresConnection(
            connectionString: settings.connection.connectionString, parameters: parameters,
            password: settings.connection.password)
        guard connection.serverVersion >= 120_000 else {
            throw PostgresFailure(
                sqlState: nil,
                message: "the server runs PostgreSQL \(connection.serverVersion / 10_000); the sink needs 12 or newer",
                connectionLost: false)
        }
        if let encoding = connection.parameterStatus("server_encoding"), encoding != "UTF8" {
            throw PostgresFailure(
                sqlState: nil,
                message:
                    "the database's encoding is \(encoding), not UTF8, so some messages could not be stored; use a UTF8 database",
                connectionLost: false)
        }
        stats.update { $0.connections += 1 }
        return connection
    }

    /// The connection, reconnected if it broke, with the schema set up again if it was lost (say,
    /// the table was dropped under the sink).
    private func usableConnection() throws(PostgresFailure) -> PostgresConnection {
        if let current = connection, !current.isUsable {
            current.close()
            connection = nil
        }
        let usable: PostgresConnection
        if let connection {
            usable = connection
        } else {
            usable = try Self.connect(settings, stats: stats)
            connection = usable
        }
        if !schemaReady {
            do {
                try PostgresSchema.prepare(usable, table: settings.table, partitioned: settings.partitioned)
            } catch {
                switch error {
                case .database(let failure): throw failure
                default: throw PostgresFailure(sqlState: "42000", message: error.explanation, connectionLost: false)
                }
            }
            schemaReady = true
        }
        return usable
    }

    // MARK: Delivering

    package func deliver(_ payload: DeliveryPayload) -> Result<Void, DeliveryFailure> {
        guard let batch = PostgresBatch(payload) else {
            return .failure(DeliveryFailure(.other, "\(settings.name): internal inconsistency: not a PostgreSQL batch"))
        }
        do throws(PostgresFailure) {
            let connection = try usableConnection()
            if let doubt = inDoubt {
                let committed = try isCommitted(doubt.tag, on: connection)
                inDoubt = nil
                if doubt.tag == batch.tag {
                    if committed {
                        stats.update { $0.inDoubtFoundCommitted += 1 }
                        return .success(())
                    }
                    stats.update { $0.inDoubtSentAgain += 1 }
                } else {
                    // The engine gave that batch up while it was in doubt; say what became of it.
                    stats.update { stats in
                        stats.inDoubtRecordsDropped += doubt.records
                        stats.inDoubtRecordsDroppedButCommitted += committed ? doubt.records : 0
                    }
                }
            }
            for day in batch.days where !knownDays.contains(day) {
                try PostgresSchema.createPartition(connection, table: settings.table, day: day)
                knownDays.insert(day)
                stats.update { $0.partitionsCreated += 1 }
            }
            return try commit(batch, payload, on: connection)
        } catch {
            return .failure(failed(error, batch: batch.tag))
        }
    }

    /// One transaction for the batch, in two round trips: `BEGIN`, the batch's row in
    /// `sluice_batches` and `COPY` in one, then `COMMIT`. The row commits with the batch, and its
    /// primary key (writer, batch) lets only one of two attempts commit: if an earlier attempt whose
    /// answer was lost committed after all, this one fails on the key before copying anything.
    private func commit(_ batch: PostgresBatch, _ payload: DeliveryPayload, on connection: PostgresConnection)
        throws(PostgresFailure) -> Result<Void, DeliveryFailure>
    {
        let writer = settings.writer
        let start = """
            BEGIN;
            INSERT INTO sluice_batches (writer, batch, records) VALUES ('\(writer)', \(batch.tag), \(batch.records));
            DELETE FROM sluice_batches WHERE writer = '\(writer)' AND batch < \(batch.tag);
            \(copyStatement)
            """
        let copied = payload.bytes.withUnsafeBytes { bytes in
            Result { () throws(PostgresFailure) in
                try connection.copy(start, data: UnsafeRawBufferPointer(rebasing: bytes[batch.copyOffset...]))
            }
        }
        let rows: Int
        switch copied {
        case .success(let count):
            rows = count
        case .failure(let error) where error.sqlState == "23505":
            // An earlier attempt of this very batch committed: it is in the table once.
            try? connection.execute("ROLLBACK")
            stats.update { $0.inDoubtFoundCommitted += 1 }
            return .success(())
        case .failure(let error):
            throw error
        }
        guard rows == batch.records else {
            try? connection.execute("ROLLBACK")
            return .failure(
                DeliveryFailure(.other, "\(settings.name): COPY stored \(rows) rows of \(batch.records); rolled back"))
        }
        inDoubt = InDoubt(tag: batch.tag, records: batch.records)
        do {
            try connection.execute("COMMIT")
        } catch {
            guard !error.connectionLost else {
                stats.update { $0.batchesInDoubt += 1 }
                throw PostgresFailure(
                    sqlState: error.sqlState,
                    message:
                        "the connection broke after COMMIT was sent (\(error.message)); whether the batch was committed is checked after reconnecting",
                    connectionLost: true)
            }
            // The server answered: the transaction is rolled back, for certain.
            inDoubt = nil
            throw error
        }
        inDoubt = nil
        return .success(())
    }

    private func isCommitted(_ tag: UInt64, on connection: PostgresConnection) throws(PostgresFailure) -> Bool {
        !(try connection.query(
            "SELECT 1 FROM sluice_batches WHERE writer = '\(settings.writer)' AND batch = \(tag)"
        ).isEmpty)
    }

    /// Classifies a failure for the retry policy and words it for people, without secrets. While
    /// the batch is in doubt the engine keeps it (no overflow drop) until an attempt can check it.
    private func failed(_ failure: PostgresFailure, batch tag: UInt64) -> DeliveryFailure {
        if failure.connectionLost {
            connection?.close()
            connection = nil
        } else if connection != nil {
            try? connection?.execute("ROLLBACK")
        }
        let state = failure.sqlState ?? ""
        if state == "42P01" || state == "23514" {
            // The table or a partition was dropped under the sink: set it up again and retry.
            schemaReady = false
            knownDays = []
        }
        let kind: DeliveryFailure.Kind
        switch state {
        case _ where failure.connectionLost: kind = .connection
        case "57014": kind = .timeout
        case "42P01", "23514": kind = .serverError
        case _ where ["08", "57"].contains(state.prefix(2)): kind = .connection
        case _ where ["53", "40", "55", "58", "XX", "25"].contains(state.prefix(2)): kind = .serverError
        default: kind = .rejected
        }
        return DeliveryFailure(
            kind, scrub("\(settings.name): \(failure.description)"), outcomeUnknown: inDoubt?.tag == tag)
    }

    /// `text` with every secret replaced by `***`.
    package func scrub(_ text: String) -> String {
        Self.scrub(text, secrets: settings.secrets)
    }

    package static func scrub(_ text: String, secrets: [String]) -> String {
        secrets.filter { !$0.isEmpty }.reduce(text) { $0.replacingAll($1, with: "***") }
    }

    package func close() {
        if let connection, connection.isUsable {
            if let doubt = inDoubt, let committed = try? isCommitted(doubt.tag, on: connection) {
                stats.update { stats in
                    stats.inDoubtRecordsDropped += doubt.records
                    stats.inDoubtRecordsDroppedButCommitted += committed ? doubt.records : 0
                }
                inDoubt = nil
            }
            try? connection.execute("DELETE FROM sluice_batches WHERE writer = '\(settings.writer)'")
        }
        connection?.close()
        connection = nil
    }
}

extension String {
    /// Every occurrence of `target` replaced (Foundation-free).
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Substring {
    fileprivate func range(of target: String) -> Range<Index>? {
        var start = startIndex
        while start < endIndex {
            if self[start...].hasPrefix(target) {
                return start..<index(start, offsetBy: target.count)
            }
            start = index(after: start)
        }
        return nil
    }
}
