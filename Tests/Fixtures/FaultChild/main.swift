// sluice-fault-child: runs one fault scenario in a process of its own, so a fault that would kill
// a process (SIGPIPE) kills this child and not the test runner. It writes what happened to the
// result file and exits 0 when it survived.
//
//     SluiceFaultChild <scenario> <result-file>
//
// Scenarios:
//   console-closed-stdout  standard output is a pipe nobody reads any more (`app | head -1`)
//   stderr-closed          standard error is such a pipe; sinks fail and the default handler reports
//   syslog-tcp-reset       a TCP syslog receiver stops reading mid-batch, then resets the connection
//   fifo-reader-gone       a FileSink writes to a FIFO whose reader went away

import Dispatch
import Foundation
import Sluice

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: SluiceFaultChild <scenario> <result-file>\n".utf8))
    exit(2)
}
let scenario = arguments[1]
let resultPath = arguments[2]

// The default disposition, whatever the parent set: SIGPIPE kills unless Sluice prevents it.
signal(SIGPIPE, SIG_DFL)

func report(_ text: String) {
    _ = FileManager.default.createFile(atPath: resultPath, contents: Data((text + "\n").utf8))
}

/// Replaces `descriptor` with the write end of a pipe whose read end is closed.
func redirectToClosedPipe(_ descriptor: Int32) {
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0 else { exit(3) }
    close(ends[0])
    dup2(ends[1], descriptor)
    close(ends[1])
}

struct Failing: Error, CustomStringConvertible {
    var description: String { "disk on fire" }
}

final class FailingSink: LogSink {
    let name = "failing"
    let level = LogLevel.trace
    func write(_ records: [LogRecord]) throws { throw Failing() }
}

func runPipeline(_ sinks: [any LogSink], records: Int) async -> ShutdownReport {
    do {
        let pipeline = try LogPipeline(
            sinks: sinks, level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 64, maxDelay: .milliseconds(1)),
            queue: QueueOptions(overflow: .block))
        let log = pipeline.logger(label: "fault")
        let padding = String(repeating: "p", count: 200)
        for i in 0..<records {
            log.info("record \(i) \(padding)")
        }
        return await pipeline.shutdown(timeout: .seconds(20))
    } catch {
        report("setup failed: \(error)")
        exit(4)
    }
}

switch scenario {
case "console-closed-stdout":
    redirectToClosedPipe(1)
    let stats = await runPipeline([ConsoleSink(format: .text)], records: 2_000).stats
    report(
        "survived written=\(stats.written) sinkFailure=\(stats.dropped.sinkFailure) balanced=\(stats.logged == stats.written + stats.dropped.total + stats.inFlight)"
    )
    exit(0)

case "stderr-closed":
    redirectToClosedPipe(2)
    let stats = await runPipeline([FailingSink(), ConsoleSink(format: .text, stderrLevel: .trace)], records: 2_000)
        .stats
    report("survived written=\(stats.written) sinkFailure=\(stats.dropped.sinkFailure)")
    exit(0)

case "syslog-tcp-reset":
    let receiver = StallingReceiver()
    receiver.start()
    let sink = try SyslogSink(
        transport: .tcp(host: "127.0.0.1", port: receiver.port), maxMessageBytes: 65_536, timeout: .seconds(10),
        retry: RetryOptions(initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50), retryBudget: .seconds(2)))
    let pipeline = try LogPipeline(
        sinks: [sink], level: .trace, levelEnvironmentVariable: nil,
        batching: BatchingOptions(maxRecords: 512, maxDelay: .milliseconds(500)),
        queue: QueueOptions(overflow: .block))
    let log = pipeline.logger(label: "fault")
    // Full batches of 8 MB (a batch closes on its count long before its delay): more than both socket
    // buffers hold, so the sender blocks in the middle of one.
    let padding = String(repeating: "q", count: 16_000)
    for i in 0..<2_000 {
        log.info("record \(i) \(padding)")
    }
    // The receiver resets the connection once the sender is blocked in the middle of a batch.
    _ = await Task.detached { receiver.waitForReset() }.value
    for i in 0..<500 {
        log.info("after \(i) \(padding)")
    }
    let stats = await pipeline.shutdown(timeout: .seconds(30)).stats
    report(
        "survived logged=\(stats.logged) written=\(stats.written) sinkFailure=\(stats.dropped.sinkFailure) balanced=\(stats.logged == stats.written + stats.dropped.total + stats.inFlight) resets=\(receiver.resets)"
    )
    exit(0)

case "fifo-reader-gone":
    let fifo = resultPath + ".fifo"
    unlink(fifo)
    guard mkfifo(fifo, 0o600) == 0 else { exit(3) }
    let reader = open(fifo, O_RDONLY | O_NONBLOCK)
    let sink = try FileSink(path: fifo, format: .json, durability: .noSync)
    close(reader)
    let stats = await runPipeline([sink], records: 2_000).stats
    unlink(fifo)
    report("survived written=\(stats.written) sinkFailure=\(stats.dropped.sinkFailure)")
    exit(0)

default:
    report("unknown scenario \(scenario)")
    exit(2)
}

/// A TCP receiver that takes one connection, reads nothing until the sender is blocked, then half
/// closes and resets it (a receiver that stops reading and then dies); later connections are read
/// to the end.
final class StallingReceiver: @unchecked Sendable {
    // @unchecked Sendable is safe: `port` is set before the thread starts; `state` is locked.
    let port: Int
    private let listener: Int32
    private let state = LockedValue((resets: 0, done: false))
    private let resetDone = DispatchSemaphore(value: 0)

    init() {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var small: Int32 = 4_096
        setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(listener, $0, length)
                _ = getsockname(listener, $0, &length)
            }
        }
        listen(listener, 16)
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func start() {
        Thread { [self] in run() }.start()
    }

    var resets: Int { state.withLock { $0.resets } }

    func waitForReset() {
        resetDone.wait()
    }

    private func run() {
        let first = accept(listener, nil, nil)
        // Wait until the sender has filled the buffers: no new bytes for 300 ms.
        var last: Int32 = -1
        var stableSince = Date()
        while true {
            var queued: Int32 = 0
            _ = ioctl(first, UInt(FIONREAD), &queued)
            if queued != last {
                last = queued
                stableSince = Date()
            } else if queued > 0 && Date().timeIntervalSince(stableSince) > 0.3 {
                break
            }
            usleep(10_000)
        }
        // Half close (the sender's end goes to CLOSE_WAIT) while the sender is blocked in a write,
        // then reset: the sender's next write fails with EPIPE and raises SIGPIPE unless the sender
        // prevents it.
        shutdown(first, Int32(SHUT_WR))
        usleep(50_000)
        var hard = linger(l_onoff: 1, l_linger: 0)
        setsockopt(first, SOL_SOCKET, SO_LINGER, &hard, socklen_t(MemoryLayout<linger>.size))
        close(first)
        state.withLock { $0.resets += 1 }
        resetDone.signal()
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            Thread {
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while buffer.withUnsafeMutableBytes({ read(connection, $0.baseAddress, $0.count) }) > 0 {}
                close(connection)
            }.start()
        }
    }
}
