import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The signal handling installed by ``LogPipeline/drainOnSignals(_:onHangup:afterShutdown:)``.
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

    private let sources: LockedValue<[any DispatchSourceSignal]>

    init(signals: [Int32], sources: [any DispatchSourceSignal]) {
        self.signals = signals
        self.sources = LockedValue(sources)
        // Keeps the sources alive until cancel(): a released Dispatch source stops delivering.
        Self.installed.withLock { $0[ObjectIdentifier(self)] = self }
    }

    /// Stops handling the signals and restores their default action (which, for `SIGTERM` and
    /// `SIGINT`, ends the process).
    public func cancel() {
        let sources = self.sources.withLock { sources in
            defer { sources = [] }
            return sources
        }
        guard !sources.isEmpty else { return }
        for source in sources {
            source.cancel()
        }
        for number in signals {
            signal(number, SIG_DFL)
        }
        Self.installed.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(self)) }
    }

    private static let installed = LockedValue<[ObjectIdentifier: SignalDrain]>([:])
}
