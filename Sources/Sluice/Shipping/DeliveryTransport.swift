/// The bytes of one delivery attempt: an HTTP body, syslog messages (framed for a stream, or one
/// per datagram), a Kafka message set. A ``DeliveryEngine`` hands payloads to its
/// ``DeliveryTransport`` one at a time.
///
/// ```swift
/// DeliveryPayload(bytes: Array(body.utf8), messageEnds: [body.utf8.count], records: records.count)
/// ```
public struct DeliveryPayload: Sendable {
    /// What is sent.
    public var bytes: [UInt8]
    /// The end offset of each message in ``bytes``, in order. A payload that goes out as a whole
    /// (an HTTP body) is one message; a transport that may deliver part of a payload (a stream of
    /// framed messages) reports how many messages got through with ``DeliveryFailure/delivered``,
    /// and the engine sends only the rest again.
    public var messageEnds: [Int]
    /// Records in the payload, for the stats.
    public var records: Int
    /// How ``bytes`` are encoded for the wire, if at all: the HTTP `Content-Encoding` a transport
    /// sends with them (`"gzip"`), or `nil` for bytes sent as they are.
    public var contentEncoding: String?

    /// Creates a payload.
    ///
    /// - Parameters:
    ///   - bytes: What is sent.
    ///   - messageEnds: The end offset of each message in `bytes`; `[bytes.count]` for one message.
    ///   - records: Records in the payload.
    ///   - contentEncoding: How `bytes` are encoded for the wire (`"gzip"`), or `nil` (the default)
    ///     for bytes sent as they are.
    public init(bytes: [UInt8], messageEnds: [Int], records: Int, contentEncoding: String? = nil) {
        self.bytes = bytes
        self.messageEnds = messageEnds
        self.records = records
        self.contentEncoding = contentEncoding
    }

    /// Removes the first `messages` messages (they were delivered before a failure). Each message
    /// of a payload with as many messages as records holds one record.
    package mutating func removeFirst(messages: Int) -> (bytes: Int, records: Int) {
        guard messages > 0 else { return (0, 0) }
        let cut = messageEnds[messages - 1]
        let recordsRemoved = messageEnds.count == records ? messages : 0
        bytes.removeFirst(cut)
        messageEnds = messageEnds.dropFirst(messages).map { $0 - cut }
        records -= recordsRemoved
        return (cut, recordsRemoved)
    }
}

/// Why a delivery attempt failed, and so whether the ``DeliveryEngine`` tries again.
///
/// ```swift
/// return .failure(DeliveryFailure(.connection, "127.0.0.1:9092: connection refused"))
/// return .failure(DeliveryFailure(.throttled, "HTTP 429", retryAfter: .seconds(5)))
/// return .failure(DeliveryFailure(.rejected, "HTTP 400: invalid line"))   // not retried
/// ```
public struct DeliveryFailure: Error, Sendable, CustomStringConvertible {
    /// The class of a failure: connection, timeout, server error and throttling are retried;
    /// rejected and other failures are not.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        package enum Value: Sendable, Hashable {
            case connection
            case timeout
            case serverError
            case throttled
            case rejected
            case other
        }

        package let value: Value

        /// The connection could not be made or broke (retried).
        public static let connection = Kind(value: .connection)
        /// No answer in time (retried; the receiver may have the payload already).
        public static let timeout = Kind(value: .timeout)
        /// The receiver failed (HTTP 5xx; retried).
        public static let serverError = Kind(value: .serverError)
        /// The receiver asked to slow down (HTTP 429; retried, honouring `retryAfter`).
        public static let throttled = Kind(value: .throttled)
        /// The receiver refused the payload for good (HTTP 4xx; dropped, not retried).
        public static let rejected = Kind(value: .rejected)
        /// Anything else (dropped, not retried).
        public static let other = Kind(value: .other)

        public var description: String {
            switch value {
            case .connection: "connection"
            case .timeout: "timeout"
            case .serverError: "serverError"
            case .throttled: "throttled"
            case .rejected: "rejected"
            case .other: "other"
            }
        }
    }

    /// The class of the failure.
    public var kind: Kind
    /// What happened, for stats and error reports.
    public var message: String
    /// The wait the receiver asked for (`Retry-After`).
    public var retryAfter: Duration?
    /// Messages at the start of the payload that were delivered before the failure.
    public var delivered: Int
    /// Whether the receiver may hold the payload already (the connection broke before its answer):
    /// the engine retries it and never drops it for overflow meanwhile.
    public var outcomeUnknown: Bool

    /// Creates a failure.
    ///
    /// - Parameters:
    ///   - kind: The class of the failure.
    ///   - message: What happened.
    ///   - retryAfter: The wait the receiver asked for, if any.
    ///   - delivered: Messages at the start of the payload delivered before the failure.
    ///   - outcomeUnknown: Whether the receiver may have the payload already.
    public init(
        _ kind: Kind, _ message: String, retryAfter: Duration? = nil, delivered: Int = 0, outcomeUnknown: Bool = false
    ) {
        self.kind = kind
        self.message = message
        self.retryAfter = retryAfter
        self.delivered = delivered
        self.outcomeUnknown = outcomeUnknown
    }

    /// Whether the engine tries again.
    public var isRetryable: Bool {
        switch kind.value {
        case .connection, .timeout, .serverError, .throttled: true
        case .rejected, .other: false
        }
    }

    public var description: String { message }
}

/// Moves payloads to a receiver, blocking: a socket, an HTTP client, a database connection.
///
/// A ``DeliveryEngine`` owns its transport and calls it from one thread of its own, one call at a
/// time, so an implementation needs no locking and may block (up to a timeout of its own: a call
/// that never returns stalls the sink). Connect lazily in ``deliver(_:)`` and reconnect there after a
/// failure; the engine decides when to call again.
///
/// ```swift
/// final class LineTransport: DeliveryTransport {
///     private var socket: Int32 = -1
///     var isConnected: Bool { socket >= 0 }
///     func deliver(_ payload: DeliveryPayload) -> Result<Void, DeliveryFailure> { ... }
///     func close() { ... }
/// }
/// ```
public protocol DeliveryTransport: AnyObject {
    /// Delivers `payload` or says why not. May block up to the transport's own timeout.
    ///
    /// - Parameter payload: The bytes to send.
    /// - Returns: Success, or a ``DeliveryFailure`` whose ``DeliveryFailure/kind`` decides whether
    ///   the engine retries.
    func deliver(_ payload: DeliveryPayload) -> Result<Void, DeliveryFailure>
    /// Whether the transport holds a working connection (shown in ``NetworkSinkStats/connected``).
    var isConnected: Bool { get }
    /// Releases the connection. Called once, when the engine closes.
    func close()
}
