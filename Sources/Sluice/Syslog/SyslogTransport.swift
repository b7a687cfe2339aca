/// Where a ``SyslogSink`` sends its messages.
///
/// ```swift
/// SyslogTransport.udp(host: "127.0.0.1", port: 514)   // one message per datagram
/// SyslogTransport.tcp(host: "logs.internal", port: 601) // octet-counted frames (RFC 6587)
/// SyslogTransport.unix()                              // the local daemon at /dev/log
/// ```
public struct SyslogTransport: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        case udp(host: String, port: Int)
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    package let kind: Kind

    /// UDP (RFC 5426): one message per datagram. Messages longer than the sink's
    /// `maxMessageBytes` (2048 by default) are truncated with a visible marker, never sent as a
    /// datagram the receiver would reject. UDP has no acknowledgement: a datagram the network or the
    /// receiver drops is lost without the sink knowing.
    ///
    /// - Parameters:
    ///   - host: A host name or address.
    ///   - port: The receiver's port; syslog's is 514.
    /// - Returns: The transport.
    public static func udp(host: String, port: Int = 514) -> SyslogTransport {
        SyslogTransport(kind: .udp(host: host, port: port))
    }

    /// TCP with octet-counting framing (RFC 6587, `LENGTH SP MESSAGE`), reconnecting with backoff.
    ///
    /// - Parameters:
    ///   - host: A host name or address.
    ///   - port: The receiver's port.
    /// - Returns: The transport.
    public static func tcp(host: String, port: Int) -> SyslogTransport {
        SyslogTransport(kind: .tcp(host: host, port: port))
    }

    /// A Unix datagram socket, `/dev/log` by default (the local syslog daemon or journald).
    ///
    /// - Parameter path: The socket's path.
    /// - Returns: The transport.
    public static func unix(path: String = "/dev/log") -> SyslogTransport {
        SyslogTransport(kind: .unix(path: path))
    }

    /// Whether messages travel as a byte stream (framed) rather than one per datagram.
    package var isStream: Bool {
        if case .tcp = kind { return true }
        return false
    }

    public var description: String {
        switch kind {
        case .udp(let host, let port): "udp://\(host):\(port)"
        case .tcp(let host, let port): "tcp://\(host):\(port)"
        case .unix(let path): "unix://\(path)"
        }
    }
}
