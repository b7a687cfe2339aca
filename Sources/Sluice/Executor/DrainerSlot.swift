/// Where a pipeline executor's drainer task (``CooperativeHost``) parks while its executor has no
/// jobs: a one-permit handoff between the executor, which wakes it, and the drainer, which parks.
/// A wake that comes before the drainer parks is kept, so the drainer does not park at all.
///
/// Parking suspends the drainer's task on a continuation and waking resumes it, so neither
/// allocates: a producer that hands the pipeline work does not create a task.
package final class DrainerSlot: Sendable {
    private enum State {
        /// Nobody parked and no wake kept.
        case empty
        /// A wake came while nobody was parked: the next park returns at once.
        case woken
        case parked(UnsafeContinuation<Bool, Never>)
        /// The executor went away: parking returns false, and the drainer ends.
        case closed
    }

    private let state = LockedValue(State.empty)

    package init() {}

    /// Suspends until ``wake()`` (returns true) or ``close()`` (returns false); returns at once if
    /// one of them came already. One drainer parks at a time.
    package func park() async -> Bool {
        await withUnsafeContinuation { continuation in
            let now: Bool? = state.withLock { state in
                switch state {
                case .woken:
                    state = .empty
                    return true
                case .closed:
                    return false
                case .empty:
                    state = .parked(continuation)
                    return nil
                case .parked:
                    preconditionFailure("internal inconsistency: two drainers parked in one slot")
                }
            }
            if let now {
                continuation.resume(returning: now)
            }
        }
    }

    /// Resumes the parked drainer, or keeps the wake for it if it has not parked yet.
    package func wake() {
        let parked: UnsafeContinuation<Bool, Never>? = state.withLock { state in
            switch state {
            case .parked(let continuation):
                state = .empty
                return continuation
            case .empty:
                state = .woken
                return nil
            case .woken, .closed:
                return nil
            }
        }
        parked?.resume(returning: true)
    }

    /// Ends the drainer: a parked one resumes with false, and so does any later park.
    package func close() {
        let parked: UnsafeContinuation<Bool, Never>? = state.withLock { state in
            defer { state = .closed }
            if case .parked(let continuation) = state {
                return continuation
            }
            return nil
        }
        parked?.resume(returning: false)
    }
}
