#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Retries with jittered exponential backoff and a circuit breaker (closed → open → half-open), as a
/// plain state machine with time and randomness as inputs.
///
/// The sink calls ``batchArrived(now:)`` before writing a batch, then ``attemptFailed(now:errno:)``
/// or ``attemptSucceeded()`` after each try, and carries out the returned action (wait and retry, or
/// give the batch up).
package struct RetryStateMachine<C: Clock> where C.Duration == Duration {
    package enum Decision: Equatable {
        /// Write the batch; `probe` when this is the half-open trial.
        case attempt(probe: Bool)
        /// The circuit is open: give the batch up without touching the disk.
        case reject(openUntil: C.Instant)
    }

    package enum FailureAction: Equatable {
        /// Wait this long, then try the same batch again.
        case retry(after: Duration)
        /// Give the batch up; `circuitOpened` when this failure opened the circuit.
        case giveUp(circuitOpened: Bool)
    }

    private enum State {
        /// `failedBatches` in a row so far; `attempt` tries of the current batch.
        case closed(failedBatches: Int, attempt: Int)
        /// Rejecting until `until`; `openings` counts consecutive openings (for the growing pause).
        case open(until: C.Instant, openings: Int)
        /// The probe batch is being tried.
        case halfOpen(openings: Int)
    }

    private let policy: FailurePolicy
    private var random: () -> Double
    private var state: State = .closed(failedBatches: 0, attempt: 0)

    /// - Parameters:
    ///   - policy: Attempts, backoff and breaker settings.
    ///   - random: Returns a number in `0..<1` for the jitter; tests pass a fixed sequence.
    package init(policy: FailurePolicy, random: @escaping () -> Double = { Double.random(in: 0..<1) }) {
        self.policy = policy
        self.random = random
    }

    package var circuit: CircuitState {
        switch state {
        case .closed: .closed
        case .open: .open
        case .halfOpen: .halfOpen
        }
    }

    /// A batch is about to be written.
    package mutating func batchArrived(now: C.Instant) -> Decision {
        switch state {
        case .closed(let failedBatches, _):
            state = .closed(failedBatches: failedBatches, attempt: 1)
            return .attempt(probe: false)
        case .open(let until, let openings):
            guard now >= until else { return .reject(openUntil: until) }
            state = .halfOpen(openings: openings)
            return .attempt(probe: true)
        case .halfOpen:
            preconditionFailure("internal inconsistency: a batch arrived while the probe is in progress")
        }
    }

    /// The try succeeded: the circuit closes.
    package mutating func attemptSucceeded() {
        state = .closed(failedBatches: 0, attempt: 0)
    }

    /// The try failed with `errno`.
    package mutating func attemptFailed(now: C.Instant, errno: Int32) -> FailureAction {
        attemptFailed(now: now, transient: Self.isTransient(errno))
    }

    /// The try failed; `transient` when trying the same batch again may succeed (a full disk, a
    /// busy database), otherwise the failure is left to the circuit breaker's probes.
    package mutating func attemptFailed(now: C.Instant, transient: Bool) -> FailureAction {
        switch state {
        case .closed(let failedBatches, let attempt):
            if transient && attempt < max(policy.attempts, 1) {
                state = .closed(failedBatches: failedBatches, attempt: attempt + 1)
                return .retry(after: backoff(policy.initialBackoff, doublings: attempt - 1, cap: policy.maxBackoff))
            }
            let failed = failedBatches + 1
            guard failed >= max(policy.openCircuitAfter, 1) else {
                state = .closed(failedBatches: failed, attempt: 0)
                return .giveUp(circuitOpened: false)
            }
            open(now: now, openings: 1)
            return .giveUp(circuitOpened: true)
        case .halfOpen(let openings):
            open(now: now, openings: openings + 1)
            return .giveUp(circuitOpened: true)
        case .open:
            preconditionFailure("internal inconsistency: an attempt failed while the circuit is open")
        }
    }

    private mutating func open(now: C.Instant, openings: Int) {
        let pause = backoff(policy.probeAfter, doublings: openings - 1, cap: policy.maxProbeInterval)
        state = .open(until: now.advanced(by: pause), openings: openings)
    }

    /// `base` doubled `doublings` times, capped, then varied by ±jitter.
    private mutating func backoff(_ base: Duration, doublings: Int, cap: Duration) -> Duration {
        var delay = max(base, .zero)
        for _ in 0..<min(max(doublings, 0), 62) where delay < cap {
            delay *= 2
        }
        delay = min(delay, max(cap, base))
        let jitter = min(max(policy.jitter, 0), 1)
        guard jitter > 0 else { return delay }
        let factor = 1 + jitter * (2 * random() - 1)
        return delay * factor
    }

    /// Errors worth retrying within the batch; others (`EACCES`, `EROFS`, `EBADF`, ...) need someone
    /// to act and are left to the circuit breaker's probes.
    package static func isTransient(_ errno: Int32) -> Bool {
        switch errno {
        case ENOSPC, EDQUOT, EIO, EAGAIN, EINTR, ENOMEM, EMFILE, ENFILE, EBUSY, ETIMEDOUT, ESTALE:
            true
        default:
            false
        }
    }
}
