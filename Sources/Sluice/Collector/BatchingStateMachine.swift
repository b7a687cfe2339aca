/// When the collector closes a batch, as a plain state machine with time as an input.
///
/// A batch closes when `maxRecords` records are waiting, or `maxDelay` after the first record of a
/// partial batch arrived, whichever comes first. Flushes and shutdown close the partial batch at once;
/// once shutdown began, every record is taken as soon as it arrives. The machine never sleeps: it
/// answers with an ``Action`` and the collector carries it out (tests drive it with a manual clock).
package struct BatchingStateMachine<C: Clock> {
    package enum Action: Equatable {
        /// Nothing to do.
        case none
        /// Take every full batch of `maxRecords`, then call ``taken(remaining:now:)``.
        case takeFullBatches
        /// Take everything, including a partial batch, then call ``taken(remaining:now:)``.
        case takeAll
        /// Deliver a tick at this instant (replacing any earlier one).
        case scheduleTick(C.Instant)
    }

    private enum State {
        /// No partial batch is waiting.
        case idle
        /// A partial batch is waiting; it closes at `deadline`.
        case accumulating(deadline: C.Instant)
        /// Shutdown began: no more batching delays.
        case draining
    }

    package let maxRecords: Int
    package let maxDelay: C.Duration
    private var state: State = .idle

    package init(maxRecords: Int, maxDelay: C.Duration) {
        precondition(maxRecords > 0, "internal inconsistency: maxRecords must be positive")
        self.maxRecords = maxRecords
        self.maxDelay = maxDelay
    }

    /// Whether nothing is waiting: no partial batch, no deadline, not draining. Only then does the
    /// collector need to be woken by the first record that arrives.
    package var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    /// The deadline of the waiting partial batch, if any.
    package var deadline: C.Instant? {
        if case .accumulating(let deadline) = state { return deadline }
        return nil
    }

    /// Records arrived; `pending` are waiting in the queue.
    package mutating func recordsArrived(pending: Int, now: C.Instant) -> Action {
        switch state {
        case .draining:
            return pending > 0 ? .takeAll : .none
        case .idle, .accumulating:
            if pending >= maxRecords {
                return .takeFullBatches
            }
            guard pending > 0 else { return .none }
            if case .idle = state {
                let deadline = now.advanced(by: maxDelay)
                state = .accumulating(deadline: deadline)
                return .scheduleTick(deadline)
            }
            return .none
        }
    }

    /// A tick arrived (possibly a stale one).
    package mutating func tick(pending: Int, now: C.Instant) -> Action {
        switch state {
        case .idle:
            return pending >= maxRecords ? .takeFullBatches : .none
        case .draining:
            return pending > 0 ? .takeAll : .none
        case .accumulating(let deadline):
            if now >= deadline {
                return pending > 0 ? .takeAll : resetToIdle()
            }
            return .scheduleTick(deadline)
        }
    }

    /// A take finished and `remaining` records are still waiting.
    package mutating func taken(remaining: Int, now: C.Instant) -> Action {
        switch state {
        case .draining:
            return remaining > 0 ? .takeAll : .none
        case .idle, .accumulating:
            if remaining >= maxRecords {
                return .takeFullBatches
            }
            guard remaining > 0 else { return resetToIdle() }
            // The leftovers arrived no earlier than the batch just taken: give them a full delay.
            let deadline = now.advanced(by: maxDelay)
            state = .accumulating(deadline: deadline)
            return .scheduleTick(deadline)
        }
    }

    /// A flush barrier arrived: everything queued before it must go now.
    package mutating func flushRequested(pending: Int) -> Action {
        pending > 0 ? .takeAll : .none
    }

    /// Shutdown began: take everything now and from now on.
    package mutating func shutdownRequested(pending: Int) -> Action {
        state = .draining
        return pending > 0 ? .takeAll : .none
    }

    private mutating func resetToIdle() -> Action {
        state = .idle
        return .none
    }
}
