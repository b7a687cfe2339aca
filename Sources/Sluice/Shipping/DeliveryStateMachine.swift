#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The retry policy of a network sink as a plain state machine, with time (and randomness) as
/// inputs.
///
/// It holds the ids of pending batches in arrival order and delivers them one at a time. Events
/// come from the sink (a batch arrived, an attempt ended, a timer fired, close); each returns the
/// actions the sink must carry out: send a batch now, wake at an instant, drop batches.
package struct DeliveryStateMachine<C: Clock> {
    /// Why a batch was given up on.
    package enum DropReason: Equatable, Sendable {
        /// The receiver refused it for good (4xx other than 429, or a message it cannot take).
        case rejected
        /// It kept failing for longer than the retry budget.
        case retryBudgetExhausted
        /// The pending buffer was full.
        case overflow
        /// The sink was closed before it could be delivered.
        case closed
    }

    /// How an attempt failed.
    package enum Failure: Equatable, Sendable {
        /// Try again later; at the earliest after `retryAfter` when the receiver said so.
        case retryable(retryAfter: C.Duration?)
        /// Do not try again.
        case permanent
        /// Try again later, and do not drop the batch for overflow meanwhile: the receiver may hold
        /// it already (its answer was lost with the connection), and only the next attempt can
        /// tell, so dropping it could count as dropped what was in fact delivered.
        case inDoubt
    }

    package enum Action: Equatable {
        /// Attempt delivery of this batch now.
        case send(UInt64)
        /// Call ``timerFired(now:)`` at this instant.
        case wake(at: C.Instant)
        /// Settle this batch as dropped.
        case drop(UInt64, DropReason)
    }

    private enum Head {
        /// Nothing is being delivered.
        case idle
        /// The first pending batch is being sent.
        case sending
        /// The first pending batch failed and waits until `retryAt`.
        case waiting(retryAt: C.Instant)
    }

    package let options: RetryOptions
    private let initialBackoff: C.Duration
    private let maxBackoff: C.Duration
    private let retryBudget: C.Duration
    private var pending: [UInt64] = []
    private var pendingHead = 0
    private var head: Head = .idle
    /// When the first pending batch first failed.
    private var firstFailure: C.Instant?
    /// Failures in a row, across batches, for the backoff; cleared by a success.
    package private(set) var consecutiveFailures = 0
    /// Whether the first pending batch failed ``Failure/inDoubt`` (overflow then spares it).
    private var headInDoubt = false
    private var closed = false

    /// - Parameters:
    ///   - options: The policy.
    ///   - convert: Turns a `Duration` into the clock's duration type.
    package init(options: RetryOptions, convert: (Duration) -> C.Duration) {
        self.options = options
        initialBackoff = convert(options.initialBackoff)
        maxBackoff = convert(options.maxBackoff)
        retryBudget = convert(options.retryBudget)
    }

    /// Batches held, including the one being sent or waiting to be retried.
    package var count: Int { pending.count - pendingHead }

    /// Whether nothing is held.
    package var isEmpty: Bool { count == 0 }

    /// The instant the waiting batch is retried, if one waits.
    package var retryAt: C.Instant? {
        if case .waiting(let at) = head { return at }
        return nil
    }

    /// Whether a new batch should wait for room instead of being taken: the buffer is full but the
    /// receiver is answering (no failure since the last success), so it is slow, not away. Waiting
    /// pushes back on the pipeline, whose queue and overflow policy then decide; only while the
    /// receiver is away does the buffer's own ``RetryOptions/overflow`` drop batches.
    package var shouldWaitForRoom: Bool {
        !closed && count >= options.maxPendingBatches && consecutiveFailures == 0
    }

    /// A batch arrived.
    package mutating func enqueue(_ id: UInt64, now: C.Instant) -> [Action] {
        if closed {
            return [.drop(id, .closed)]
        }
        var actions: [Action] = []
        if count >= options.maxPendingBatches {
            switch options.overflow.kind {
            case .dropNewest:
                return [.drop(id, .overflow)]
            case .dropOldest:
                var headProtected = headInDoubt
                if case .sending = head { headProtected = true }
                if headProtected {
                    // The first batch is on the wire (or in doubt); the oldest one we can still drop is
                    // the next.
                    guard count > 1 else { return [.drop(id, .overflow)] }
                    actions.append(.drop(pending.remove(at: pendingHead + 1), .overflow))
                } else {
                    // A waiting head is dropped; the next batch inherits its wait, so the backoff
                    // towards a receiver that is away still holds.
                    actions.append(.drop(removeFirst(), .overflow))
                    firstFailure = nil
                }
            }
        }
        pending.append(id)
        if case .idle = head {
            head = .sending
            actions.append(.send(pending[pendingHead]))
        }
        return actions
    }

    /// The batch being sent was delivered.
    package mutating func sendSucceeded(now: C.Instant) -> [Action] {
        guard case .sending = head else {
            preconditionFailure("internal inconsistency: a send succeeded while none was in progress")
        }
        _ = removeFirst()
        consecutiveFailures = 0
        firstFailure = nil
        return startNext()
    }

    /// The batch being sent failed. `random` is a number in `0..<1` for the jitter.
    package mutating func sendFailed(_ failure: Failure, now: C.Instant, random: Double) -> [Action] {
        guard case .sending = head else {
            preconditionFailure("internal inconsistency: a send failed while none was in progress")
        }
        consecutiveFailures += 1
        let retryAfter: C.Duration?
        switch failure {
        case .permanent:
            let id = removeFirst()
            firstFailure = nil
            return [.drop(id, .rejected)] + startNext()
        case .retryable(let after):
            retryAfter = after
            headInDoubt = false
        case .inDoubt:
            retryAfter = nil
            headInDoubt = true
        }
        let started = firstFailure ?? now
        firstFailure = started
        var delay = backoff(random: random)
        if let retryAfter, retryAfter > delay {
            delay = retryAfter
        }
        let retryAt = now.advanced(by: delay)
        if closed || started.duration(to: retryAt) > retryBudget {
            let id = removeFirst()
            firstFailure = nil
            return [.drop(id, closed ? .closed : .retryBudgetExhausted)] + startNext()
        }
        head = .waiting(retryAt: retryAt)
        return [.wake(at: retryAt)]
    }

    /// A timer fired (possibly early or stale).
    package mutating func timerFired(now: C.Instant) -> [Action] {
        guard case .waiting(let retryAt) = head else { return [] }
        guard now >= retryAt else { return [.wake(at: retryAt)] }
        head = .sending
        return [.send(pending[pendingHead])]
    }

    /// The sink is closing: drops every batch not on the wire; the one being sent may finish.
    package mutating func close() -> [Action] {
        closed = true
        var actions: [Action] = []
        let keepFirst: Bool
        if case .sending = head { keepFirst = true } else { keepFirst = false }
        while count > (keepFirst ? 1 : 0) {
            actions.append(.drop(pending.removeLast(), .closed))
        }
        actions.reverse()
        if !keepFirst {
            head = .idle
            headInDoubt = false
        }
        return actions
    }

    /// The shutdown deadline passed: forget everything without settling it (the pipeline did).
    package mutating func abandon() -> [UInt64] {
        closed = true
        let ids = Array(pending[pendingHead...])
        pending = []
        pendingHead = 0
        head = .idle
        headInDoubt = false
        return ids
    }

    /// The wait before the next attempt: initial × multiplier^(failures - 1), capped, with jitter.
    package func backoff(random: Double) -> C.Duration {
        let exponent = Double(max(consecutiveFailures - 1, 0))
        let growth = min(pow(options.multiplier, exponent), 1e9)
        let spread = 1 + options.jitter * (2 * min(max(random, 0), 1) - 1)
        let base = Self.scale(initialBackoff, growth)
        let capped = base > maxBackoff ? maxBackoff : base
        let jittered = Self.scale(capped, spread)
        return jittered > maxBackoff ? maxBackoff : jittered
    }

    private static func scale(_ duration: C.Duration, _ factor: Double) -> C.Duration {
        // Durations scale by integers only; work in millionths for sub-unit factors.
        let millionths = Int(min(factor * 1_000_000, Double(Int.max / 2)).rounded())
        return duration * millionths / 1_000_000
    }

    private mutating func removeFirst() -> UInt64 {
        headInDoubt = false
        let id = pending[pendingHead]
        pendingHead += 1
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        } else if pendingHead > 64 && pendingHead * 2 > pending.count {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
        return id
    }

    private mutating func startNext() -> [Action] {
        head = .idle
        guard pendingHead < pending.count else { return [] }
        let next = pending[pendingHead]
        head = .sending
        return [.send(next)]
    }
}
