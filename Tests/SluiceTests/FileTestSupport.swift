import Foundation
import Sluice

/// A wall clock the test moves by hand, with a monotonic clock beside it.
final class ManualWallClock: Sendable {
    private let current: LockedValue<(wall: LogTimestamp, monotonic: UInt64)>
    private let offset: Int64

    init(_ start: LogTimestamp, utcOffset: Int64 = 0) {
        current = LockedValue((start, 1_000_000_000))
        offset = utcOffset
    }

    var now: LogTimestamp { current.withLock { $0.wall } }

    /// Time passes: the wall clock moves to `time` and the monotonic clock by as much (forwards).
    func set(_ time: LogTimestamp) {
        current.withLock { current in
            let delta = time.nanosecondsSinceEpoch - current.wall.nanosecondsSinceEpoch
            current.monotonic += UInt64(max(delta, 0))
            current.wall = time
        }
    }

    /// The wall clock steps to `time` (a bad RTC, NTP): the monotonic clock does not move.
    func step(to time: LogTimestamp) {
        current.withLock { $0.wall = time }
    }

    /// Time passes on the monotonic clock only (the wall clock stays where a step put it).
    func advanceMonotonic(by nanoseconds: UInt64) {
        current.withLock { $0.monotonic += nanoseconds }
    }

    var wallClock: WallClock {
        WallClock(
            now: { [current] in current.withLock { $0.wall } }, utcOffset: { [offset] _ in offset },
            monotonic: { [current] in current.withLock { $0.monotonic } })
    }
}

/// Parses `2026-11-23T12:00:00Z`-style UTC times for readable tests.
func utc(_ text: String) -> LogTimestamp {
    let dashed = text.replacingOccurrences(of: ":", with: "-").replacingOccurrences(of: "Z", with: ".000000Z")
    guard let time = ArchiveNaming.parseTimestamp(Substring(dashed)) else {
        preconditionFailure("bad test time \(text)")
    }
    return time
}

/// Runs blocking work (waiting for a child process, scanning megabytes) on a thread of its own, so
/// it never occupies a thread of Swift's cooperative pool that other tests running at the same time
/// need.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Runs a program (off the cooperative pool) and returns its exit status and standard output.
@discardableResult
func runProgram(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: Data) {
    try await offThePool { try runProgramBlocking(executable, arguments) }
}

func runProgramBlocking(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, data)
}

/// Decompresses a gzip file with the system's `gzip`, an implementation independent of ours.
func gunzip(_ path: String) async throws -> Data {
    let (status, data) = try await runProgram("/usr/bin/env", ["gzip", "-dc", path])
    guard status == 0 else { throw SluiceError(.sinkFailed, "gzip -dc \(path) exited with \(status)") }
    return data
}

/// Whether `gzip -t` accepts the file.
func gzipTestPasses(_ path: String) async throws -> Bool {
    try await runProgram("/usr/bin/env", ["gzip", "-t", path]).status == 0
}

func directoryListing(_ directory: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
}

/// The `"sequence":N` values in JSON Lines, in order.
func sequenceNumbers(in data: Data) -> [Int] {
    let key = Array("\"sequence\":".utf8)
    var numbers: [Int] = []
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
        let bytes = raw.bindMemory(to: UInt8.self)
        var index = 0
        while index + key.count < bytes.count {
            var matches = true
            for offset in 0..<key.count where bytes[index + offset] != key[offset] {
                matches = false
                break
            }
            if !matches {
                index += 1
                continue
            }
            index += key.count
            var value = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                value = value * 10 + Int(bytes[index] - 48)
                index += 1
            }
            numbers.append(value)
        }
    }
    return numbers
}

/// Checks a file's content is whole JSON lines: ends with a newline, every line parses.
func wholeJSONLines(_ data: Data) -> (lines: Int, ok: Bool, problem: String?) {
    guard !data.isEmpty else { return (0, true, nil) }
    guard data.last == UInt8(ascii: "\n") else { return (0, false, "does not end with a newline") }
    var count = 0
    for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
        count += 1
        guard (try? JSONSerialization.jsonObject(with: Data(line))) is [String: Any] else {
            return (
                count, false, "line \(count) is not a JSON object: \(String(decoding: line.prefix(200), as: UTF8.self))"
            )
        }
    }
    return (count, true, nil)
}

func fileMode(_ path: String) -> mode_t {
    var info = stat()
    guard lstat(path, &info) == 0 else { return 0 }
    return info.st_mode & 0o7777
}

func record(_ message: String, label: String = "test", sequence: UInt64 = 0, at time: LogTimestamp = LogTimestamp.now())
    -> LogRecord
{
    var record = LogRecord(timestamp: time, level: .info, label: label, message: message)
    record.sequence = sequence
    return record
}

/// Runs `body(index)` on `count` threads of their own and waits for all of them. Heavy producers
/// under the `block` policy park their thread; on plain threads they leave Swift's cooperative pool
/// free for the other tests running at the same time.
func onDedicatedThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                body(index)
                group.leave()
            }
            thread.start()
        }
        group.notify(queue: .global()) { continuation.resume() }
    }
}
