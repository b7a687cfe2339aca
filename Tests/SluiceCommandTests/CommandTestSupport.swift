import Foundation
import Testing

/// The `sluice` binary and the capture child, built next to this test binary (the test target
/// depends on both).
enum Binaries {
    static let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent()
    static let sluice = directory.appendingPathComponent("sluice").path
    static let child = directory.appendingPathComponent("SluiceCaptureChild").path
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    chmod(url.path, 0o755)
    return url
}

/// Runs blocking work on a thread of its own, never on the cooperative pool other tests need.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A `sluice` started by a test, with pipes on its three standard streams.
final class SluiceRun: @unchecked Sendable {
    // @unchecked Sendable is safe: every stored property is a `let` of a thread-safe class
    // (Process and Pipe, used as Foundation allows from any thread; LockedBox) and never replaced.
    let process = Process()
    let input = Pipe()
    private let output = Pipe()
    private let error = Pipe()
    private let outputData = LockedBox<Data>()
    private let errorData = LockedBox<Data>()

    init(_ arguments: [String], standardInput: FileHandle? = nil) throws {
        process.executableURL = URL(fileURLWithPath: Binaries.sluice)
        process.arguments = arguments
        if let standardInput {
            process.standardInput = standardInput
        } else {
            process.standardInput = input
        }
        process.standardOutput = output
        process.standardError = error
        try process.run()
        for (pipe, box) in [(output, outputData), (error, errorData)] {
            Thread { box.set(pipe.fileHandleForReading.readDataToEndOfFile()) }.start()
        }
    }

    var pid: pid_t { process.processIdentifier }

    func signal(_ number: Int32) {
        kill(pid, number)
    }

    struct Result {
        var status: Int32
        var output: Data
        var error: String
    }

    /// Waits for `sluice` to exit (killing it after `timeout`, which fails the test) and returns
    /// its exit status and what it printed.
    func finish(timeout: Duration = .seconds(120)) async throws -> Result {
        let process = self.process
        let pid = self.pid
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        try await offThePool { process.waitUntilExit() }
        watchdog.cancel()
        let (output, error) = try await offThePool { [outputData, errorData] in (outputData.wait(), errorData.wait()) }
        let errorText = String(decoding: error, as: UTF8.self)
        if process.terminationReason == .uncaughtSignal {
            throw TestFailure(
                "sluice was killed by signal \(process.terminationStatus) (after \(timeout)?): \(errorText)")
        }
        return Result(status: process.terminationStatus, output: output, error: errorText)
    }
}

/// One JSON line of a log file.
// @unchecked Sendable is safe: the parsed dictionary is never mutated after parsing.
struct LogLine: @unchecked Sendable {
    var json: [String: Any]

    var message: String { json["message"] as? String ?? "" }
    var level: String { json["level"] as? String ?? "" }
    var label: String { json["label"] as? String ?? "" }
    var timestamp: String { json["timestamp"] as? String ?? "" }
    var metadata: [String: Any] { json["metadata"] as? [String: Any] ?? [:] }
    var stream: String { metadata["stream"] as? String ?? "" }
    var isPartial: Bool { metadata["partial"] as? Bool ?? false }

    /// Seconds since the epoch, from the RFC 3339 timestamp.
    var time: Double {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: timestamp)?.timeIntervalSince1970 ?? 0
    }
}

/// The JSON lines of a file (missing file: none).
func logLines(_ path: String) throws -> [LogLine] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    return try data.split(separator: UInt8(ascii: "\n")).map { line in
        guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(String(decoding: line, as: UTF8.self))")
        }
        return LogLine(json: object)
    }
}

/// Polls `condition` until it holds or `timeout` passes (a guard against hangs, not a timing).
func waitUntil(
    timeout: Duration = .seconds(60), _ what: String, _ condition: () throws -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try condition() {
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TestFailure("timed out waiting for \(what)")
}

/// A value one thread sets and another waits for.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable is safe: `value` is only touched with `condition` locked.
    private let condition = NSCondition()
    private var value: Value?

    init(_ initial: Value? = nil) {
        value = initial
    }

    func set(_ newValue: Value) {
        condition.lock()
        value = newValue
        isSet = true
        condition.broadcast()
        condition.unlock()
    }

    private var isSet = false

    /// Waits until `set` was called and returns the value.
    func wait() -> Value {
        condition.lock()
        defer { condition.unlock() }
        while !isSet {
            condition.wait()
        }
        return value!
    }
}
