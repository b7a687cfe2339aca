import Synchronization

/// Task-local metadata that every record logged inside a scope carries.
///
/// Use it for values that belong to a unit of work rather than a logger, such as a request id. Scopes
/// nest (inner values win), flow into child tasks, and cost nothing when unused.
///
/// ```swift
/// await LogContext.withMetadata(["request_id": "\(requestID)"]) {
///     log.info("request received")      // carries request_id
///     await handle(request)             // so does everything logged in here, in child tasks too
/// }
/// ```
///
/// Precedence when keys collide: call-site metadata wins over the logger's metadata, which wins over
/// the context.
public enum LogContext {
    @TaskLocal package static var current = LogMetadata()

    /// Whether any scope was ever entered in this process. Until then a log call skips reading the
    /// task-local value (about 100 instructions), since no task can have one. Set before the value is
    /// bound, so a call inside a scope (or in a child task of one) always sees it.
    package static let everUsed = Atomic<Bool>(false)

    /// The context metadata for a record being logged now.
    @inline(__always)
    package static var forRecord: LogMetadata {
        everUsed.load(ordering: .relaxed) ? current : LogMetadata()
    }

    /// The context metadata of the current task (empty outside any scope and on plain threads).
    public static var metadata: LogMetadata { current }

    /// Runs `operation` with `metadata` added to the task's log context.
    ///
    /// - Parameters:
    ///   - metadata: Metadata to add; it wins over the enclosing scope's values.
    ///   - isolation: The caller's isolation, inherited by `operation`.
    ///   - operation: The work to run.
    /// - Returns: What `operation` returns.
    public static func withMetadata<R>(
        _ metadata: LogMetadata,
        isolation: isolated (any Actor)? = #isolation,
        _ operation: () async throws -> R
    ) async rethrows -> R {
        everUsed.store(true, ordering: .relaxed)
        return try await $current.withValue(current.merging(metadata), operation: operation, isolation: isolation)
    }

    /// Runs synchronous `operation` with `metadata` added to the task's log context.
    ///
    /// - Parameters:
    ///   - metadata: Metadata to add; it wins over the enclosing scope's values.
    ///   - operation: The work to run.
    /// - Returns: What `operation` returns.
    public static func withMetadata<R>(_ metadata: LogMetadata, _ operation: () throws -> R) rethrows -> R {
        everUsed.store(true, ordering: .relaxed)
        return try $current.withValue(current.merging(metadata), operation: operation)
    }
}
