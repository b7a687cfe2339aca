#if ServiceLifecycle
import ServiceLifecycle

/// A pipeline is a swift-service-lifecycle `Service` (trait `ServiceLifecycle`): put it in your
/// `ServiceGroup` and it drains when the group shuts down.
///
/// List the pipeline **first**. A service group starts its services in order and shuts them down in
/// reverse, so the pipeline is the last to stop: everything your other services log while they shut
/// down, and what the group logs about shutting them down, is still written.
///
/// ```swift
/// let pipeline = try LogPipeline(sinks: [ConsoleSink(), try FileSink(path: "logs/app.log")])
/// LoggingSystem.bootstrap { label in pipeline.logHandler(label: label) }
/// let group = ServiceGroup(
///     services: [pipeline, server],   // pipeline first: shut down last
///     gracefulShutdownSignals: [.sigterm, .sigint],
///     logger: Logger(label: "app")
/// )
/// try await group.run()
/// ```
extension LogPipeline: Service {
    /// Waits for the group's graceful shutdown, then shuts the pipeline down within
    /// ``shutdownTimeout`` and returns.
    ///
    /// If the task is cancelled instead (the group is cancelled, say because another service failed),
    /// `run()` returns promptly: it starts the same shutdown, which goes on draining on the
    /// pipeline's own threads within ``shutdownTimeout``, and does not wait for it. Stats stay
    /// consistent throughout; `await pipeline.shutdown()` joins that shutdown and returns its
    /// report. Records logged after the pipeline began shutting down (such as the group's own
    /// "Service finished" for the pipeline) are counted as dropped with reason `shutdown`.
    ///
    /// ```swift
    /// try await ServiceGroup(services: [pipeline, server], gracefulShutdownSignals: [.sigterm], logger: logger).run()
    /// ```
    ///
    /// - Throws: Nothing; it is `throws` because `Service` requires it.
    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled before a graceful shutdown: start draining, do not wait for it.
            beginShutdown(timeout: shutdownTimeout)
            return
        }
        beginShutdown(timeout: shutdownTimeout)
        // Bounded by the shutdown deadline; cancellation ends the wait early, not the drain.
        _ = await shutdownReport.waitUnlessCancelled()
    }
}
#endif
