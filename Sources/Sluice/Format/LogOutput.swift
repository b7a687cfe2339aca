/// A reusable byte buffer that formats append records to.
///
/// Each sink owns one and clears it between batches, so formatting allocates nothing per record once
/// the buffer has grown. It also caches the RFC 3339 rendering of the current second, so a timestamp
/// costs a copy and six digits.
///
/// Custom ``LogFormat``s write through it:
///
/// ```swift
/// struct TinyFormat: LogFormat {
///     func write(_ record: LogRecord, to output: inout LogOutput) {
///         output.appendTimestamp(record.timestamp)
///         output.append(" ")
///         output.appendEscaped(record.message, .text)   // one line, whatever the message holds
///         output.append("\n")
///     }
/// }
/// ```
public struct LogOutput: Sendable {
    /// The formatted bytes.
    public var bytes: [UInt8] { storage }
    package var storage: [UInt8]
    /// Whether the destination renders ANSI colours (a terminal). Formats may colour output when set.
    public var colors: Bool
    private var cachedSecond: Int64 = .min
    private var cachedPrefix: [UInt8] = []

    /// Creates an empty buffer.
    ///
    /// - Parameters:
    ///   - capacity: Bytes to reserve up front.
    ///   - colors: Whether the destination renders ANSI colours.
    public init(capacity: Int = 64 * 1024, colors: Bool = false) {
        storage = []
        storage.reserveCapacity(capacity)
        self.colors = colors
    }

    /// The number of bytes formatted so far.
    public var count: Int { storage.count }

    /// Whether nothing has been formatted.
    public var isEmpty: Bool { storage.isEmpty }

    /// The bytes as a string.
    public var string: String { String(decoding: storage, as: UTF8.self) }

    /// Clears the bytes, keeping the allocated capacity.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
    }

    /// Removes the first `n` bytes (after a partial write).
    package mutating func removeFirst(_ n: Int) {
        storage.removeFirst(n)
    }

    /// Calls `body` with the formatted bytes.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = storage.withUnsafeBytes { buffer in
            do throws(E) {
                return .success(try body(buffer))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Appends one byte.
    public mutating func append(_ byte: UInt8) {
        storage.append(byte)
    }

    /// Appends `text` verbatim, without escaping. Use only for text known to be safe (field names,
    /// punctuation); use ``appendEscaped(_:_:limit:)`` for anything from a record.
    public mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { storage.append(contentsOf: $0) }
    }

    /// Appends the UTF-8 of `text` verbatim, without escaping.
    public mutating func appendUnescaped(_ text: String) {
        var text = text
        text.withUTF8 { storage.append(contentsOf: $0) }
    }

    /// Appends raw bytes.
    public mutating func append(contentsOf buffer: UnsafeBufferPointer<UInt8>) {
        storage.append(contentsOf: buffer)
    }

    /// Appends a decimal integer.
    public mutating func appendInteger(_ value: Int) {
        if value >= 0 && value < 10 {
            storage.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = 20
            repeat {
                index -= 1
                digits[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                storage.append(UInt8(ascii: "-"))
            }
            storage.append(contentsOf: UnsafeBufferPointer(rebasing: digits[index..<20]))
        }
    }

    /// Appends `value` as exactly `width` decimal digits (zero-padded).
    private static func appendPadded(_ value: Int, width: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width {
            divisor *= 10
        }
        var remaining = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(remaining / divisor))
            remaining %= divisor
            divisor /= 10
        }
    }

    /// Appends an RFC 3339 UTC timestamp such as `2026-11-23T12:00:00.123456Z`.
    ///
    /// The date and time of the current second are cached, so consecutive records in the same second
    /// cost only the fraction.
    ///
    /// - Parameters:
    ///   - timestamp: The instant.
    ///   - fractionDigits: Digits after the decimal point, 0...9; default 6 (microseconds).
    public mutating func appendTimestamp(_ timestamp: LogTimestamp, fractionDigits: Int = 6) {
        let second = timestamp.secondsSinceEpoch
        if second != cachedSecond {
            cachedSecond = second
            cachedPrefix.removeAll(keepingCapacity: true)
            Self.renderDateTime(second, into: &cachedPrefix)
        }
        storage.append(contentsOf: cachedPrefix)
        let digits = min(max(fractionDigits, 0), 9)
        if digits > 0 {
            storage.append(UInt8(ascii: "."))
            var fraction = Int(timestamp.nanosecondOfSecond)
            for _ in digits..<9 {
                fraction /= 10
            }
            Self.appendPadded(fraction, width: digits, to: &storage)
        }
        storage.append(UInt8(ascii: "Z"))
    }

    /// Renders `YYYY-MM-DDTHH:MM:SS` for seconds since the epoch (proleptic Gregorian, UTC).
    private static func renderDateTime(_ secondsSinceEpoch: Int64, into out: inout [UInt8]) {
        var days = secondsSinceEpoch / 86_400
        var secondOfDay = secondsSinceEpoch % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        appendPadded(Int(min(max(year, 0), 9999)), width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(Int(month), width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(Int(day), width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendPadded(Int(secondOfDay / 3600), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int(secondOfDay / 60 % 60), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int(secondOfDay % 60), width: 2, to: &out)
    }
}
