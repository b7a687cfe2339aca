#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Knows which of Sluice's threads the current thread is, and decides whether it may wait for room
/// in a pipeline under the `block` overflow policy.
///
/// A thread must never wait on a pipeline that (directly or through other pipelines) waits on it:
/// a sink that logs into its own pipeline would wait for itself, and a sink of pipeline A that logs
/// into B while a sink of B logs into A would wait for each other. So:
/// - a thread of no pipeline (the application's) may always wait;
/// - a pipeline's collector and sink threads may wait on another pipeline, unless that pipeline's
///   threads already wait, directly or transitively, on theirs (``PipelineWaits`` keeps the graph);
///   what they log is then dropped and counted as overflow instead;
/// - Sluice's other threads (network delivery, archiving, standard-error reports) never wait: they
///   are not tied to one pipeline, so no wait of theirs can be proven safe.
package enum PipelineThread {
    /// What the current thread is.
    package enum Role: Equatable {
        /// Not one of Sluice's threads.
        case application
        /// A thread of pipeline `id` (its collector or a sink).
        case pipeline(UInt64)
        /// One of Sluice's threads that belongs to no single pipeline.
        case unattached
    }

    /// Marks threads that belong to no single pipeline.
    private final class Unattached: Sendable {}
    private static let unattached = Unattached()

    // nil when the system refused a key (there is a fixed number): every thread then counts as
    // unattached and never waits (see `role`), which can drop records but never deadlocks.
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        return pthread_key_create(&key, nil) == 0 ? key : nil
    }()

    static func enter(_ executor: ThreadExecutor) {
        guard let key else { return }
        pthread_setspecific(key, Unmanaged.passUnretained(executor as AnyObject).toOpaque())
    }

    static func enterUnattached() {
        guard let key else { return }
        pthread_setspecific(key, Unmanaged.passUnretained(unattached as AnyObject).toOpaque())
    }

    static func leave() {
        guard let key else { return }
        pthread_setspecific(key, nil)
    }

    /// Whether the calling thread is one of Sluice's own threads.
    package static var isCurrent: Bool {
        role != .application
    }

    /// What the calling thread is.
    package static var role: Role {
        guard let key else { return .unattached }
        guard let pointer = pthread_getspecific(key) else { return .application }
        let object = Unmanaged<AnyObject>.fromOpaque(pointer).takeUnretainedValue()
        guard let executor = object as? ThreadExecutor, let id = executor.pipelineID else { return .unattached }
        return .pipeline(id)
    }

    static var currentExecutor: ThreadExecutor? {
        guard let key, let pointer = pthread_getspecific(key) else { return nil }
        return Unmanaged<AnyObject>.fromOpaque(pointer).takeUnretainedValue() as? ThreadExecutor
    }
}

/// Which pipelines' threads are waiting for room in which pipelines: a graph checked before a
/// thread of one pipeline waits on another, so that no cycle of waits (a deadlock) can form.
package enum PipelineWaits {
    private static let edges = LockedValue([UInt64: [UInt64: Int]]())

    /// Registers that a thread of `source` is about to wait on `target`; returns false (and
    /// registers nothing) when `target` is `source` or already waits on it, directly or through
    /// other pipelines. A true answer must be followed by ``end(from:to:)``.
    package static func begin(from source: UInt64, to target: UInt64) -> Bool {
        edges.withLock { edges in
            guard source != target, !reaches(edges, from: target, to: source) else { return false }
            edges[source, default: [:]][target, default: 0] += 1
            return true
        }
    }

    /// The wait registered by ``begin(from:to:)`` is over.
    package static func end(from source: UInt64, to target: UInt64) {
        edges.withLock { edges in
            guard let count = edges[source]?[target] else { return }
            edges[source]?[target] = count > 1 ? count - 1 : nil
            if edges[source]?.isEmpty == true {
                edges[source] = nil
            }
        }
    }

    private static func reaches(_ edges: [UInt64: [UInt64: Int]], from start: UInt64, to goal: UInt64) -> Bool {
        var seen: Set<UInt64> = [start]
        var frontier = [start]
        while let node = frontier.popLast() {
            if node == goal {
                return true
            }
            for next in edges[node].map({ Array($0.keys) }) ?? [] where seen.insert(next).inserted {
                frontier.append(next)
            }
        }
        return false
    }
}
