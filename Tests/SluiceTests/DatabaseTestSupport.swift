import Foundation
import Sluice
import Testing

/// Runs a Python 3 script (an implementation of SQLite access independent of ours) and returns its
/// standard output parsed as JSON.
func python(_ script: String, _ arguments: [String] = []) async throws -> Any {
    let (status, output) = try await runProgram("/usr/bin/env", ["python3", "-c", script] + arguments)
    guard status == 0 else {
        throw TestFailure("python3 exited with \(status): \(String(decoding: output.prefix(2_000), as: UTF8.self))")
    }
    return try JSONSerialization.jsonObject(with: output, options: [.fragmentsAllowed])
}

/// The rows of `sql` on the SQLite database at `path`, read with Python's `sqlite3` module.
func sqliteRows(_ path: String, _ sql: String) async throws -> [[Any]] {
    let script = """
        import json, sqlite3, sys, traceback
        try:
            connection = sqlite3.connect(sys.argv[1], timeout=30)
            rows = connection.execute(sys.argv[2]).fetchall()
        except Exception:
            print(traceback.format_exc())
            sys.exit(1)
        json.dump([list(row) for row in rows], sys.stdout)
        """
    guard let rows = try await python(script, [path, sql]) as? [[Any]] else {
        throw TestFailure("unexpected output for \(sql)")
    }
    return rows
}

/// The single integer `sql` returns.
func sqliteInteger(_ path: String, _ sql: String) async throws -> Int {
    guard let value = try await sqliteRows(path, sql).first?.first as? Int else {
        throw TestFailure("\(sql) returned no integer")
    }
    return value
}

/// A child process the test talks to: it reads the child's standard output line by line on a
/// thread of its own and can write lines to its standard input.
final class ChildProcess: Sendable {
    private let process: Process
    private let input: FileHandle
    private let lines = LockedValue([String]())
    private let ended = LockedValue(false)

    init(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        input = stdin.fileHandleForWriting
        let reader = stdout.fileHandleForReading
        Thread { [lines, ended] in
            var pending = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    lines.withLock { $0.append(line) }
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            ended.withLock { $0 = true }
        }.start()
    }

    /// Every line the child wrote so far.
    var output: [String] { lines.withLock { $0 } }

    /// Polls (a bounded wait on an external process) until a line satisfies `condition`; returns it.
    func waitForLine(timeout: Duration = .seconds(60), _ condition: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let line = output.first(where: condition) {
                return line
            }
            if ended.withLock({ $0 }) && output.first(where: condition) == nil {
                throw TestFailure("the child exited; it wrote: \(output.suffix(20))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("no matching line within \(timeout); the child wrote: \(output.suffix(20))")
    }

    func send(_ line: String) {
        input.write(Data((line + "\n").utf8))
    }

    /// Waits for the child to exit (off the cooperative pool) and returns its status.
    func wait() async throws -> Int32 {
        let process = self.process
        return try await offThePool {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    func kill() {
        if process.isRunning {
            process.terminate()
        }
    }
}

/// Polls `condition` until it holds or `timeout` passes (a guard against hangs, not a delay).
func eventually(
    timeout: Duration = .seconds(60), _ what: String, _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            throw TestFailure("timed out after \(timeout) waiting for: \(what)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
