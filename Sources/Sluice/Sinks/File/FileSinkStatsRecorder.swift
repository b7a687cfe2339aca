/// The counters behind ``FileSinkStats``: updated by the sink and its archiver, read from anywhere.
package final class FileSinkStatsRecorder: Sendable {
    private struct State {
        var stats = FileSinkStats()
        var writeNanoseconds: Int64 = 0
        var writeCalls: Int64 = 0
        var flushNanoseconds: Int64 = 0
        var flushCalls: Int64 = 0
    }

    private let state = LockedValue(State())
    private let reporter = LockedValue<(@Sendable (InternalError.Kind, String) -> Void)?>(nil)

    package init() {}

    /// Where ``problem(_:_:)`` sends its reports (the pipeline's error handler).
    package func reportProblems(to report: @escaping @Sendable (InternalError.Kind, String) -> Void) {
        reporter.withLock { $0 = report }
    }

    /// Counts a problem with `count`, keeps `message` as the last error and reports it.
    package func problem(_ kind: InternalError.Kind, _ message: String, count: (inout FileSinkStats) -> Void) {
        state.withLock { state in
            count(&state.stats)
            state.stats.lastError = message
        }
        reporter.withLock { $0 }?(kind, message)
    }

    package var snapshot: FileSinkStats {
        state.withLock { state in
            var stats = state.stats
            if state.writeCalls > 0 {
                stats.meanWriteLatency = .nanoseconds(state.writeNanoseconds / state.writeCalls)
            }
            if state.flushCalls > 0 {
                stats.meanFlushLatency = .nanoseconds(state.flushNanoseconds / state.flushCalls)
            }
            return stats
        }
    }

    /// The counters a write changes, for splitting them by label.
    package struct WriteCounters: Equatable {
        var bytes = 0
        var lines = 0
        var rotations = 0
        var givenUp = 0
    }

    package var writeCounters: WriteCounters {
        state.withLock { state in
            WriteCounters(
                bytes: state.stats.bytesWritten, lines: state.stats.linesWritten, rotations: state.stats.rotations,
                givenUp: state.stats.recordsGivenUp)
        }
    }

    package func update(_ body: (inout FileSinkStats) -> Void) {
        state.withLock { body(&$0.stats) }
    }

    package func recordWrite(duration: Duration) {
        let nanoseconds = Self.nanoseconds(duration)
        state.withLock { state in
            state.writeNanoseconds &+= nanoseconds
            state.writeCalls += 1
        }
    }

    package func recordFlush(duration: Duration) {
        let nanoseconds = Self.nanoseconds(duration)
        state.withLock { state in
            state.flushNanoseconds &+= nanoseconds
            state.flushCalls += 1
        }
    }

    package func recordError(_ message: String) {
        state.withLock { $0.stats.lastError = message }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}
