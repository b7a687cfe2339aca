/// The rings of a ``Backtrace``: per key, the last few records held back, copied into buffers the
/// rings own and reuse. A plain struct the stage runner owns.
package struct BacktraceRings {
    private final class Ring {
        var key: [UInt8] = []
        var records: [RecordBytes] = []
        var head = 0
        var count = 0
        var lastUse: UInt64 = 0
    }

    package let options: Backtrace
    private var rings: [Ring] = []
    private var index: [UInt64: Int] = [:]
    private var clock: UInt64 = 0
    private var metadataKey: [UInt8]?
    /// Records held in all rings.
    package private(set) var held = 0

    package init(_ options: Backtrace) {
        self.options = options
        if case .metadata(let name) = options.key {
            metadataKey = Array(name.utf8)
        }
    }

    /// Holds `record` in its key's ring. Returns how many records it pushed out (the oldest of a full
    /// ring, or a whole ring that was least recently used), or `nil` when the record is too large to
    /// hold (it is then not held).
    package mutating func hold(_ record: EncodedRecord) -> Int? {
        guard record.size <= options.maximumRecordBytes else { return nil }
        var pushedOut = 0
        let ring = ring(for: record, creating: true, pushedOut: &pushedOut)!
        if ring.count == options.capacity {
            ring.head = (ring.head + 1) % options.capacity
            ring.count -= 1
            pushedOut += 1
            held -= 1
        }
        let slot = (ring.head + ring.count) % options.capacity
        while ring.records.count <= slot {
            ring.records.append(RecordBytes(capacity: 256))
        }
        ring.records[slot].copy(from: record.base, count: record.size)
        ring.count += 1
        held += 1
        return pushedOut
    }

    /// Calls `body` with the held records of `record`'s key, oldest first, then empties that ring.
    /// Returns how many there were.
    @discardableResult
    package mutating func release(for record: EncodedRecord, _ body: (EncodedRecord) -> Void) -> Int {
        var unused = 0
        guard let ring = ring(for: record, creating: false, pushedOut: &unused), ring.count > 0 else { return 0 }
        let count = ring.count
        for offset in 0..<count {
            body(ring.records[(ring.head + offset) % options.capacity].record)
        }
        ring.head = 0
        ring.count = 0
        held -= count
        return count
    }

    /// Empties every ring (shutdown); returns how many records they held.
    package mutating func discardAll() -> Int {
        let count = held
        for ring in rings {
            ring.count = 0
            ring.head = 0
        }
        held = 0
        return count
    }

    /// The ring for `record`'s key; with `creating`, a new one (reusing the least recently used ring
    /// when there are as many as allowed, whose records count in `pushedOut`).
    private mutating func ring(for record: EncodedRecord, creating: Bool, pushedOut: inout Int) -> Ring? {
        let key = Self.keyBytes(record, metadataKey: metadataKey)
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key {
            hash = (hash ^ UInt64(byte)) &* 0x0100_0000_01B3
        }
        clock &+= 1
        if let position = index[hash], rings[position].key.elementsEqual(key) {
            rings[position].lastUse = clock
            return rings[position]
        }
        guard creating else { return nil }
        let ring: Ring
        if let position = index[hash] {
            // Another key with the same hash: it gives way.
            ring = rings[position]
        } else if rings.count < options.maximumRings {
            ring = Ring()
            index[hash] = rings.count
            rings.append(ring)
        } else {
            var oldest = 0
            for position in rings.indices where rings[position].lastUse < rings[oldest].lastUse {
                oldest = position
            }
            ring = rings[oldest]
            if let previous = index.first(where: { $0.value == oldest })?.key {
                index[previous] = nil
            }
            index[hash] = oldest
        }
        pushedOut += ring.count
        held -= ring.count
        ring.key = Array(key)
        ring.head = 0
        ring.count = 0
        ring.lastUse = clock
        return ring
    }

    /// The bytes that name `record`'s ring: the value of the configured metadata key (a string's
    /// bytes, an integer's decimal digits) or else the label.
    private static func keyBytes(_ record: EncodedRecord, metadataKey: [UInt8]?) -> UnsafeBufferPointer<UInt8> {
        let sections = record.sections
        if let metadataKey {
            for layer in [sections.call, sections.logger, sections.context] {
                if let value = value(of: metadataKey, in: layer) {
                    return value
                }
            }
        }
        return sections.label
    }

    private static func value(of key: [UInt8], in entries: EncodedMetadata) -> UnsafeBufferPointer<UInt8>? {
        guard var cursor = entries.start else { return nil }
        for _ in 0..<entries.count {
            var reader = RecordReader(cursor)
            let candidate = reader.bytes()
            let valueStart = reader.cursor
            let value = reader.value()
            cursor = reader.cursor
            guard candidate.elementsEqual(key) else { continue }
            switch value {
            case .string(let bytes):
                return bytes
            case .integer:
                // The tag is followed by the integer's eight bytes.
                return UnsafeBufferPointer(start: (valueStart + 1).assumingMemoryBound(to: UInt8.self), count: 8)
            default:
                return nil
            }
        }
        return nil
    }
}
