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
/// Pipelines are held weakly; one that was shut down already returns its report at once.
package enum ExitDrain {
    private final class Entry: Sendable {
        weak let pipeline: LogPipeline?

        init(_ pipeline: LogPipeline) {
            self.pipeline = pipeline
        }
    }

    private struct State {
        var entries: [Entry] = []
        var installed = false
    }

    private static let state = LockedValue(State())

    /// Drains `pipeline` at exit (unless it is gone or shut down by then).
    package static func register(_ pipeline: LogPipeline) {
        let install = state.withLock { state in
            state.entries.removeAll { $0.pipeline == nil }
            state.entries.append(Entry(pipeline))
            defer { state.installed = true }
            return !state.installed
        }
        if install {
            atexit {
                ExitDrain.drainAll()
            }
        }
    }

    /// Shuts down every registered pipeline that is still alive (the `atexit` handler).
    package static func drainAll() {
        let pipelines = state.withLock { state in
            defer { state.entries = [] }
            return state.entries.compactMap(\.pipeline)
        }
        for pipeline in pipelines where pipeline.shutdownReport.value == nil {
            pipeline.shutdownBlocking(timeout: pipeline.shutdownTimeout)
        }
    }
}
