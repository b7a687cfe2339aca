/// Where a pipeline does its work: on threads of its own (the default), on the calling thread, or
/// as tasks on Swift's executors. Chosen when the pipeline is created.
///
/// ```swift
/// let server = try LogPipeline(sinks: [ConsoleSink()])                                  // .dedicatedThreads
/// let tool = try LogPipeline(sinks: [try FileSink(path: "run.log")], mode: .synchronous)
/// let app = try LogPipeline(sinks: [ConsoleSink()], mode: .cooperative)                 // no threads of its own
/// let onLoop = try LogPipeline(sinks: [ConsoleSink()], mode: .cooperative(on: eventLoop.executor))
/// ```
///
/// | Mode | Threads of its own | A log call | Blocking I/O runs on |
/// |---|---|---|---|
/// | ``dedicatedThreads`` | one collector thread, one per sink | encodes into the queue and returns | the sinks' threads |
/// | ``synchronous`` | none | also writes the record (and anything queued) to the sinks before it returns | the calling thread |
/// | ``cooperative`` | none | encodes into the queue and returns | Swift's cooperative pool (or your executor) |
///
/// Every mode uses the same sinks, formats, stats and accounting. Network sinks (`SyslogSink`,
/// `HTTPSink`, `PostgresSink`, a sink on ``DeliveryEngine``) keep one delivery thread of their own in
/// every mode, because they block on sockets and wait out backoffs; `SQLiteSink` keeps its
/// maintenance thread (retention, checkpoints).
///
/// - Important: In ``cooperative`` mode blocking `write(2)` and `fdatasync` calls run on the
///   executor you chose (by default Swift's cooperative pool, whose threads are meant never to
///   block), and the pipeline competes with your tasks for it: a saturated pool delays logging, and
///   slow disks delay your tasks. A synchronous call that has to wait under ``OverflowPolicy/block``
///   does the pipeline's pending work on its own thread meanwhile, so it cannot deadlock the pool;
///   from async code prefer ``SluiceLogger/send(_:_:metadata:file:function:line:)``, which suspends.
public struct ExecutionMode: Sendable, CustomStringConvertible {
    package enum Kind: Sendable {
        case dedicatedThreads
        case synchronous
        case cooperative(CooperativeHost.Target)
    }

    package let kind: Kind

    /// The collector and every sink run on threads the pipeline owns (the default): logging keeps
    /// draining when Swift's cooperative pool is saturated, and blocking I/O never runs on it.
    public static let dedicatedThreads = ExecutionMode(kind: .dedicatedThreads)

    /// No threads of Sluice's own: the calling thread writes each record (and whatever else is
    /// queued) to the sinks under a lock before the call returns, as Go's `Async: false` loggers do.
    /// For command-line tools, tests, and "this line must be on disk before the next statement".
    /// The file, console and memory sinks are written on the calling thread; other sinks get their
    /// batches through their inbox, run as tasks on Swift's global executor.
    public static let synchronous = ExecutionMode(kind: .synchronous)

    /// No threads of Sluice's own: the collector and the sinks run as tasks on Swift's global
    /// concurrent executor.
    public static let cooperative = ExecutionMode(kind: .cooperative(.global))

    /// No threads of Sluice's own: the collector and the sinks run as tasks on `executor`, such as
    /// the task executor of an event loop the app already runs.
    ///
    /// - Parameter executor: Where the pipeline's tasks run.
    /// - Returns: The mode.
    public static func cooperative(on executor: any TaskExecutor) -> ExecutionMode {
        ExecutionMode(kind: .cooperative(.taskExecutor(executor)))
    }

    /// No threads of Sluice's own: the collector and the sinks run isolated to `executor`, such as
    /// an event loop's serial executor (`eventLoop.executor` in SwiftNIO).
    ///
    /// - Parameter executor: Where the pipeline's work runs, one job at a time.
    /// - Returns: The mode.
    public static func cooperative(on executor: any SerialExecutor) -> ExecutionMode {
        ExecutionMode(kind: .cooperative(.serialExecutor(SerialExecutorHost(executor))))
    }

    /// Whether the pipeline runs as ``synchronous``.
    public var isSynchronous: Bool {
        if case .synchronous = kind { return true }
        return false
    }

    /// Whether the pipeline runs as ``cooperative`` (on any executor).
    public var isCooperative: Bool {
        if case .cooperative = kind { return true }
        return false
    }

    public var description: String {
        switch kind {
        case .dedicatedThreads: "dedicatedThreads"
        case .synchronous: "synchronous"
        case .cooperative(.global): "cooperative"
        case .cooperative(.taskExecutor): "cooperative(on: a task executor)"
        case .cooperative(.serialExecutor): "cooperative(on: a serial executor)"
        }
    }
}
