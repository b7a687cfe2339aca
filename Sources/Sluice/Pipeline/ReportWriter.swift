#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes internal-error reports to a descriptor (standard error) from a thread of its own.
///
/// The pipeline's threads only put a line into a bounded buffer, so a standard error that does not
/// drain (a full pipe, a stalled terminal, the same stuck pipe as a `ConsoleSink`) never holds up
/// the collector, a sink or a timer. When the buffer is full the report is dropped and counted; the
/// next line that gets through says how many were dropped. A reader that went away (`EPIPE`) never
/// raises `SIGPIPE`.
//
// @unchecked Sendable is safe: every mutable property is guarded by `lock`; `descriptor` and the
// capacities are immutable.
package final class ReportWriter: @unchecked Sendable {
    /// The process's standard error, shared by every pipeline.
    package static let standardError = ReportWriter(descriptor: 2)

    private let descriptor: Int32
    private let capacityBytes: Int
    private let capacityLines: Int
    private let lock = Lock()
    private let wakeup = Condition()
    private var lines: [[UInt8]] = []
    private var queuedBytes = 0
    private var droppedSinceLastLine = 0
    private var droppedTotal = 0
    private var threadRunning = false

    package init(descriptor: Int32, capacityBytes: Int = 64 * 1024, capacityLines: Int = 256) {
        self.descriptor = descriptor
        self.capacityBytes = capacityBytes
        self.capacityLines = capacityLines
    }

    /// Reports dropped because the buffer was full, since the writer was created.
    package var dropped: Int {
        lock.withLock { droppedTotal }
    }

    /// Queues `line` (which ends in a newline) for writing; never waits for the descriptor.
    package func enqueue(_ line: [UInt8]) {
        lock.lock()
        guard queuedBytes + line.count <= capacityBytes && lines.count < capacityLines else {
            droppedSinceLastLine += 1
            droppedTotal += 1
            lock.unlock()
            return
        }
        lines.append(line)
        queuedBytes += line.count
        let start = !threadRunning
        threadRunning = true
        lock.unlock()
        if start {
            SluiceThread.start(name: "sluice-stderr") { [self] in
                run()
            }
        } else {
            wakeup.signal()
        }
    }

    private func run() {
        lock.lock()
        while true {
            guard !lines.isEmpty else {
                // Idle: the thread ends after a second without reports and starts again with the next.
                wakeup.wait(lock, untilMonotonicNanoseconds: MonotonicTime.nanoseconds() &+ 1_000_000_000)
                if lines.isEmpty {
                    threadRunning = false
                    lock.unlock()
                    return
                }
                continue
            }
            let line = lines.removeFirst()
            queuedBytes -= line.count
            let dropped = droppedSinceLastLine
            droppedSinceLastLine = 0
            lock.unlock()
            if dropped > 0 {
                write(
                    Array(
                        "sluice: \(dropped) internal error reports were dropped: standard error did not take them in time\n"
                            .utf8))
            }
            write(line)
            lock.lock()
        }
    }

    private func write(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { FileDescriptorIO.writeAll(descriptor, $0) }
    }
}
