/// The signal handling installed by ``LogPipeline/drainOnSignals(_:afterShutdown:onHangup:)``.
///
/// The handling stays installed for the life of the process unless you call ``cancel()``; dropping
/// the handle does not remove it.
///
/// ```swift
/// let handling = try pipeline.drainOnSignals([SIGTERM, SIGINT])
/// // ... later, to hand the signals back to their default action:
/// handling.cancel()
/// ```
///
/// - Important: `SignalDrain` is `Sendable`; ``cancel()`` may be called from any thread, more than
///   once.
public final class SignalDrain: Sendable {
    /// The signals handled, including `SIGHUP` when an `onHangup` action was given.
    public let signals: [Int32]

    private let registrations: LockedValue<[UInt64]>

    init(signals: [Int32], registrations: [UInt64]) {
        self.signals = signals
        self.registrations = LockedValue(registrations)
    }

    /// Stops handling the signals: from now on each of them gets its default action again (for
    /// `SIGTERM`, `SIGINT` and `SIGHUP`, the process ends), unless another handling installed by
    /// ``LogPipeline/drainOnSignals(_:afterShutdown:onHangup:)`` still covers it.
    public func cancel() {
        let ids = registrations.withLock { ids in
            defer { ids = [] }
            return ids
        }
        SignalRouter.remove(ids)
    }
}
