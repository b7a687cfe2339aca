import CLibPQ
import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed libpq call: the server's SQLSTATE when it answered, and whether the connection broke
/// (then the server's answer, if any, never arrived).
package struct PostgresFailure: Error, Sendable, CustomStringConvertible {
    package var sqlState: String?
    package var message: String
    package var connectionLost: Bool

    package init(sqlState: String?, message: String, connectionLost: Bool) {
        self.sqlState = sqlState
        self.message = message
        self.connectionLost = connectionLost
    }

    package var description: String {
        sqlState.map { "\(message) (SQLSTATE \($0))" } ?? message
    }
}

/// One libpq connection in blocking mode, used by one thread at a time: the thread that made it
/// at the sink's creation, then only the delivery engine's thread.
package final class PostgresConnection {
    private var handle: OpaquePointer?

    /// Connects, blocking up to libpq's `connect_timeout`.
    ///
    /// - Parameters:
    ///   - connectionString: Expanded by libpq first, if given.
    ///   - parameters: Keywords and values that win over the connection string.
    ///   - password: Passed to libpq as `password`.
    package init(connectionString: String?, parameters: [String: String], password: String?)
        throws(PostgresFailure)
    {
        var pairs: [(String, String)] = []
        if let connectionString {
            pairs.append(("dbname", connectionString))
        }
        pairs += parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let password {
            pairs.append(("password", password))
        }
        let keywords = pairs.map { strdup($0.0) } + [nil]
        let values = pairs.map { strdup($0.1) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let handle = keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordPointers in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
                PQconnectdbParams(keywordPointers.baseAddress, valuePointers.baseAddress, 1)
            }
        }
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { Self.clean(String(cString: PQerrorMessage($0))) } ?? "out of memory"
            PQfinish(handle)
            throw PostgresFailure(sqlState: nil, message: message, connectionLost: true)
        }
        // NOTICEs (such as "relation already exists, skipping") would go to standard error.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        self.handle = handle
    }

    deinit {
        close()
    }

    package func close() {
        PQfinish(handle)
        handle = nil
    }

    /// The server's version as a number, e.g. 150018 for 15.18.
    package var serverVersion: Int {
        handle.map { Int(PQserverVersion($0)) } ?? 0
    }

    /// A server setting such as `server_encoding`.
    package func parameterStatus(_ name: String) -> String? {
        guard let handle, let value = PQparameterStatus(handle, name) else { return nil }
        return String(cString: value)
    }

    /// Whether the connection still works. A server that restarted while the connection was idle
    /// closed it; that shows as a readable socket, which libpq then reads and marks as broken.
    package var isUsable: Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) > 0 {
            PQconsumeInput(handle)
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Runs statements that return no rows (several may be separated by semicolons).
    package func execute(_ sql: String) throws(PostgresFailure) {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, sql: sql, expecting: PGRES_COMMAND_OK, PGRES_TUPLES_OK)
    }

    /// The rows of a query, as text (`nil` for NULL).
    package func query(_ sql: String) throws(PostgresFailure) -> [[String?]] {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, sql: sql, expecting: PGRES_TUPLES_OK)
        return (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    /// Runs `sql`, statements ending with `COPY … FROM STDIN`, in one round trip, sends `data` and
    /// returns the rows the server copied.
    package func copy(_ sql: String, data: UnsafeRawBufferPointer) throws(PostgresFailure) -> Int {
        guard PQsendQuery(handle, sql) == 1 else {
            throw connectionFailure("sending the query")
        }
        // The statements before COPY answer first; an error ends the query string there.
        while true {
            let result = PQgetResult(handle)
            let status = result.map { PQresultStatus($0) }
            if status == PGRES_COPY_IN {
                PQclear(result)
                break
            }
            if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
                PQclear(result)
                continue
            }
            do {
                try check(result, sql: sql, expecting: PGRES_COPY_IN)
            } catch {
                PQclear(result)
                drainResults()
                throw error
            }
        }
        var offset = 0
        while offset < data.count {
            let chunk = min(data.count - offset, 1 << 20)
            let pointer = data.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
            guard PQputCopyData(handle, pointer, Int32(chunk)) == 1 else {
                throw connectionFailure("sending COPY data")
            }
            offset += chunk
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            throw connectionFailure("ending COPY")
        }
        let result = PQgetResult(handle)
        defer {
            PQclear(result)
            drainResults()
        }
        try check(result, sql: sql, expecting: PGRES_COMMAND_OK)
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    private func drainResults() {
        while let result = PQgetResult(handle) {
            PQclear(result)
        }
    }

    private func check(_ result: OpaquePointer?, sql: String, expecting expected: ExecStatusType...)
        throws(PostgresFailure)
    {
        if let result, expected.contains(PQresultStatus(result)) {
            return
        }
        let lost = handle == nil || PQstatus(handle) != CONNECTION_OK
        var message = result.map { String(cString: PQresultErrorMessage($0)) } ?? ""
        if message.isEmpty, let handle {
            message = String(cString: PQerrorMessage(handle))
        }
        if message.isEmpty, let result {
            message = "unexpected result \(String(cString: PQresStatus(PQresultStatus(result))))"
        }
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        throw PostgresFailure(sqlState: state, message: Self.clean(message), connectionLost: lost)
    }

    private func connectionFailure(_ step: String) -> PostgresFailure {
        let text = handle.map { String(cString: PQerrorMessage($0)) } ?? ""
        return PostgresFailure(
            sqlState: nil, message: Self.clean("\(step) failed: \(text)"),
            connectionLost: handle == nil || PQstatus(handle) != CONNECTION_OK)
    }

    /// libpq's messages on one line.
    package static func clean(_ message: String) -> String {
        message.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map {
            String($0).trimmingCharacters(in: " \t")
        }.filter { !$0.isEmpty }.joined(separator: "; ")
    }

    /// `host:port/database` from the options, without user or password (for names and messages).
    package static func describe(_ options: PostgresConnectionOptions) -> String {
        var values: [String: String] = [:]
        if let string = options.connectionString {
            var error: UnsafeMutablePointer<CChar>?
            if let parsed = PQconninfoParse(string, &error) {
                var option = parsed
                while let keyword = option.pointee.keyword {
                    if let value = option.pointee.val {
                        values[String(cString: keyword)] = String(cString: value)
                    }
                    option += 1
                }
                PQconninfoFree(parsed)
            }
            PQfreemem(error)
        }
        values.merge(options.parameters) { _, given in given }
        let host = values["host"] ?? values["hostaddr"] ?? "localhost"
        return "\(host):\(values["port"] ?? "5432")/\(values["dbname"] ?? values["user"] ?? "-")"
    }

    /// The password a connection string carries, if any (so messages can be scrubbed of it).
    package static func password(in connectionString: String) -> String? {
        var error: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(connectionString, &error) else {
            PQfreemem(error)
            return nil
        }
        defer { PQconninfoFree(parsed) }
        var option = parsed
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val {
                return String(cString: value)
            }
            option += 1
        }
        return nil
    }

    /// Whether libpq can parse the connection string.
    package static func isParsable(_ connectionString: String) -> Bool {
        var error: UnsafeMutablePointer<CChar>?
        let parsed = PQconninfoParse(connectionString, &error)
        PQfreemem(error)
        PQconninfoFree(parsed)
        return parsed != nil
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice.removeFirst() }
        while let last = slice.last, characters.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
