/// A reusable byte buffer that formats append records to.
///
/// Each sink owns one and clears it between writes, so formatting allocates nothing per record once
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
///
/// `LogOutput` is noncopyable: it owns its memory, and formats borrow it `inout`. This is what lets
/// appends be plain memory copies with no copy-on-write checks (measured: the formatter is the
/// pipeline's largest cost per record).
//
// @unchecked Sendable is safe: the type is noncopyable, so exactly one owner holds the buffer at any
// time, and every mutation goes through `mutating`/`inout` access, which Swift's exclusivity rules
// never let overlap. Moving it to another task moves the ownership.
public struct LogOutput: ~Copyable, @unchecked Sendable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// The number of bytes formatted so far.
    public private(set) var count = 0
    /// Whether the destination renders ANSI colours (a terminal). Formats may colour output when set.
    public var colors: Bool
    /// `YYYY-MM-DDTHH:MM:SS` of `cachedSecond`, 19 bytes.
    private let cachedPrefix: UnsafeMutablePointer<UInt8>
    private var cachedSecond: Int64 = .min
    /// A second buffer for values rendered twice (nested values in text), allocated on first use.
    private var scratch: UnsafeMutablePointer<UInt8>?
    private var scratchCapacity = 0

    /// Creates an empty buffer.
    ///
    /// - Parameters:
    ///   - capacity: Bytes to reserve up front.
    ///   - colors: Whether the destination renders ANSI colours.
    public init(capacity: Int = 64 * 1024, colors: Bool = false) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
        cachedPrefix = .allocate(capacity: 19)
        self.colors = colors
    }

    deinit {
        base.deallocate()
        cachedPrefix.deallocate()
        scratch?.deallocate()
    }

    /// Copies `count` bytes from `offset` into the scratch buffer and calls `body` with them.
    package mutating func withScratch(
        copying offset: Int, count length: Int, _ body: (inout LogOutput, UnsafeBufferPointer<UInt8>) -> Void
    ) {
        if scratchCapacity < length {
            scratch?.deallocate()
            scratchCapacity = max(length, 256)
            scratch = .allocate(capacity: scratchCapacity)
        }
        guard let scratch else { return }
        scratch.update(from: base + offset, count: length)
        body(&self, UnsafeBufferPointer(start: scratch, count: length))
    }

    /// Whether nothing has been formatted.
    public var isEmpty: Bool { count == 0 }

    /// A copy of the formatted bytes.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The formatted bytes as a string.
    public var string: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    /// Clears the bytes, keeping the allocated capacity.
    public mutating func removeAll() {
        count = 0
    }

    /// Removes the last `n` bytes.
    package mutating func removeLast(_ n: Int) {
        precondition(n >= 0 && n <= count, "internal inconsistency: removing \(n) of \(count) bytes")
        count -= n
    }

    /// Removes the byte at `index`, shifting the rest down.
    package mutating func remove(at index: Int) {
        precondition(index >= 0 && index < count, "internal inconsistency: removing byte \(index) of \(count)")
        (base + index).update(from: base + index + 1, count: count - index - 1)
        count -= 1
    }

    /// Removes the first `n` bytes, keeping the rest (after a partial write or a rotation).
    package mutating func removeFirst(_ n: Int) {
        precondition(n >= 0 && n <= count, "internal inconsistency: removing \(n) of \(count) bytes")
        (base).update(from: base + n, count: count - n)
        count -= n
    }

    /// Calls `body` with the formatted bytes.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    // MARK: Raw appends

    /// Makes room for `n` more bytes and returns where they go; the caller must then call
    /// `commit(n)` after writing at most `n` bytes.
    @inline(__always)
    package mutating func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if count + n > capacity {
            grow(to: count + n)
        }
        return base + count
    }

    @inline(__always)
    package mutating func commit(_ n: Int) {
        count += n
    }

    private mutating func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed {
            newCapacity *= 2
        }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Appends one byte.
    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1).pointee = byte
        count += 1
    }

    /// Appends raw bytes.
    @inline(__always)
    public mutating func append(contentsOf buffer: UnsafeBufferPointer<UInt8>) {
        guard let source = buffer.baseAddress, !buffer.isEmpty else { return }
        reserve(buffer.count).update(from: source, count: buffer.count)
        count += buffer.count
    }

    /// Appends `text` verbatim, without escaping. Use only for text known to be safe (field names,
    /// punctuation); use ``appendEscaped(_:_:limit:)`` for anything from a record.
    @inline(__always)
    public mutating func append(_ text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends the UTF-8 of `text` verbatim, without escaping.
    public mutating func appendUnescaped(_ text: String) {
        Self.withUTF8(text) { append(contentsOf: $0) }
    }

    /// Calls `body` with the UTF-8 of `text`, without copying native or small strings.
    @inline(__always)
    package static func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) {
            return result
        }
        var copy = text
        return copy.withUTF8(body)
    }

    // MARK: Numbers

    /// "00", "01", … "99", for writing two digits at a time.
    private static var digitPairs: StaticString {
        """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
    }

    /// Writes `value` (0...99) as two digits at `destination`.
    @inline(__always)
    package static func writePair(_ value: Int, to destination: UnsafeMutablePointer<UInt8>) {
        let pair = digitPairs.utf8Start + value * 2
        destination[0] = pair[0]
        destination[1] = pair[1]
    }

    /// Appends a decimal integer.
    public mutating func appendInteger(_ value: Int) {
        let destination = reserve(20)
        count += Self.writeInteger(value, to: destination)
    }

    /// Writes a decimal integer (at most 20 bytes) at `destination`; returns the bytes written.
    @inline(__always)
    package static func writeInteger(_ value: Int, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        var magnitude = value.magnitude
        var digits = 1
        var threshold: UInt = 10
        while digits < 20 && magnitude >= threshold {
            digits += 1
            threshold = threshold &* 10
        }
        let sign = value < 0 ? 1 : 0
        if sign == 1 {
            destination[0] = UInt8(ascii: "-")
        }
        var end = digits + sign
        while magnitude >= 100 {
            end -= 2
            writePair(Int(magnitude % 100), to: destination + end)
            magnitude /= 100
        }
        if magnitude >= 10 {
            writePair(Int(magnitude), to: destination + end - 2)
        } else {
            destination[end - 1] = UInt8(ascii: "0") &+ UInt8(magnitude)
        }
        return digits + sign
    }

    // MARK: Timestamps

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
            Self.renderDateTime(second, into: cachedPrefix)
        }
        let digits = min(max(fractionDigits, 0), 9)
        let destination = reserve(19 + 1 + digits + 1)
        destination.update(from: cachedPrefix, count: 19)
        var written = 19
        if digits > 0 {
            destination[19] = UInt8(ascii: ".")
            written = 20
            var fraction = Int(timestamp.nanosecondOfSecond)
            if digits == 6 {
                fraction /= 1_000
                Self.writePair(fraction / 10_000, to: destination + 20)
                Self.writePair(fraction / 100 % 100, to: destination + 22)
                Self.writePair(fraction % 100, to: destination + 24)
            } else {
                for _ in digits..<9 {
                    fraction /= 10
                }
                for position in stride(from: digits - 1, through: 0, by: -1) {
                    destination[20 + position] = UInt8(ascii: "0") &+ UInt8(fraction % 10)
                    fraction /= 10
                }
            }
            written += digits
        }
        destination[written] = UInt8(ascii: "Z")
        count += written + 1
    }

    /// `YYYY-MM-DDTHH:MM:SS` (19 bytes) of the second `timestamp` falls in, rendered when the second
    /// changes, and the nanoseconds within that second.
    @inline(__always)
    package mutating func dateTimePrefix(of timestamp: LogTimestamp) -> (UnsafePointer<UInt8>, Int) {
        // Floor division that cannot overflow, even within a second of Int64.min: the truncated
        // quotient times 10^9 is never larger in magnitude than the dividend.
        let nanoseconds = timestamp.nanosecondsSinceEpoch
        var second = nanoseconds / 1_000_000_000
        var fraction = nanoseconds - second * 1_000_000_000
        if fraction < 0 {
            second -= 1
            fraction += 1_000_000_000
        }
        if second != cachedSecond {
            cachedSecond = second
            Self.renderDateTime(second, into: cachedPrefix)
        }
        return (UnsafePointer(cachedPrefix), Int(fraction))
    }

    /// Appends `YYYY-MM-DDT00:00:00Z` of a day (days since 1970-01-01, UTC); days beyond the range
    /// of ``LogTimestamp`` too, such as the one after its last.
    package mutating func appendDayStart(_ day: Int64) {
        let destination = reserve(20)
        Self.renderDateTime(day.saturatingMultiply(86_400), into: destination)
        destination[19] = UInt8(ascii: "Z")
        count += 20
    }

    /// Renders `YYYY-MM-DDTHH:MM:SS` for seconds since the epoch (proleptic Gregorian, UTC).
    private static func renderDateTime(_ secondsSinceEpoch: Int64, into out: UnsafeMutablePointer<UInt8>) {
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
        let year = Int(min(max(yearOfEra + era * 400 + (month <= 2 ? 1 : 0), 0), 9999))
        writePair(year / 100, to: out)
        writePair(year % 100, to: out + 2)
        out[4] = UInt8(ascii: "-")
        writePair(Int(month), to: out + 5)
        out[7] = UInt8(ascii: "-")
        writePair(Int(day), to: out + 8)
        out[10] = UInt8(ascii: "T")
        writePair(Int(secondOfDay / 3600), to: out + 11)
        out[13] = UInt8(ascii: ":")
        writePair(Int(secondOfDay / 60 % 60), to: out + 14)
        out[16] = UInt8(ascii: ":")
        writePair(Int(secondOfDay % 60), to: out + 17)
    }
}
