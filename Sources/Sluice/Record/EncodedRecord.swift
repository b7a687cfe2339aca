#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A borrowed view of one record in the ``RecordLayout``: what formats and built-in sinks read.
///
/// The view points into pipeline memory that stays valid while the batch holding the record is
/// being written; it must not be kept beyond that. Reading allocates nothing.
package struct EncodedRecord {
    package let base: UnsafeRawPointer

    @inline(__always)
    package init(_ base: UnsafeRawPointer) {
        self.base = base
    }

    @inline(__always)
    package var size: Int {
        Int(base.loadUnaligned(fromByteOffset: RecordLayout.sizeOffset, as: UInt32.self))
    }

    @inline(__always)
    package var timestamp: LogTimestamp {
        LogTimestamp(
            nanosecondsSinceEpoch: base.loadUnaligned(fromByteOffset: RecordLayout.timestampOffset, as: Int64.self))
    }

    @inline(__always)
    package var level: LogLevel {
        // The encoder only ever stores a LogLevel's raw value.
        LogLevel(rawValue: base.load(fromByteOffset: RecordLayout.levelOffset, as: UInt8.self)) ?? .critical
    }

    /// The pipeline's sequence number (once the collector took the record).
    @inline(__always)
    package var sequence: UInt64 {
        base.loadUnaligned(fromByteOffset: RecordLayout.sequenceOffset, as: UInt64.self)
    }

    @inline(__always)
    package var flags: UInt8 {
        base.load(fromByteOffset: RecordLayout.flagsOffset, as: UInt8.self)
    }

    @inline(__always)
    package var sourceID: UInt32 {
        base.loadUnaligned(fromByteOffset: RecordLayout.sourceOffset, as: UInt32.self)
    }

    @inline(__always)
    package var chunk: Int {
        Int(base.loadUnaligned(fromByteOffset: RecordLayout.chunkOffset, as: UInt16.self))
    }

    @inline(__always)
    package var hasMetadata: Bool {
        flags
            & (RecordLayout.Flags.callMetadata | RecordLayout.Flags.loggerMetadata
                | RecordLayout.Flags.contextMetadata) != 0
    }

    /// Parses the variable sections (label, message, source, metadata layers).
    @inline(__always)
    package var sections: Sections {
        Sections(self)
    }

    /// The parsed variable sections of a record.
    package struct Sections {
        package var label: UnsafeBufferPointer<UInt8>
        package var message: UnsafeBufferPointer<UInt8>
        /// File, function and line when the record carries them inline.
        package var inlineSource: (file: UnsafeBufferPointer<UInt8>, function: UnsafeBufferPointer<UInt8>, line: UInt)?
        package var call: EncodedMetadata
        package var logger: EncodedMetadata
        package var context: EncodedMetadata

        @inline(__always)
        init(_ record: EncodedRecord) {
            var reader = RecordReader(record.base + RecordLayout.headerSize)
            label = reader.bytes()
            message = reader.bytes()
            let flags = record.flags
            if flags & RecordLayout.Flags.inlineSource != 0 {
                let file = reader.bytes()
                let function = reader.bytes()
                let line: UInt64 = reader.raw()
                inlineSource = (file, function, UInt(truncatingIfNeeded: line))
            } else {
                inlineSource = nil
            }
            // A layer is skipped over only when another one follows it.
            let loggerOrContext = RecordLayout.Flags.loggerMetadata | RecordLayout.Flags.contextMetadata
            call =
                flags & RecordLayout.Flags.callMetadata != 0
                ? reader.metadata(skip: flags & loggerOrContext != 0) : .empty
            logger =
                flags & RecordLayout.Flags.loggerMetadata != 0
                ? reader.metadata(skip: flags & RecordLayout.Flags.contextMetadata != 0) : .empty
            context = flags & RecordLayout.Flags.contextMetadata != 0 ? reader.metadata(skip: false) : .empty
        }

        /// Whether any layer holds metadata.
        @inline(__always)
        package var hasMetadata: Bool {
            call.count > 0 || logger.count > 0 || context.count > 0
        }

        /// The merged metadata pairs, in the order of ``forEachMetadata(_:)``.
        @inline(__always)
        package func makeMetadataIterator() -> MetadataIterator {
            MetadataIterator(self)
        }

        /// Walks the merged metadata pairs without a closure (the formats' fast path).
        package struct MetadataIterator {
            private let call: EncodedMetadata
            private let logger: EncodedMetadata
            private let context: EncodedMetadata
            private var layer = 0
            private var remaining: Int
            private var cursor: UnsafeRawPointer?

            @inline(__always)
            init(_ sections: Sections) {
                call = sections.call
                logger = sections.logger
                context = sections.context
                remaining = call.count
                cursor = call.start
            }

            @inline(__always)
            package mutating func next() -> (key: UnsafeBufferPointer<UInt8>, value: EncodedValue)? {
                while true {
                    if remaining > 0, let position = cursor {
                        var reader = RecordReader(position)
                        let key = reader.bytes()
                        let value = reader.value()
                        cursor = reader.cursor
                        remaining -= 1
                        if layer == 0 || !isShadowed(key) {
                            return (key, value)
                        }
                        continue
                    }
                    layer += 1
                    switch layer {
                    case 1:
                        remaining = logger.count
                        cursor = logger.start
                    case 2:
                        remaining = context.count
                        cursor = context.start
                    default:
                        return nil
                    }
                }
            }

            private func isShadowed(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
                call.contains(key: key) || (layer == 2 && logger.contains(key: key))
            }
        }

        /// Calls `body` for each merged metadata pair, without allocating: the call-site pairs, then
        /// the logger's pairs whose keys the call site did not set, then the context's remaining
        /// pairs (the precedence of ``LogRecord/metadata``).
        @inline(__always)
        package func forEachMetadata(_ body: (UnsafeBufferPointer<UInt8>, EncodedValue) -> Void) {
            call.forEach(body)
            if logger.count > 0 {
                logger.forEach { key, value in
                    if !call.contains(key: key) {
                        body(key, value)
                    }
                }
            }
            if context.count > 0 {
                context.forEach { key, value in
                    if !call.contains(key: key) && !logger.contains(key: key) {
                        body(key, value)
                    }
                }
            }
        }
    }
}

/// A run of encoded metadata entries (key, value).
package struct EncodedMetadata {
    package let count: Int
    /// The first entry.
    package let start: UnsafeRawPointer?

    @inline(__always) package static var empty: EncodedMetadata { EncodedMetadata(count: 0, start: nil) }

    @inline(__always)
    package init(count: Int, start: UnsafeRawPointer?) {
        self.count = count
        self.start = start
    }

    @inline(__always)
    package func forEach(_ body: (UnsafeBufferPointer<UInt8>, EncodedValue) -> Void) {
        guard var cursor = start else { return }
        for _ in 0..<count {
            var reader = RecordReader(cursor)
            let key = reader.bytes()
            let value = reader.value()
            body(key, value)
            cursor = reader.cursor
        }
    }

    /// Whether an entry has `key` (``sameKey(_:_:)``).
    package func contains(key: UnsafeBufferPointer<UInt8>) -> Bool {
        var found = false
        forEach { candidate, _ in
            if !found && EncodedMetadata.sameKey(candidate, key) {
                found = true
            }
        }
        return found
    }

    /// Whether two keys are one metadata key. ``LogMetadata`` compares keys as Swift strings, which
    /// equates canonically equivalent spellings (`é` and `e` + U+0301, `K` and the Kelvin sign), so
    /// merging layers must too: keys that differ in bytes are compared as strings unless both are
    /// ASCII. (This allocates only for such keys longer than 15 bytes.)
    @inline(__always)
    package static func sameKey(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        if equal(a, b) {
            return true
        }
        guard !isASCII(a) || !isASCII(b) else { return false }
        return String(a) == String(b)
    }

    @inline(__always)
    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.reduce(0, |) < 0x80
    }

    @inline(__always)
    package static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let x = a.baseAddress, let y = b.baseAddress, a.count > 0 else { return true }
        return memcmp(x, y, a.count) == 0
    }
}

/// A metadata value inside an encoded record.
package enum EncodedValue {
    case string(UnsafeBufferPointer<UInt8>)
    case integer(Int)
    case double(Double)
    case bool(Bool)
    /// An array's elements: `count` values from `start`.
    case array(count: Int, start: UnsafeRawPointer)
    /// A dictionary's entries.
    case dictionary(EncodedMetadata)
    /// An array or dictionary nested too deep, replaced at the call.
    case tooDeep(isArray: Bool)

    /// Calls `body` for each element of an array value.
    @inline(__always)
    package static func forEachElement(count: Int, start: UnsafeRawPointer, _ body: (EncodedValue) -> Void) {
        var reader = RecordReader(start)
        for _ in 0..<count {
            body(reader.value())
        }
    }
}

/// A cursor that reads the variable sections of a record.
package struct RecordReader {
    package private(set) var cursor: UnsafeRawPointer

    @inline(__always)
    package init(_ cursor: UnsafeRawPointer) {
        self.cursor = cursor
    }

    /// Moves past `count` bytes.
    @inline(__always)
    package mutating func skip(_ count: Int) {
        cursor += count
    }

    @inline(__always)
    package mutating func byte() -> UInt8 {
        let value = cursor.load(as: UInt8.self)
        cursor += 1
        return value
    }

    @inline(__always)
    package mutating func raw<T: FixedWidthInteger>() -> T {
        let value = cursor.loadUnaligned(as: T.self)
        cursor += MemoryLayout<T>.size
        return value
    }

    @inline(__always)
    package mutating func length() -> Int {
        let first = byte()
        if first < 255 {
            return Int(first)
        }
        let long: UInt32 = raw()
        return Int(long)
    }

    @inline(__always)
    package mutating func bytes() -> UnsafeBufferPointer<UInt8> {
        let count = length()
        let start = cursor.assumingMemoryBound(to: UInt8.self)
        cursor += count
        return UnsafeBufferPointer(start: start, count: count)
    }

    @inline(__always)
    package mutating func metadata(skip: Bool = true) -> EncodedMetadata {
        let count = length()
        let start = cursor
        if skip {
            skipEntries(count)
        }
        return EncodedMetadata(count: count, start: start)
    }

    @inline(__always)
    private mutating func skipEntries(_ count: Int) {
        for _ in 0..<count {
            let keyLength = length()
            cursor += keyLength
            _ = value()
        }
    }

    @inline(__always)
    package mutating func value() -> EncodedValue {
        switch byte() {
        case RecordLayout.Tag.string:
            return .string(bytes())
        case RecordLayout.Tag.integer:
            let value: Int64 = raw()
            return .integer(Int(truncatingIfNeeded: value))
        case RecordLayout.Tag.double:
            let bits: UInt64 = raw()
            return .double(Double(bitPattern: bits))
        case RecordLayout.Tag.falseValue:
            return .bool(false)
        case RecordLayout.Tag.trueValue:
            return .bool(true)
        case RecordLayout.Tag.array:
            let byteLength: UInt32 = raw()
            let end = cursor + Int(byteLength)
            let count = length()
            let start = cursor
            cursor = end
            return .array(count: count, start: start)
        case RecordLayout.Tag.dictionary:
            let byteLength: UInt32 = raw()
            let end = cursor + Int(byteLength)
            let count = length()
            let start = cursor
            cursor = end
            return .dictionary(EncodedMetadata(count: count, start: start))
        case RecordLayout.Tag.arrayTooDeep:
            return .tooDeep(isArray: true)
        default:
            return .tooDeep(isArray: false)
        }
    }
}
