import Dispatch
import Sluice

/// Suspends every write until the test opens the gate (an async hang: the sink's thread stays free).
actor GateSink: LogSink {
    nonisolated let name: String
    nonisolated let level: LogLevel
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private(set) var received: [LogRecord] = []

    init(name: String = "gate", level: LogLevel = .trace) {
        self.name = name
        self.level = level
    }

    func write(_ records: [LogRecord]) async {
        while !isOpen {
            await withCheckedContinuation { waiters.append($0) }
        }
        received.append(contentsOf: records)
    }

    func open() {
        isOpen = true
        for waiter in waiters {
            waiter.resume()
        }
        waiters.removeAll()
    }
}

/// Blocks its thread inside `write` until released: a sink stuck in a blocking system call.
final class BlockingSink: LogSink {
    let name = "blocked"
    let level = LogLevel.trace
    private let gate = DispatchSemaphore(value: 0)
    private let entered = DispatchSemaphore(value: 0)

    func write(_ records: [LogRecord]) {
        entered.signal()
        gate.wait()
        gate.signal()  // let every later write through too
    }

    /// Waits (blocking the caller's thread) until a write is in progress.
    func waitUntilBlocked() async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.entered.wait()
                continuation.resume()
            }
        }
    }

    func release() {
        gate.signal()
    }
}

/// Throws from every write, counting attempts.
actor ThrowingSink: LogSink {
    nonisolated let name = "throwing"
    nonisolated let level = LogLevel.trace
    private(set) var attempts = 0

    func write(_ records: [LogRecord]) throws {
        attempts += 1
        throw SluiceError(.writeFailed, "simulated failure")
    }
}

/// Records which sequence numbers it saw, without keeping the records (for million-record tests).
final class SequenceSink: LogSink {
    let name = "sequence"
    let level = LogLevel.trace
    private let state: LockedValue<(seen: [Bool], duplicates: Int, outOfRange: Int, total: Int)>

    init(expected: Int) {
        state = LockedValue((Array(repeating: false, count: expected + 1), 0, 0, 0))
    }

    func write(_ records: [LogRecord]) {
        state.withLock { state in
            for record in records {
                state.total += 1
                let index = Int(record.sequence)
                guard index > 0 && index < state.seen.count else {
                    state.outOfRange += 1
                    continue
                }
                if state.seen[index] {
                    state.duplicates += 1
                }
                state.seen[index] = true
            }
        }
    }

    var summary: (total: Int, missing: Int, duplicates: Int, outOfRange: Int) {
        state.withLock { state in
            (state.total, state.seen.dropFirst().count { !$0 }, state.duplicates, state.outOfRange)
        }
    }
}

/// Collects internal errors reported by a pipeline.
final class ErrorCollector: Sendable {
    private let errors = LockedValue([InternalError]())

    var handler: InternalErrorHandler {
        .custom { [errors] error in errors.withLock { $0.append(error) } }
    }

    var all: [InternalError] {
        errors.withLock { $0 }
    }
}
