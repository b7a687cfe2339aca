/// The state of a ``FileSink``'s circuit breaker (see ``FailurePolicy``).
///
/// ```swift
/// if file.stats.circuitState == .open {
///     alert("logging to disk is failing: \(file.stats.lastError ?? "")")
/// }
/// ```
public struct CircuitState: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        case closed
        case open
        case halfOpen
    }

    package let kind: Kind

    /// Writing normally.
    public static let closed = CircuitState(kind: .closed)
    /// Too many failures in a row: batches are dropped without touching the disk until the next probe.
    public static let open = CircuitState(kind: .open)
    /// The probe time has come: the next batch is tried once and decides.
    public static let halfOpen = CircuitState(kind: .halfOpen)

    public var description: String {
        switch kind {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "halfOpen"
        }
    }
}
