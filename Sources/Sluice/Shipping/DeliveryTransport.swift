/// The bytes of one delivery attempt: an HTTP body, or syslog messages (framed for a stream, or
/// one per datagram).
package struct DeliveryPayload: Sendable {
    package var bytes: [UInt8]
    /// The end offset of each message in `bytes`, in order; an HTTP body is one message.
    package var messageEnds: [Int]
    /// Records in the payload.
    package var records: Int
    /// How `bytes` are encoded for the wire (HTTP `Content-Encoding`, e.g. `gzip`), if at all.
    package var contentEncoding: String?

    package init(bytes: [UInt8], messageEnds: [Int], records: Int, contentEncoding: String? = nil) {
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

/// Why an attempt failed, and whether to try again.
package struct DeliveryFailure: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        case connection
        case timeout
        case serverError
        case throttled
        case rejected
        case other
    }

    package var kind: Kind
    package var message: String
    /// The wait the receiver asked for (`Retry-After`).
    package var retryAfter: Duration?
    /// Messages at the start of the payload that were delivered before the failure.
    package var delivered: Int
    /// Whether the receiver may hold the payload already (the connection broke before its answer):
    /// the engine retries it and never drops it for overflow meanwhile.
    package var outcomeUnknown: Bool

    package init(
        _ kind: Kind, _ message: String, retryAfter: Duration? = nil, delivered: Int = 0, outcomeUnknown: Bool = false
    ) {
        self.kind = kind
        self.message = message
        self.retryAfter = retryAfter
        self.delivered = delivered
        self.outcomeUnknown = outcomeUnknown
    }

    package var isRetryable: Bool {
        switch kind {
        case .connection, .timeout, .serverError, .throttled: true
        case .rejected, .other: false
        }
    }

    package var description: String { message }
}

/// Moves payloads to a receiver, blocking. Only the ``DeliveryEngine``'s thread calls it, one call
/// at a time, so implementations need no locking of their own.
package protocol DeliveryTransport: AnyObject {
    /// Delivers `payload` or says why not. May block up to the transport's timeout.
    func deliver(_ payload: DeliveryPayload) -> Result<Void, DeliveryFailure>
    /// Whether the transport holds a working connection.
    var isConnected: Bool { get }
    /// Releases the connection.
    func close()
}
