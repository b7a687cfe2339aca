/// The syslog facility a ``SyslogSink`` puts in every message's priority (RFC 5424 §6.2.1).
///
/// ```swift
/// let sink = try SyslogSink(transport: .udp(host: "127.0.0.1", port: 514), facility: .local3)
/// ```
public struct SyslogFacility: Sendable, Hashable, CustomStringConvertible {
    /// The facility code, 0...23.
    public let code: UInt8

    private init(_ code: UInt8) {
        self.code = code
    }

    /// Kernel messages (0).
    public static let kernel = SyslogFacility(0)
    /// User-level messages (1), the default.
    public static let user = SyslogFacility(1)
    /// Mail system (2).
    public static let mail = SyslogFacility(2)
    /// System daemons (3).
    public static let daemon = SyslogFacility(3)
    /// Security and authorization (4).
    public static let auth = SyslogFacility(4)
    /// Messages of syslogd itself (5).
    public static let syslog = SyslogFacility(5)
    /// Security and authorization, private (10).
    public static let authpriv = SyslogFacility(10)
    /// Local use 0 (16).
    public static let local0 = SyslogFacility(16)
    /// Local use 1 (17).
    public static let local1 = SyslogFacility(17)
    /// Local use 2 (18).
    public static let local2 = SyslogFacility(18)
    /// Local use 3 (19).
    public static let local3 = SyslogFacility(19)
    /// Local use 4 (20).
    public static let local4 = SyslogFacility(20)
    /// Local use 5 (21).
    public static let local5 = SyslogFacility(21)
    /// Local use 6 (22).
    public static let local6 = SyslogFacility(22)
    /// Local use 7 (23).
    public static let local7 = SyslogFacility(23)

    /// A facility by its code.
    ///
    /// - Parameter code: 0...23.
    /// - Returns: The facility.
    /// - Throws: ``SluiceError`` with code ``SluiceError/Code/invalidConfiguration`` outside 0...23.
    public static func code(_ code: Int) throws(SluiceError) -> SyslogFacility {
        guard (0...23).contains(code) else {
            throw SluiceError(
                .invalidConfiguration,
                "syslog facility \(code) does not exist; use 0...23 (16...23 are local0...local7)")
        }
        return SyslogFacility(UInt8(code))
    }

    public var description: String { "facility \(code)" }
}
