#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension LogPipeline {
    /// Shuts the pipeline down when one of `signals` arrives, then hands the report to
    /// `afterShutdown`, which decides how the process ends. Dependency-free: for apps that do not
    /// use swift-service-lifecycle.
    ///
    /// ```swift
    /// let pipeline = try LogPipeline(sinks: [try FileSink(path: "logs/app.log")])
    /// try pipeline.drainOnSignals([SIGTERM, SIGINT])     // default: exit(0), or exit(1) if the drain timed out
    ///
    /// // or decide yourself, and run an action on SIGHUP (for logrotate):
    /// try pipeline.drainOnSignals([SIGTERM]) { signal, report in
    ///     print(report)
    ///     exit(report.timedOut ? 1 : 0)
    /// } onHangup: {
    ///     await pipeline.reopenFiles()   // logrotate moved the files
    /// }
    /// ```
    ///
    /// The signals are handled by Dispatch signal sources on a private queue, never on the main actor
    /// and never inside the signal handler itself, so the shutdown runs as ordinary code. The first
    /// signal starts a shutdown with ``shutdownTimeout``; later signals join it. `afterShutdown` runs
    /// once, on one of the pipeline's threads, when the shutdown has finished. The call returns once
    /// the signals are being watched (it waits briefly for Dispatch to register them), so a signal
    /// sent right after it is not missed.
    ///
    /// - Parameters:
    ///   - signals: The signals that shut the pipeline down, typically `[SIGTERM, SIGINT]`. They no
    ///     longer end the process by themselves; `afterShutdown` does.
    ///   - afterShutdown: Receives the signal and the shutdown report. The default exits the process
    ///     with status 0, or 1 when the drain timed out.
    ///   - onHangup: Run on every `SIGHUP` when given (e.g. to reopen log files after rotation);
    ///     `SIGHUP` is left alone when `nil`.
    /// - Returns: A handle that stops handling the signals.
    /// - Throws: ``SluiceError`` (``SluiceError/Code/invalidConfiguration``) for an empty list, a
    ///   signal that cannot be caught (`SIGKILL`, `SIGSTOP`) or out of range, or `SIGHUP` both in
    ///   `signals` and handled by `onHangup`.
    @discardableResult
    public func drainOnSignals(
        _ signals: [Int32],
        afterShutdown: @escaping @Sendable (_ signal: Int32, _ report: ShutdownReport) -> Void = { _, report in
            exit(report.timedOut ? 1 : 0)
        },
        onHangup: (@Sendable () async -> Void)? = nil
    ) throws(SluiceError) -> SignalDrain {
        try Self.validate(signals: signals, handlesHangup: onHangup != nil)
        let fired = LockedValue(false)
        var ids: [UInt64] = []
        for number in Set(signals) {
            let id = SignalRouter.add(number) { [self] in
                let first = fired.withLock { fired in
                    defer { fired = true }
                    return !fired
                }
                guard first else { return }
                beginShutdown(timeout: shutdownTimeout)
                // Waits on one of the pipeline's threads, so a saturated cooperative pool cannot
                // delay the exit.
                Task(name: "sluice signal drain", executorPreference: collectorExecutor) {
                    let report = await self.shutdownReport.wait()
                    afterShutdown(number, report)
                }
            }
            ids.append(id)
        }
        if let onHangup {
            ids.append(SignalRouter.add(SIGHUP) { Task(name: "sluice hangup") { await onHangup() } })
        }
        return SignalDrain(signals: signals + (onHangup == nil ? [] : [SIGHUP]), registrations: ids)
    }

    private static func validate(signals: [Int32], handlesHangup: Bool) throws(SluiceError) {
        guard !signals.isEmpty else {
            throw SluiceError(.invalidConfiguration, "drainOnSignals needs at least one signal, e.g. [SIGTERM, SIGINT]")
        }
        for number in signals {
            guard number > 0 && number < 65 else {
                throw SluiceError(.invalidConfiguration, "drainOnSignals: \(number) is not a signal number")
            }
            guard number != SIGKILL && number != SIGSTOP else {
                throw SluiceError(
                    .invalidConfiguration,
                    "drainOnSignals: signal \(number) (SIGKILL or SIGSTOP) cannot be caught; use SIGTERM and SIGINT")
            }
            guard !(number == SIGHUP && handlesHangup) else {
                throw SluiceError(
                    .invalidConfiguration,
                    "drainOnSignals: SIGHUP is both a shutdown signal and handled by onHangup; pick one")
            }
        }
    }
}
