#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a console sink colours its output.
///
/// ```swift
/// ConsoleSink(colors: .auto)    // default: only on a terminal, honouring NO_COLOR and FORCE_COLOR
/// ConsoleSink(colors: .never)
/// ```
public enum ColorMode: Sendable, Hashable {
    /// Colour when the stream is a terminal, unless `NO_COLOR` is set to a non-empty value or `TERM`
    /// is `dumb`. A non-empty `FORCE_COLOR` other than `0`/`false` forces colour even when the stream
    /// is not a terminal (and wins over `NO_COLOR`); `FORCE_COLOR=0` disables it.
    case auto
    /// Always colour.
    case always
    /// Never colour.
    case never

    /// Decides for a stream.
    ///
    /// - Parameters:
    ///   - isTerminal: Whether the stream is a terminal.
    ///   - environment: Looks up an environment variable.
    /// - Returns: Whether to emit ANSI colours.
    package func resolve(isTerminal: Bool, environment: (String) -> String?) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto: break
        }
        if let force = environment("FORCE_COLOR"), !force.isEmpty {
            return !(force == "0" || force.lowercased() == "false")
        }
        if let noColor = environment("NO_COLOR"), !noColor.isEmpty {
            return false
        }
        if environment("TERM") == "dumb" {
            return false
        }
        return isTerminal
    }

    /// Decides for a file descriptor, reading the process environment.
    package func resolve(descriptor: Int32) -> Bool {
        resolve(isTerminal: isatty(descriptor) == 1) { name in
            getenv(name).map { String(cString: $0) }
        }
    }
}
