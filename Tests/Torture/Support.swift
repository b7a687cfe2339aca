import Dispatch
import Foundation
import Sluice

#if canImport(Glibc)
import Glibc
#endif

/// SplitMix64: the run's faults come from this, so a seed replays the same fault schedule.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }

    mutating func milliseconds(_ range: ClosedRange<Int>) -> Duration {
        .milliseconds(range.lowerBound + below(range.count))
    }
}

/// Counts every record it receives by sequence number: the witness that nothing reached a healthy
/// sink twice and nothing was lost without being counted. A bitmap, so millions of records cost a
/// few megabytes and no rehashing pause (a pause past the stall timeout would stall the witness).
final class WitnessSink: LogSink {
    let name = "witness"
    let level = LogLevel.trace
    private let state = LockedValue(
        (bits: [UInt64](repeating: 0, count: 1 << 16), distinct: 0, duplicates: 0, received: 0))

    func write(_ records: [LogRecord]) {
        state.withLock { state in
            for record in records {
                state.received += 1
                let word = Int(record.sequence >> 6)
                while word >= state.bits.count {
                    state.bits += [UInt64](repeating: 0, count: state.bits.count)
                }
                let bit: UInt64 = 1 << (record.sequence & 63)
                if state.bits[word] & bit != 0 {
                    state.duplicates += 1
                } else {
                    state.bits[word] |= bit
                    state.distinct += 1
                }
            }
        }
    }

    var summary: (received: Int, distinct: Int, duplicates: Int) {
        state.withLock { ($0.received, $0.distinct, $0.duplicates) }
    }
}

/// A sink that fails, hangs and recovers on command (a flaky custom sink).
final class FaultySink: LogSink {
    let name = "faulty"
    let level = LogLevel.trace
    private let state = LockedValue((failNext: 0, hangUntil: ContinuousClock.Instant?.none, written: 0))

    struct Failure: Error, CustomStringConvertible {
        var description: String { "simulated failure" }
    }

    func failNext(_ batches: Int) {
        state.withLock { $0.failNext += batches }
    }

    func hang(for duration: Duration) {
        state.withLock { $0.hangUntil = ContinuousClock.now.advanced(by: duration) }
    }

    func write(_ records: [LogRecord]) throws {
        let (fail, until) = state.withLock { state -> (Bool, ContinuousClock.Instant?) in
            let fail = state.failNext > 0
            if fail {
                state.failNext -= 1
            }
            let until = state.hangUntil
            state.hangUntil = nil
            return (fail, until)
        }
        if let until {
            // A blocking hang: the sink's thread is stuck in a system call, as on a dead NFS mount.
            let left = ContinuousClock.now.duration(to: until)
            if left > .zero {
                usleep(
                    UInt32(
                        clamping: left.components.seconds * 1_000_000 + left.components.attoseconds / 1_000_000_000_000)
                )
            }
        }
        if fail {
            throw Failure()
        }
        state.withLock { $0.written += records.count }
    }

    var written: Int { state.withLock { $0.written } }
}

/// Reads a pipe (the console sink's standard output) and can stop reading for a while.
final class PipeDrain: @unchecked Sendable {
    // @unchecked Sendable is safe: `readEnd`/`writeEnd` are immutable; `state` is locked.
    let readEnd: Int32
    let writeEnd: Int32
    private let state = LockedValue((paused: false, bytes: 0, stop: false))

    init() {
        var ends: [Int32] = [0, 0]
        _ = pipe(&ends)
        readEnd = ends[0]
        writeEnd = ends[1]
        Thread { [self] in run() }.start()
    }

    func pause(_ paused: Bool) {
        state.withLock { $0.paused = paused }
    }

    var bytes: Int { state.withLock { $0.bytes } }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let (paused, stop) = state.withLock { ($0.paused, $0.stop) }
            if stop { return }
            if paused {
                usleep(5_000)
                continue
            }
            let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            state.withLock { $0.bytes += n }
        }
    }
}

/// A TCP syslog receiver (octet-counted frames) that can be killed and restarted on the same port.
final class SyslogReceiver: @unchecked Sendable {
    // @unchecked Sendable is safe: every mutable property is locked in `state`.
    private struct State {
        var listener: Int32 = -1
        var connections: [Int32] = []
        var frames = 0
        var kills = 0
    }

    private let state = LockedValue(State())
    private(set) var port = 0

    init() throws {
        try listen()
    }

    var frames: Int { state.withLock { $0.frames } }
    var kills: Int { state.withLock { $0.kills } }

    private func listen() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard ok, Glibc.listen(listener, 64) == 0 else {
            close(listener)
            throw SluiceError(.sinkFailed, "the syslog receiver cannot listen on port \(port): errno \(errno)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        state.withLock { $0.listener = listener }
        Thread { [self] in accept(on: listener) }.start()
    }

    private func accept(on listener: Int32) {
        while true {
            let connection = Glibc.accept(listener, nil, nil)
            guard connection >= 0 else { return }
            state.withLock { $0.connections.append(connection) }
            Thread { [self] in read(connection) }.start()
        }
    }

    private func read(_ connection: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var pending: [UInt8] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(connection, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            pending += buffer[0..<n]
            // Count whole frames: "LENGTH SP MESSAGE".
            var start = 0
            while let space = pending[start...].firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: pending[start..<space], as: UTF8.self)),
                space + 1 + length <= pending.count
            {
                start = space + 1 + length
                state.withLock { $0.frames += 1 }
            }
            pending.removeFirst(start)
        }
    }

    /// Closes the listener and every connection at once, like a receiver process that died.
    func kill() {
        let (listener, connections) = state.withLock { state -> (Int32, [Int32]) in
            defer {
                state.listener = -1
                state.connections = []
                state.kills += 1
            }
            return (state.listener, state.connections)
        }
        if listener >= 0 {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
        for connection in connections {
            var hard = linger(l_onoff: 1, l_linger: 0)
            setsockopt(connection, SOL_SOCKET, SO_LINGER, &hard, socklen_t(MemoryLayout<linger>.size))
            shutdown(connection, Int32(SHUT_RDWR))
            close(connection)
        }
    }

    func restart() {
        for _ in 0..<50 {
            if (try? listen()) != nil { return }
            usleep(20_000)
        }
    }
}

/// The Python HTTP receiver of the tests, run as a child process that is killed with SIGKILL and
/// started again on the same port.
final class HTTPReceiverProcess: @unchecked Sendable {
    // @unchecked Sendable is safe: only the controller's thread calls start/kill.
    private let script: String
    private let directory: String
    private(set) var port = 0
    private var process: Process?
    private(set) var kills = 0

    init?(script: String, directory: String) {
        guard FileManager.default.fileExists(atPath: script) else { return nil }
        self.script = script
        self.directory = directory
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard start() else { return nil }
    }

    @discardableResult
    func start() -> Bool {
        let portFile = directory + "/port-\(UInt32.random(in: 0...UInt32.max))"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["python3", script, "--dir", directory, "--port-file", portFile]
            + (port == 0 ? [] : ["--port", String(port)])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        self.process = process
        for _ in 0..<500 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) {
                self.port = port
                return true
            }
            if !process.isRunning { return false }
            usleep(10_000)
        }
        return false
    }

    func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        kills += 1
    }

    /// Records in accepted bodies (one JSON line each).
    var acceptedLines: Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix("-200.body") }.reduce(0) { total, name in
            let data = (try? Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))) ?? Data()
            return total + data.count { $0 == UInt8(ascii: "\n") }
        }
    }
}
