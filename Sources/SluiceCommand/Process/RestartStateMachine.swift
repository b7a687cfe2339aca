/// Decides, each time the program exits, whether `sluice run` starts it again and after what wait.
///
/// A plain struct: the run's length comes in as an input, the wait goes out as a decision.
struct RestartStateMachine {
    /// What to do after an exit.
    enum Decision: Equatable {
        /// Start the program again after `delay`; this is restart number `restart`.
        case restart(after: Duration, restart: Int)
        /// Do not start it again, for `reason`.
        case stop(StopReason)
    }

    /// Why the program is not started again.
    enum StopReason: Equatable, CustomStringConvertible {
        /// The policy does not restart after this exit.
        case policy
        /// A signal asked `sluice` to stop.
        case stopRequested
        /// `--max-restarts` restarts have been made.
        case maxRestartsReached(Int)

        var description: String {
            switch self {
            case .policy: "not restarting"
            case .stopRequested: "stopping as asked"
            case .maxRestartsReached(let count): "not restarting: \(count) restarts made (--max-restarts)"
            }
        }
    }

    let policy: RestartPolicy
    /// Restarts made so far.
    private(set) var restarts = 0
    private var nextDelay: Duration

    init(policy: RestartPolicy) {
        self.policy = policy
        nextDelay = policy.backoff
    }

    /// The program ended as `exit` after running for `ranFor`.
    mutating func programExited(_ exit: ChildExit, ranFor: Duration, stopRequested: Bool) -> Decision {
        guard !stopRequested else { return .stop(.stopRequested) }
        switch policy.mode {
        case .never:
            return .stop(.policy)
        case .onFailure where !exit.isFailure:
            return .stop(.policy)
        case .onFailure, .always:
            break
        }
        if let maximum = policy.maxRestarts, restarts >= maximum {
            return .stop(.maxRestartsReached(restarts))
        }
        if ranFor >= policy.maxBackoff {
            // It ran steadily for a while: this failure starts a new series of waits.
            nextDelay = policy.backoff
        }
        let delay = nextDelay
        nextDelay = min(nextDelay * 2, policy.maxBackoff)
        restarts += 1
        return .restart(after: delay, restart: restarts)
    }
}
