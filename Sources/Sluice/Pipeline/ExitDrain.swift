#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Drains pipelines that are still running when the process exits (returning from `main` or
/// calling `exit()`): one `atexit` handler for the process shuts each of them down, within its
/// ``LogPipeline/shutdownTimeout``.
///
/// A pipeline is held here from its creation until its shutdown completes, so one the program let go
/// of without shutting it down (its queue may still hold records) is drained too.
package enum ExitDrain {
    private struct State {
        var pipelines: [ObjectIdentifier: LogPipeline] = [:]
        var installed = false
    }

    private static let state = LockedValue(State())

    /// Drains `pipeline` at exit unless it was shut down by then.
    package static func register(_ pipeline: LogPipeline) {
        let install = state.withLock { state in
            state.pipelines[ObjectIdentifier(pipeline)] = pipeline
            defer { state.installed = true }
            return !state.installed
        }
        if install {
            atexit {
                ExitDrain.drainAll()
            }
        }
    }

    /// The pipeline's shutdown completed: nothing left to drain.
    package static func unregister(_ pipeline: LogPipeline) {
        state.withLock { _ = $0.pipelines.removeValue(forKey: ObjectIdentifier(pipeline)) }
    }

    /// Shuts down every registered pipeline (the `atexit` handler).
    package static func drainAll() {
        let pipelines = state.withLock { state in
            defer { state.pipelines = [:] }
            return Array(state.pipelines.values)
        }
        for pipeline in pipelines where pipeline.shutdownReport.value == nil {
            pipeline.shutdownBlocking(timeout: pipeline.shutdownTimeout)
        }
    }
}
