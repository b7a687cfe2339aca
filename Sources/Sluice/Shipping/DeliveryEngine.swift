#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a network sink's deliveries on a thread of its own: holds the pending batches, sends them
/// one at a time through a ``DeliveryTransport``, waits out backoffs, and settles each batch once it
/// was delivered or given up on. The decisions come from a ``DeliveryStateMachine``.
///
/// Accepting a batch never blocks on the network, so the pipeline's collector is never held up by
/// a receiver that is away; the bounded buffer and its overflow policy decide what is dropped, and
/// every drop is settled through the pipeline (reason `sinkFailure`).
//
// @unchecked Sendable is safe: every mutable property is in `state`, guarded by `lock`; `transport`
// is used only by the worker thread, or by `close()` when no worker thread was ever started (then
// nothing else can reach it: the thread starts under the lock on the first batch).
package final class DeliveryEngine: @unchecked Sendable {
    private struct Delivery {
        var payloads: [DeliveryPayload]
        var next = 0
        var records: Int
        var settlement: BatchSettlement
        var partlyRejected = false
    }

    private struct State {
        var machine: DeliveryStateMachine<ContinuousClock>
        var deliveries: [UInt64: Delivery] = [:]
        var nextID: UInt64 = 1
        var sendNow: UInt64?
        var wakeAt: ContinuousClock.Instant?
        var stats = NetworkSinkStats()
        var drainWaiters: [(upTo: UInt64, promise: Promise<Void>)] = []
        var roomWaiters: [Promise<Void>] = []
        var stopping = false
        var threadStarted = false
    }

    package let name: String
    private let lock = Lock()
    private let wakeup = Condition()
    private var state: State
    private let transport: any DeliveryTransport
    private let exited = Promise<Void>()
    private let failureReports: RateLimiter

    /// - Parameters:
    ///   - name: The sink's name, for errors.
    ///   - options: The retry policy.
    ///   - transport: Where payloads go.
    ///   - reportInterval: The shortest time between two reports of repeated failures.
    package init(
        name: String,
        options: RetryOptions,
        transport: any DeliveryTransport,
        reportInterval: Duration = .seconds(10)
    ) {
        self.name = name
        self.transport = transport
        failureReports = RateLimiter(interval: reportInterval)
        state = State(machine: DeliveryStateMachine(options: options, convert: { $0 }))
    }

    /// Starts the thread on the first batch, so a sink that is never used holds no thread.
    /// Called with the lock held.
    private func startThreadIfNeeded() {
        guard !state.threadStarted else { return }
        state.threadStarted = true
        SluiceThread.start(name: "sluice-net") { [self] in
            run()
        }
    }

    /// A snapshot of the counters.
    package var stats: NetworkSinkStats {
        lock.withLock {
            var stats = state.stats
            stats.pendingBatches = state.machine.count
            return stats
        }
    }

    // MARK: Producer side

    /// What to do once the lock is released: settle batches, wake drain and room waiters.
    private struct Aftermath {
        var settlements: [(BatchSettlement, SluiceError?)] = []
        var drained: [Promise<Void>] = []
        /// Reports for the pipeline's error handler: a user callback, never called under `lock`.
        var reports: [(BatchSettlement, InternalError)] = []
    }

    /// Takes a batch, already encoded into payloads. Never waits for the network; waits for room
    /// only while the buffer is full and the receiver is answering (backpressure on a slow receiver).
    package func submit(_ payloads: [DeliveryPayload], records: Int, settlement: BatchSettlement) async {
        while true {
            let room = Promise<Void>()
            let mustWait = lock.withLock {
                guard state.machine.shouldWaitForRoom && !state.stopping else { return false }
                state.roomWaiters.append(room)
                return true
            }
            guard mustWait else { break }
            await room.wait()
        }
        var after = Aftermath()
        lock.withLock {
            let id = state.nextID
            state.nextID += 1
            startThreadIfNeeded()
            state.deliveries[id] = Delivery(payloads: payloads, records: records, settlement: settlement)
            perform(state.machine.enqueue(id, now: .now), &after)
            state.stats.pendingHighWaterMark = max(state.stats.pendingHighWaterMark, state.machine.count)
        }
        finish(after)
    }

    /// Waits until every batch taken so far is delivered or given up on (batches taken later do not
    /// hold it up).
    package func drain() async {
        let promise = Promise<Void>()
        let done = lock.withLock {
            let upTo = state.nextID - 1
            if isSettled(upTo: upTo) {
                return true
            }
            state.drainWaiters.append((upTo, promise))
            return false
        }
        if !done {
            await promise.wait()
        }
    }

    /// Drops what waits (the batch on the wire may finish), stops the thread and closes the
    /// transport.
    package func close() async {
        var after = Aftermath()
        let running = lock.withLock {
            perform(state.machine.close(), &after, reason: nil)
            state.stopping = true
            state.wakeAt = nil
            after.drained += state.roomWaiters
            state.roomWaiters = []
            wakeup.signal()
            return state.threadStarted
        }
        finish(after)
        if running {
            await exited.wait()
        } else {
            transport.close()
        }
    }

    /// The pipeline's shutdown deadline passed: forget every batch (the pipeline settled them as
    /// dropped for shutdown, and the sink's own stats count them the same way), stop.
    package func abandon() {
        let waiters: [Promise<Void>] = lock.withLock {
            for id in state.machine.abandon() {
                guard let delivery = state.deliveries.removeValue(forKey: id) else { continue }
                state.stats.droppedBatches += 1
                state.stats.droppedRecords.shutdown += delivery.payloads[delivery.next...].reduce(0) { $0 + $1.records }
            }
            state.sendNow = nil
            state.wakeAt = nil
            state.stopping = true
            let waiters = state.drainWaiters.map(\.promise) + state.roomWaiters
            state.drainWaiters = []
            state.roomWaiters = []
            wakeup.signal()
            return waiters
        }
        for waiter in waiters {
            waiter.fulfill(())
        }
    }

    // MARK: Worker thread

    private func run() {
        lock.lock()
        while true {
            if let id = state.sendNow, let delivery = state.deliveries[id] {
                state.sendNow = nil
                let payload = delivery.payloads[delivery.next]
                lock.unlock()
                let result = transport.deliver(payload)
                let connected = transport.isConnected
                lock.lock()
                state.stats.connected = connected
                var after = Aftermath()
                // Abandoned meanwhile: the pipeline settled the batch already.
                if state.deliveries[id] != nil {
                    handle(result, of: id, &after)
                }
                lock.unlock()
                finish(after)
                lock.lock()
                continue
            }
            state.sendNow = nil
            if state.stopping && state.machine.isEmpty {
                break
            }
            if let wakeAt = state.wakeAt {
                if ContinuousClock.now >= wakeAt {
                    state.wakeAt = nil
                    var after = Aftermath()
                    perform(state.machine.timerFired(now: .now), &after)
                    lock.unlock()
                    finish(after)
                    lock.lock()
                } else {
                    wakeup.wait(lock, untilMonotonicNanoseconds: MonotonicTime.nanoseconds(at: wakeAt))
                }
                continue
            }
            wakeup.wait(lock)
        }
        lock.unlock()
        transport.close()
        lock.withLock { state.stats.connected = false }
        exited.fulfill(())
    }

    /// The attempt on the first batch ended. Called with the lock held.
    private func handle(_ result: Result<Void, DeliveryFailure>, of id: UInt64, _ after: inout Aftermath) {
        guard var delivery = state.deliveries[id] else { return }
        let now = ContinuousClock.now
        switch result {
        case .success:
            let payload = delivery.payloads[delivery.next]
            state.stats.requestsSent += 1
            state.stats.bytesSent += payload.bytes.count
            state.stats.recordsSent += payload.records
            delivery.next += 1
            if delivery.next < delivery.payloads.count {
                state.deliveries[id] = delivery
                state.sendNow = id
                return
            }
            state.deliveries[id] = nil
            state.stats.batchesSent += 1
            after.settlements.append((delivery.settlement, nil))
            perform(state.machine.sendSucceeded(now: now), &after)
        case .failure(let failure):
            count(failure)
            if failure.delivered > 0 {
                let (bytes, records) = delivery.payloads[delivery.next].removeFirst(messages: failure.delivered)
                state.stats.bytesSent += bytes
                state.stats.recordsSent += records
                state.deliveries[id] = delivery
            }
            let actions = state.machine.sendFailed(
                failure.outcomeUnknown
                    ? .inDoubt : failure.isRetryable ? .retryable(retryAfter: failure.retryAfter) : .permanent,
                now: now,
                random: Double.random(in: 0..<1)
            )
            if actions.contains(where: { if case .wake = $0 { true } else { false } }) {
                state.stats.retries += 1
                reportRetry(failure, to: delivery.settlement, &after)
            }
            perform(actions, &after, reason: failure)
        }
    }

    /// Carries out the state machine's actions. Called with the lock held.
    private func perform(
        _ actions: [DeliveryStateMachine<ContinuousClock>.Action],
        _ after: inout Aftermath,
        reason failure: DeliveryFailure? = nil
    ) {
        for action in actions {
            switch action {
            case .send(let id):
                state.sendNow = id
                wakeup.signal()
            case .wake(let at):
                state.wakeAt = at
                wakeup.signal()
            case .drop(let id, let reason):
                guard let delivery = state.deliveries.removeValue(forKey: id) else { continue }
                let records = delivery.payloads[delivery.next...].reduce(0) { $0 + $1.records }
                state.stats.droppedBatches += 1
                let message: String
                switch reason {
                case .rejected:
                    state.stats.droppedRecords.rejected += records
                    message = "the receiver refused it, so it is not retried: \(failure?.message ?? "rejected")"
                case .retryBudgetExhausted:
                    state.stats.droppedRecords.retryBudgetExhausted += records
                    message =
                        "still failing after the retry budget of \(state.machine.options.retryBudget): \(failure?.message ?? "-")"
                case .overflow:
                    state.stats.droppedRecords.overflow += records
                    message =
                        "\(state.machine.options.maxPendingBatches) batches were already pending while the receiver is away (policy \(state.machine.options.overflow)); raise RetryOptions.maxPendingBatches to hold more"
                case .closed:
                    state.stats.droppedRecords.closed += records
                    message = "the sink was closed before it could be delivered"
                }
                after.settlements.append((delivery.settlement, SluiceError(.sinkFailed, "\(name): \(message)")))
            }
        }
        if !state.roomWaiters.isEmpty && !state.machine.shouldWaitForRoom {
            after.drained += state.roomWaiters
            state.roomWaiters = []
        }
        if !state.drainWaiters.isEmpty {
            let waiters = state.drainWaiters
            state.drainWaiters = []
            for waiter in waiters {
                if isSettled(upTo: waiter.upTo) {
                    after.drained.append(waiter.promise)
                } else {
                    state.drainWaiters.append(waiter)
                }
            }
        }
    }

    /// Whether no batch with an id up to `upTo` is still held. Called with the lock held.
    private func isSettled(upTo: UInt64) -> Bool {
        !state.deliveries.keys.contains { $0 <= upTo }
    }

    private func count(_ failure: DeliveryFailure) {
        switch failure.kind {
        case .connection: state.stats.failures.connection += 1
        case .timeout: state.stats.failures.timeout += 1
        case .serverError: state.stats.failures.serverError += 1
        case .throttled: state.stats.failures.throttled += 1
        case .rejected: state.stats.failures.rejected += 1
        case .other: state.stats.failures.other += 1
        }
        state.stats.lastError = failure.message
    }

    /// The first failure of a kind is reported at once, repeats at most once per interval. The
    /// report is made once the lock is released.
    private func reportRetry(_ failure: DeliveryFailure, to settlement: BatchSettlement, _ after: inout Aftermath) {
        guard let suppressed = failureReports.admit(key: "\(failure.kind)") else { return }
        var message = "\(failure.message); retrying with backoff"
        if suppressed > 0 {
            message += " (\(suppressed) more failures like it since the last report)"
        }
        after.reports.append(
            (settlement, InternalError(kind: .deliveryRetrying, sinkName: name, message: message, underlying: failure)))
    }

    private func finish(_ after: Aftermath) {
        for (settlement, report) in after.reports {
            settlement.report(report)
        }
        for (settlement, error) in after.settlements {
            settlement.settle(error: error)
        }
        for waiter in after.drained {
            waiter.fulfill(())
        }
    }
}
