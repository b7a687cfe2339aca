import Sluice

/// Reads structured values out of libFuzzer's bytes. Running out of bytes yields zeros and empty
/// strings, so every input decodes to something.
public struct FuzzInput {
    private let bytes: [UInt8]
    private var position = 0

    public init(_ data: UnsafeRawBufferPointer) {
        bytes = Array(data)
    }

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var isAtEnd: Bool { position >= bytes.count }

    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    public mutating func int64() -> Int64 {
        var value: UInt64 = 0
        for _ in 0..<8 {
            value = value << 8 | UInt64(byte())
        }
        return Int64(bitPattern: value)
    }

    /// A number in `0..<bound`.
    public mutating func below(_ bound: Int) -> Int {
        Int(byte()) % max(bound, 1)
    }

    /// A string of up to `maxBytes` bytes (its length comes first, from one or two bytes), decoded
    /// as UTF-8 with invalid sequences replaced, as Swift decodes any bytes.
    public mutating func string(maxBytes: Int = 600) -> String {
        var length = Int(byte())
        if length == 255 {
            length = Int(byte()) << 8 | Int(byte())
        }
        length = min(length, maxBytes, bytes.count - min(position, bytes.count))
        defer { position += length }
        return String(decoding: bytes[position..<(position + length)], as: UTF8.self)
    }

    /// The rest of the input as a string.
    public mutating func rest() -> String {
        defer { position = bytes.count }
        return String(decoding: bytes[min(position, bytes.count)...], as: UTF8.self)
    }

    public mutating func level() -> LogLevel {
        LogLevel.allCases[below(LogLevel.allCases.count)]
    }

    public mutating func metadataValue(depth: Int = 0) -> LogMetadataValue {
        switch below(depth < 3 ? 7 : 5) {
        case 0: return .integer(Int(int64()))
        case 1: return .double(Double(bitPattern: UInt64(bitPattern: int64())))
        case 2: return .bool(bool())
        case 5: return .array((0..<below(4)).map { _ in metadataValue(depth: depth + 1) })
        case 6: return .dictionary(metadata(depth: depth + 1))
        default: return .string(string())
        }
    }

    public mutating func metadata(depth: Int = 0) -> LogMetadata {
        var metadata = LogMetadata()
        for _ in 0..<below(6) {
            metadata[string(maxBytes: 1_500)] = metadataValue(depth: depth)
        }
        return metadata
    }

    /// A record whose every field comes from the input (the timestamp may be any 64-bit value).
    public mutating func record() -> LogRecord {
        LogRecord(
            timestamp: LogTimestamp(nanosecondsSinceEpoch: int64()), level: level(), label: string(),
            message: string(maxBytes: 4_000), metadata: metadata(),
            source: LogSource(file: string(maxBytes: 100), function: string(maxBytes: 100), line: UInt(byte())),
            sequence: UInt64(bitPattern: int64()))
    }
}
