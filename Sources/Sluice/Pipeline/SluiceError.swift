#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An error Sluice throws for a configuration it cannot use or an operation a sink could not do.
///
/// Every error carries a ``code`` to match on and a ``message`` written for the person who has to fix
/// it: what went wrong, with which value, and what to do about it.
///
/// ```swift
/// do {
///     let sink = try FileSink(path: "/var/log/myapp/app.log")
/// } catch let error as SluiceError where error.code == .fileOpenFailed {
///     print(error.message)  // names the path, the OS error and what to check
/// }
/// ```
///
/// The logging path itself never throws: ``SluiceLogger`` calls cannot fail.
public struct SluiceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. Compare with the static members; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidConfiguration
            case invalidLogLevel
            case fileOpenFailed
            case writeFailed
            case sinkFailed
        }

        private let value: Value

        /// A configuration value is out of range or inconsistent with another one.
        public static let invalidConfiguration = Code(value: .invalidConfiguration)
        /// A log level string (for example from `LOG_LEVEL`) is not one Sluice knows.
        public static let invalidLogLevel = Code(value: .invalidLogLevel)
        /// A log file or its directory could not be created or opened.
        public static let fileOpenFailed = Code(value: .fileOpenFailed)
        /// The operating system refused a write.
        public static let writeFailed = Code(value: .writeFailed)
        /// A sink failed in a way that is not a plain write error.
        public static let sinkFailed = Code(value: .sinkFailed)

        public var description: String {
            switch value {
            case .invalidConfiguration: "invalidConfiguration"
            case .invalidLogLevel: "invalidLogLevel"
            case .fileOpenFailed: "fileOpenFailed"
            case .writeFailed: "writeFailed"
            case .sinkFailed: "sinkFailed"
            }
        }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence a person can act on.
    public let message: String
    /// The `errno` behind the failure, when the operating system reported one.
    public let errno: Int32?

    /// Creates an error. Custom sinks may throw these too.
    ///
    /// - Parameters:
    ///   - code: What kind of failure this is.
    ///   - message: What went wrong and what to do about it.
    ///   - errno: The operating-system error number, if there was one.
    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String {
        "SluiceError.\(code): \(message)"
    }

    /// The operating system's text for an `errno` value, e.g. "No space left on device (ENOSPC)".
    package static func describe(errno value: Int32) -> String {
        let text = String(cString: strerror(value))
        if let name = errnoNames[value] {
            return "\(text) (\(name))"
        }
        return "\(text) (errno \(value))"
    }

    private static let errnoNames: [Int32: String] = [
        EACCES: "EACCES", EPERM: "EPERM", ENOENT: "ENOENT", ENOSPC: "ENOSPC", EIO: "EIO",
        EISDIR: "EISDIR", ENOTDIR: "ENOTDIR", EROFS: "EROFS", ELOOP: "ELOOP", EEXIST: "EEXIST",
        EDQUOT: "EDQUOT", EFBIG: "EFBIG", EPIPE: "EPIPE", EBADF: "EBADF", EINVAL: "EINVAL",
        EAGAIN: "EAGAIN", EINTR: "EINTR", EMFILE: "EMFILE", ENFILE: "ENFILE", ENAMETOOLONG: "ENAMETOOLONG",
        ECONNREFUSED: "ECONNREFUSED", ECONNRESET: "ECONNRESET", ETIMEDOUT: "ETIMEDOUT",
    ]
}
