/// Failed delivery attempts of a network sink, by class.
///
/// ```swift
/// let failures = sink.stats.failures
/// if failures.throttled > 0 { print("the receiver asked us to slow down \(failures.throttled) times") }
/// ```
public struct DeliveryFailureCounts: Sendable, Hashable, CustomStringConvertible {
    /// Could not connect, or the connection broke (retried).
    public var connection = 0
    /// No answer within the timeout (retried).
    public var timeout = 0
    /// HTTP 5xx (retried).
    public var serverError = 0
    /// HTTP 429 Too Many Requests (retried).
    public var throttled = 0
    /// HTTP 4xx other than 429, or a message the transport refuses (not retried).
    public var rejected = 0
    /// Anything else (not retried).
    public var other = 0

    /// Creates counts.
    public init(
        connection: Int = 0, timeout: Int = 0, serverError: Int = 0, throttled: Int = 0, rejected: Int = 0,
        other: Int = 0
    ) {
        self.connection = connection
        self.timeout = timeout
        self.serverError = serverError
        self.throttled = throttled
        self.rejected = rejected
        self.other = other
    }

    /// All failed attempts.
    public var total: Int { connection + timeout + serverError + throttled + rejected + other }

    public var description: String {
        "\(total) (connection \(connection), timeout \(timeout), 5xx \(serverError), 429 \(throttled), rejected \(rejected), other \(other))"
    }
}
