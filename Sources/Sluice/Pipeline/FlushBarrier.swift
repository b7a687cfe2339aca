/// A flush (or a reopen of the sinks' files) in progress: it rides the collector's event stream
/// behind every record logged before it, then one marker per sink rides each inbox behind that
/// sink's batches. It completes when every sink has passed its marker and flushed (or reopened).
package final class FlushBarrier: Sendable {
    private struct State {
        var pending: Set<Int>
        var failed: [Int] = []
    }

    package let promise = Promise<FlushResult>()
    private let state: LockedValue<State>
    private let sinkNames: [String]

    package init(sinkNames: [String]) {
        self.sinkNames = sinkNames
        state = LockedValue(State(pending: Set(sinkNames.indices)))
        if sinkNames.isEmpty {
            promise.fulfill(.completed)
        }
    }

    /// Sink `index` passed the marker; `succeeded` is false when its flush threw.
    package func sinkFinished(_ index: Int, succeeded: Bool) {
        let result: FlushResult? = state.withLock { state in
            guard state.pending.remove(index) != nil else { return nil }
            if !succeeded {
                state.failed.append(index)
            }
            guard state.pending.isEmpty else { return nil }
            return state.failed.isEmpty ? .completed : .failed(sinks: state.failed.sorted().map { sinkNames[$0] })
        }
        if let result {
            promise.fulfill(result)
        }
    }

    /// The names of the sinks that have not passed the marker yet.
    package var pendingSinkNames: [String] {
        state.withLock { $0.pending.sorted().map { sinkNames[$0] } }
    }
}
