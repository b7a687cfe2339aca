#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a pipeline reports ``InternalError``s.
///
/// The default, ``standardError``, writes to the process's standard error (never through the
/// pipeline), rate-limited: the first occurrence of each kind of error for each sink is printed at
/// once, then at most one line per interval with the count of repeats. Each report is one line, with
/// control, separator and bidirectional characters escaped. The lines are written by a thread of
/// their own from a bounded buffer, so a standard error that does not drain never holds up the
/// pipeline: reports that do not fit are dropped, and the next line says how many.
///
/// ```swift
/// let quiet = try LogPipeline(sinks: [console], onInternalError: .ignore)
/// let custom = try LogPipeline(sinks: [console], onInternalError: .custom { print($0) })
/// ```
///
/// - Important: Handlers run on Sluice's own threads. They must be quick, must not block, and must
///   not log through the same pipeline.
public struct InternalErrorHandler: Sendable {
    package let handle: @Sendable (InternalError) -> Void

    /// Calls `body` for every internal error, unthrottled.
    ///
    /// - Parameter body: The handler.
    /// - Returns: A handler.
    public static func custom(_ body: @escaping @Sendable (InternalError) -> Void) -> InternalErrorHandler {
        InternalErrorHandler(handle: body)
    }

    /// Discards internal errors (they are still counted in ``PipelineStats``).
    public static var ignore: InternalErrorHandler {
        InternalErrorHandler { _ in }
    }

    /// Writes to standard error, rate-limited to one line per kind and sink every 10 seconds.
    public static var standardError: InternalErrorHandler {
        standardError(every: .seconds(10))
    }

    /// Writes to standard error, rate-limited to one line per kind and sink every `interval`.
    ///
    /// - Parameter interval: The shortest time between two lines for the same kind and sink.
    /// - Returns: A handler with its own rate-limiting state.
    public static func standardError(every interval: Duration) -> InternalErrorHandler {
        lines(every: interval, to: .standardError)
    }

    /// Writes one escaped line per report through `writer`, rate-limited per kind and sink.
    package static func lines(every interval: Duration, to writer: ReportWriter) -> InternalErrorHandler {
        let limiter = RateLimiter(interval: interval)
        return InternalErrorHandler { error in
            guard let suppressed = limiter.admit(key: "\(error.kind)|\(error.sinkName ?? "")") else { return }
            var text = error.description
            if suppressed > 0 {
                text += " (and \(suppressed) more like it since the last report)"
            }
            // One line whatever the error says: no line break, escape sequence or bidi override
            // from a sink's error or a receiver's answer reaches the terminal raw.
            var line = LogOutput(capacity: text.utf8.count + 16)
            line.appendEscaped(text, .text)
            line.append(UInt8(ascii: "\n"))
            writer.enqueue(line.bytes)
        }
    }
}

/// Lets the first event per key through, then at most one per interval, counting the rest.
package final class RateLimiter: Sendable {
    private struct Entry {
        var lastReported: ContinuousClock.Instant
        var suppressed: Int
    }

    private let interval: Duration
    private let entries = LockedValue([String: Entry]())

    package init(interval: Duration) {
        self.interval = interval
    }

    /// Returns the number of events suppressed since the last admitted one if this event may be
    /// reported now, or `nil` if it is suppressed.
    package func admit(key: String, now: ContinuousClock.Instant = .now) -> Int? {
        entries.withLock { entries in
            guard var entry = entries[key] else {
                entries[key] = Entry(lastReported: now, suppressed: 0)
                return 0
            }
            if now - entry.lastReported >= interval {
                let suppressed = entry.suppressed
                entry = Entry(lastReported: now, suppressed: 0)
                entries[key] = entry
                return suppressed
            }
            entry.suppressed += 1
            entries[key] = entry
            return nil
        }
    }
}
