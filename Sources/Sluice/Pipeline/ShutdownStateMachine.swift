/// Whether a shutdown has been requested, is running or has finished, as a plain state machine.
///
/// The first request starts the shutdown; concurrent and later requests join it and receive the same
/// report. ``LogPipeline`` holds it under a lock and carries out its answers.
package struct ShutdownStateMachine: Sendable {
    package enum RequestAction: Equatable {
        /// Start the shutdown sequence, with this request's deadline.
        case start
        /// A shutdown is running or finished: wait for its report.
        case join
    }

    private enum State {
        case running
        case shuttingDown
        case stopped
    }

    private var state: State = .running

    package init() {}

    package mutating func requested() -> RequestAction {
        switch state {
        case .running:
            state = .shuttingDown
            return .start
        case .shuttingDown, .stopped:
            return .join
        }
    }

    package mutating func finished() {
        guard case .shuttingDown = state else {
            preconditionFailure("internal inconsistency: shutdown finished while \(state)")
        }
        state = .stopped
    }

    package var isStopped: Bool {
        if case .stopped = state { return true }
        return false
    }
}
