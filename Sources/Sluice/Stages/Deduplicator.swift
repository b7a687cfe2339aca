#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The state of ``Deduplication``: the last record written (what a repeat must equal), the run's
/// start, and the latest repeat held back. A plain struct the stage runner owns; it copies what it
/// keeps into buffers of its own (reused), so records it saw can go back to the pipeline.
package struct Deduplicator {
    /// What ``observe(_:)`` decided for a record.
    package enum Decision: Equatable {
        /// The record differs from the last one (or came after the window): write it. If a run
        /// ended, `endedRun` is how many repeats it held back (1: the held repeat itself goes
        /// first; more: a summary goes first).
        case distinct(endedRun: Int)
        /// A repeat within the window: hold it back. `replacedHeld` is whether it replaced an
        /// earlier held repeat (now counted as deduplicated).
        case repeated(replacedHeld: Bool)
    }

    private let window: Int64
    private let maximumBytes: Int
    /// The comparable bytes of the last written record: level, metadata flags, label, message and
    /// metadata sections.
    private let last = RecordBytes()
    private var hasLast = false
    private var runStart: Int64 = 0
    /// Repeats held back in the current run.
    package private(set) var repeats = 0
    /// The latest repeat, whole.
    package let held = RecordBytes()
    package private(set) var windowEnd: Int64 = .max

    package init(window: Duration, maximumBytes: Int = 64 * 1024) {
        let (seconds, attoseconds) = window.components
        self.window = Int64(clamping: seconds) &* 1_000_000_000 &+ Int64(attoseconds / 1_000_000_000)
        self.maximumBytes = maximumBytes
    }

    /// Decides for `record` (in pipeline order) and remembers it.
    package mutating func observe(_ record: EncodedRecord) -> Decision {
        let timestamp = record.timestamp.nanosecondsSinceEpoch
        guard record.size <= maximumBytes else {
            // Too large to keep a copy of: never a repeat, and nothing to compare the next one with.
            let ended = endRun()
            hasLast = false
            return .distinct(endedRun: ended)
        }
        if hasLast && timestamp &- runStart < window && Self.comparable(record, equals: last) {
            repeats += 1
            held.copy(from: record.base, count: record.size)
            return .repeated(replacedHeld: repeats > 1)
        }
        let ended = endRun()
        Self.storeComparable(record, into: last)
        hasLast = true
        runStart = timestamp
        windowEnd = timestamp &+ window
        return .distinct(endedRun: ended)
    }

    /// Ends the current run (a flush, shutdown, or its window passed); returns its repeats. The
    /// held repeat stays readable in ``held`` until the next call that holds one.
    package mutating func endRun() -> Int {
        let ended = repeats
        repeats = 0
        if ended > 0 {
            // A repeat after this starts a new run (rsyslog: the next identical message is written).
            hasLast = false
        }
        return ended
    }

    /// Whether a run is waiting whose window ended by `now` (wall clock, nanoseconds).
    package func runExpired(now: Int64) -> Bool {
        repeats > 0 && now >= windowEnd
    }

    // MARK: Comparing

    private static func comparableSpans(_ record: EncodedRecord) -> (
        head: UnsafeRawBufferPointer, metadata: UnsafeRawBufferPointer
    ) {
        let start = record.base + RecordLayout.headerSize
        var reader = RecordReader(start)
        _ = reader.bytes()
        _ = reader.bytes()
        let headEnd = reader.cursor
        let flags = record.flags
        if flags & RecordLayout.Flags.inlineSource != 0 {
            _ = reader.bytes()
            _ = reader.bytes()
            let _: UInt64 = reader.raw()
        }
        let metadataStart = reader.cursor
        for layer in [
            RecordLayout.Flags.callMetadata, RecordLayout.Flags.loggerMetadata, RecordLayout.Flags.contextMetadata,
        ]
        where flags & layer != 0 {
            _ = reader.metadata(skip: true)
        }
        return (
            UnsafeRawBufferPointer(start: start, count: headEnd - start),
            UnsafeRawBufferPointer(start: metadataStart, count: reader.cursor - metadataStart)
        )
    }

    private static func metadataFlags(_ record: EncodedRecord) -> UInt8 {
        record.flags
            & (RecordLayout.Flags.callMetadata | RecordLayout.Flags.loggerMetadata | RecordLayout.Flags.contextMetadata)
    }

    private static func storeComparable(_ record: EncodedRecord, into bytes: RecordBytes) {
        let (head, metadata) = comparableSpans(record)
        bytes.reset(capacity: 2 + 8 + head.count + metadata.count)
        bytes.append(record.level.rawValue)
        bytes.append(metadataFlags(record))
        bytes.append(UInt64(head.count))
        bytes.append(head)
        bytes.append(metadata)
    }

    private static func comparable(_ record: EncodedRecord, equals stored: RecordBytes) -> Bool {
        let (head, metadata) = comparableSpans(record)
        guard stored.count == 2 + 8 + head.count + metadata.count else { return false }
        let base = stored.base
        guard base.load(as: UInt8.self) == record.level.rawValue,
            base.load(fromByteOffset: 1, as: UInt8.self) == metadataFlags(record),
            base.loadUnaligned(fromByteOffset: 2, as: UInt64.self) == UInt64(head.count)
        else { return false }
        return memcmp(base + 10, head.baseAddress!, head.count) == 0
            && (metadata.isEmpty || memcmp(base + 10 + head.count, metadata.baseAddress!, metadata.count) == 0)
    }
}

/// A growable byte buffer the stages own (allocated once, grown when needed, never shrunk), with
/// read slack after its bytes.
package final class RecordBytes {
    package private(set) var base: UnsafeMutableRawPointer
    package private(set) var count = 0
    private var capacity: Int

    package init(capacity: Int = 256) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity + RecordLayout.readSlack, alignment: 8)
    }

    deinit {
        base.deallocate()
    }

    /// Empties the buffer and makes room for `capacity` bytes.
    package func reset(capacity needed: Int) {
        count = 0
        if needed > capacity {
            base.deallocate()
            capacity = max(needed, capacity * 2)
            base = .allocate(byteCount: capacity + RecordLayout.readSlack, alignment: 8)
        }
    }

    package func copy(from source: UnsafeRawPointer, count: Int) {
        reset(capacity: count)
        base.copyMemory(from: source, byteCount: count)
        self.count = count
    }

    package func append(_ byte: UInt8) {
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    package func append(_ value: UInt64) {
        base.storeBytes(of: value, toByteOffset: count, as: UInt64.self)
        count += 8
    }

    package func append(_ bytes: UnsafeRawBufferPointer) {
        if let source = bytes.baseAddress, !bytes.isEmpty {
            (base + count).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
    }

    /// The buffer as a record (when it holds one).
    package var record: EncodedRecord { EncodedRecord(UnsafeRawPointer(base)) }
}
