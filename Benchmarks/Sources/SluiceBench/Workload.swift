import Foundation

/// The benchmark workload, the same for every system: level info, label `bench`, message
/// `request handled`, metadata `request_id` (16 hex characters, unique per record), `status` = 200,
/// `path` = `/api/v1/items`, one text line per record.
enum Workload {
    static let label = "bench"
    static let message = "request handled"
    static let path = "/api/v1/items"
    static let status = 200

    /// The unique id of record `index` of producer `producer`: 16 lowercase hex digits.
    @inline(__always)
    static func requestID(producer: Int, index: Int) -> String {
        let value = UInt64(producer) << 40 | UInt64(index)
        return String(unsafeUninitializedCapacity: 16) { buffer in
            let digits: StaticString = "0123456789abcdef"
            digits.withUTF8Buffer { table in
                for position in 0..<16 {
                    buffer[position] = table[Int((value >> UInt64((15 - position) * 4)) & 0xF)]
                }
            }
            return 16
        }
    }

    /// Checks a log file: exactly `expected` lines, every one carrying a distinct `request_id`.
    /// Returns nil when the file is right, or what is wrong.
    static func verify(file path: String, expected: Int) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else {
            return "cannot read \(path)"
        }
        var lines = 0
        var ids = Set<UInt64>(minimumCapacity: expected)
        var duplicates = 0
        var missingID = 0
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            let marker = Array("request_id".utf8)
            var lineStart = 0
            for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
                lines += 1
                if let id = Self.findID(in: bytes, from: lineStart, to: index, marker: marker) {
                    if !ids.insert(id).inserted {
                        duplicates += 1
                    }
                } else {
                    missingID += 1
                }
                lineStart = index + 1
            }
        }
        if lines != expected {
            return "expected \(expected) lines, found \(lines)"
        }
        if missingID > 0 || duplicates > 0 {
            return "\(missingID) lines without a request id, \(duplicates) duplicate ids"
        }
        return nil
    }

    /// Finds `request_id` followed by `=`, `":"` or similar, then 16 hex digits, in one line.
    private static func findID(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, marker: [UInt8])
        -> UInt64?
    {
        var position = start
        while position + marker.count < end {
            if bytes[position] == marker[0] && (0..<marker.count).allSatisfy({ bytes[position + $0] == marker[$0] }) {
                var cursor = position + marker.count
                while cursor < end && !Self.isHex(bytes[cursor]) {
                    cursor += 1
                }
                guard cursor + 16 <= end else { return nil }
                var value: UInt64 = 0
                for offset in 0..<16 {
                    let byte = bytes[cursor + offset]
                    guard Self.isHex(byte) else { return nil }
                    value =
                        value << 4
                        | UInt64(byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : byte - UInt8(ascii: "a") + 10)
                }
                return value
            }
            position += 1
        }
        return nil
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    /// Checks a database sink's table with the database's own client (`sqlite3`, `psql`): exactly
    /// `expected` rows, each with a distinct request id. Returns nil when it is right, or what is wrong.
    static func verify(database config: ChildConfig, expected: Int) -> String? {
        let query: String
        let command: [String]
        switch config.sink {
        case "sqlite":
            query = "SELECT count(*) || '|' || count(DISTINCT metadata ->> 'request_id') FROM logs"
            command = ["sqlite3", "-batch", config.logFile, query]
        default:
            query = "SELECT count(*) || '|' || count(DISTINCT metadata->>'request_id') FROM \"\(config.logFile)\""
            command = ["psql", config.postgres ?? "", "-X", "-q", "-At", "-c", query]
        }
        guard let output = run(command) else { return "\(command[0]) could not read the table" }
        return output == "\(expected)|\(expected)"
            ? nil : "expected \(expected) rows with distinct ids, found \(output)"
    }

    /// Deletes a run's output: the file, the SQLite database with its WAL files, or the table.
    static func remove(_ config: ChildConfig) {
        switch config.sink {
        case "postgres":
            _ = run([
                "psql", config.postgres ?? "", "-X", "-q", "-At", "-c",
                "DROP TABLE IF EXISTS \"\(config.logFile)\" CASCADE",
            ])
        case "sqlite":
            for suffix in ["", "-wal", "-shm"] {
                unlink(config.logFile + suffix)
            }
        default:
            unlink(config.logFile)
        }
    }

    /// Runs a command-line client and returns its standard output without the final newline, or nil
    /// when it fails.
    private static func run(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
