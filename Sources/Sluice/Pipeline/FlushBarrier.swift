/// A flush (or a reopen of the sinks' files) in progress: it rides the collector's event stream
/// behind every record logged before it, then one marker per sink rides each inbox behind that
/// sink's batches. It completes when every sink has passed its marker and flushed (or reopened).
package final class FlushBarrier: Sendable {
    private struct State {
        var pending: Set<Int>
        var failed: [Int] = []
        /// Later barriers whose marker in sink `key`'s inbox was merged into this one's.
        var followers: [Int: [FlushBarrier]] = [:]
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

    /// Sink `index` passed the marker; `succeeded` is false when its flush threw. Barriers merged
    /// into this marker for that sink pass it too.
    package func sinkFinished(_ index: Int, succeeded: Bool) {
        let (result, followers): (FlushResult?, [FlushBarrier]) = state.withLock { state in
            let followers = state.followers.removeValue(forKey: index) ?? []
            guard state.pending.remove(index) != nil else { return (nil, followers) }
            if !succeeded {
                state.failed.append(index)
            }
            guard state.pending.isEmpty else { return (nil, followers) }
            return (
                state.failed.isEmpty ? .completed : .failed(sinks: state.failed.sorted().map { sinkNames[$0] }),
                followers
            )
        }
        if let result {
            promise.fulfill(result)
        }
        for follower in followers {
            follower.sinkFinished(index, succeeded: succeeded)
        }
    }

    /// Lets `follower`'s marker for sink `index` ride on this barrier's marker, which is still in
    /// that sink's inbox with no batch behind it: both complete at the same point of the stream.
    /// Followers whose flush already ended (timed out) are let go, so a hung sink holds only the
    /// barriers someone still waits for. Called with the inbox's lock held.
    package func carry(_ follower: FlushBarrier, forSink index: Int) {
        state.withLock { state in
            var followers = state.followers[index] ?? []
            followers.removeAll { $0.promise.value != nil }
            followers.append(follower)
            state.followers[index] = followers
        }
    }

    /// The names of the sinks that have not passed the marker yet.
    package var pendingSinkNames: [String] {
        state.withLock { $0.pending.sorted().map { sinkNames[$0] } }
    }
}
