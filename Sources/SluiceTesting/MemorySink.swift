import Sluice

/// A sink that keeps every record in memory, for asserting on your own logs in tests.
///
/// ```swift
/// let memory = MemorySink()
/// let pipeline = try LogPipeline(sinks: [memory], level: .trace)
/// let log = pipeline.logger(label: "checkout")
/// checkout(cart, log: log)
/// await pipeline.flush()
/// #expect(memory.messages.contains("order placed"))
/// #expect(memory.records(atOrAbove: .error).isEmpty)
/// ```
///
/// Reading is synchronous and safe from any thread. ``waitForRecords(count:timeout:)`` waits for
/// records that are still on their way without sleeping.
public final class MemorySink: LogSink, LevelFollowingSink {
    private struct Waiter {
        var count: Int
        var promise: Promise<Bool>
    }

    private struct State {
        var records: [LogRecord] = []
        var flushes = 0
        var closed = false
        var waiters: [Waiter] = []
    }

    public let name: String
    public let level: LogLevel
    package let followsPipelineLevel: Bool
    private let state = LockedValue(State())

    /// Creates a memory sink.
    ///
    /// - Parameters:
    ///   - level: The lowest level kept; default: every record the pipeline logs.
    ///   - name: The name in stats; default `"memory"`.
    public init(level: LogLevel? = nil, name: String = "memory") {
        self.level = level ?? .trace
        followsPipelineLevel = level == nil
        self.name = name
    }

    /// Every record received so far, in order.
    public var records: [LogRecord] {
        state.withLock { $0.records }
    }

    /// The messages of every record received so far, in order.
    public var messages: [String] {
        records.map(\.message)
    }

    /// Records at or above `level`.
    public func records(atOrAbove level: LogLevel) -> [LogRecord] {
        records.filter { $0.level >= level }
    }

    /// Records whose label is `label` or a child of it.
    public func records(label: String) -> [LogRecord] {
        records.filter { $0.label == label || $0.label.hasPrefix(label + ".") }
    }

    /// The records rendered by `format`, one string per record, without newlines.
    public func lines(format: some LogFormat) -> [String] {
        records.map { format.render($0) }
    }

    /// How many times the pipeline flushed this sink.
    public var flushCount: Int {
        state.withLock { $0.flushes }
    }

    /// Whether the pipeline closed this sink (at shutdown).
    public var isClosed: Bool {
        state.withLock { $0.closed }
    }

    /// Forgets every record received so far.
    public func removeAll() {
        state.withLock { $0.records.removeAll() }
    }

    /// Waits until at least `count` records have arrived or `timeout` passes.
    ///
    /// - Returns: Whether the records arrived in time.
    public func waitForRecords(count: Int, timeout: Duration = .seconds(10)) async -> Bool {
        let promise = Promise<Bool>()
        let done = state.withLock { state in
            if state.records.count >= count {
                return true
            }
            state.waiters.append(Waiter(count: count, promise: promise))
            return false
        }
        if done {
            return true
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            promise.fulfill(false)
        }
        let arrived = await promise.wait()
        timer.cancel()
        return arrived
    }

    public func write(_ records: [LogRecord]) async {
        append(records)
    }

    private func append(_ records: [LogRecord]) {
        let ready: [Promise<Bool>] = state.withLock { state in
            state.records.append(contentsOf: records)
            let total = state.records.count
            let ready = state.waiters.filter { $0.count <= total }.map(\.promise)
            state.waiters.removeAll { $0.count <= total }
            return ready
        }
        for promise in ready {
            promise.fulfill(true)
        }
    }

    public func flush() async {
        state.withLock { $0.flushes += 1 }
    }

    public func close() async {
        state.withLock { $0.closed = true }
    }
}

extension MemorySink: SynchronousSink {
    package func writeSynchronously(_ batch: EncodedBatch) {
        append(batch.decoded())
    }

    package func flushSynchronously() {
        state.withLock { $0.flushes += 1 }
    }

    package func reopenSynchronously() {}

    package func closeSynchronously() {
        state.withLock { $0.closed = true }
    }
}
