/// Which syslog message format a ``SyslogSink`` writes.
///
/// ```swift
/// let modern = try SyslogSink(transport: .tcp(host: "127.0.0.1", port: 6514), format: .rfc5424)
/// let legacy = try SyslogSink(transport: .unix(), format: .rfc3164)
/// ```
public struct SyslogMessageFormat: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        case rfc5424
        case rfc3164
    }

    package let kind: Kind

    /// RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`, with the record's
    /// metadata as structured data and a microsecond UTC timestamp.
    public static let rfc5424 = SyslogMessageFormat(kind: .rfc5424)
    /// RFC 3164 ("BSD syslog"): `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG key=value…`, what older
    /// daemons and `/dev/log` readers expect. The timestamp is UTC and has no year; over a Unix socket
    /// the hostname is left out, as the C library's `syslog(3)` does.
    public static let rfc3164 = SyslogMessageFormat(kind: .rfc3164)

    public var description: String {
        switch kind {
        case .rfc5424: "RFC 5424"
        case .rfc3164: "RFC 3164"
        }
    }
}
