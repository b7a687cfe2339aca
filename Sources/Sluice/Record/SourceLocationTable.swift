import Synchronization

/// Source locations (file, function, line) seen by log calls, each stored once and named by an id,
/// so a record carries four bytes instead of its file and function names.
///
/// Only locations whose file and function strings are immortal are interned: string literals such
/// as `#fileID` and `#function` (whose storage lives as long as the program, so their bits identify
/// their contents) and small strings (whose bits are their contents). Other strings, which a caller
/// could build without limit, are written inline into the record. The table holds at most
/// ``capacity`` locations; past that, records carry their source inline too.
//
// @unchecked Sendable is safe: `ids` and appends to `entries` happen only with `lock` held; an entry
// is fully initialised before `published` (an atomic, released) counts it, readers only read entries
// below the count they acquired, and entries are never changed or removed afterwards.
package final class SourceLocationTable: @unchecked Sendable {
    /// The table every pipeline in the process shares (call sites are the program's, not a pipeline's).
    package static let shared = SourceLocationTable(capacity: 16_384)

    /// The identity of an immortal location: the raw bits of both strings and the line.
    package struct Key: Hashable {
        var file0: UInt64
        var file1: UInt64
        var function0: UInt64
        var function1: UInt64
        var line: UInt64
    }

    package let capacity: Int
    private let lock = Lock()
    private var ids: [Key: UInt32] = [:]
    private let entries: UnsafeMutablePointer<LogSource>
    private let published = Atomic<Int>(0)

    package init(capacity: Int) {
        self.capacity = capacity
        entries = .allocate(capacity: capacity)
    }

    deinit {
        entries.deinitialize(count: published.load(ordering: .acquiring))
        entries.deallocate()
    }

    /// The key for a location, or `nil` when either string is not immortal.
    @inline(__always)
    package static func key(file: String, function: String, line: UInt) -> Key? {
        // A String is two words; the top bit of the second is set for immortal strings (literals and
        // small strings), whose bits stay tied to the same contents for the life of the process.
        let fileBits = unsafeBitCast(file, to: (UInt64, UInt64).self)
        let functionBits = unsafeBitCast(function, to: (UInt64, UInt64).self)
        guard fileBits.1 & functionBits.1 & (1 << 63) != 0 else { return nil }
        return Key(
            file0: fileBits.0, file1: fileBits.1, function0: functionBits.0, function1: functionBits.1,
            line: UInt64(line))
    }

    /// The id of a location, interning it if it is new; `nil` when the table is full.
    package func id(for key: Key, file: String, function: String, line: UInt) -> UInt32? {
        lock.withLock {
            if let id = ids[key] {
                return id
            }
            let count = published.load(ordering: .relaxed)
            guard count < capacity else { return nil }
            (entries + count).initialize(to: LogSource(file: file, function: function, line: line))
            published.store(count + 1, ordering: .releasing)
            let id = UInt32(count)
            ids[key] = id
            return id
        }
    }

    /// The location named `id` (an id this table returned).
    package func source(_ id: UInt32) -> LogSource {
        let count = published.load(ordering: .acquiring)
        guard Int(id) < count else { return LogSource(file: "?", function: "?", line: 0) }
        return entries[Int(id)]
    }

    /// Calls `body` with the location named `id` without copying it.
    package func withSource<R>(_ id: UInt32, _ body: (borrowing LogSource) -> R) -> R {
        let count = published.load(ordering: .acquiring)
        guard Int(id) < count else { return body(LogSource(file: "?", function: "?", line: 0)) }
        return body(entries[Int(id)])
    }

    /// Locations interned so far.
    package var count: Int {
        published.load(ordering: .acquiring)
    }
}

/// A small direct-mapped cache in front of ``SourceLocationTable``, one per stripe, so a log call
/// finds its location's id with a hash and a comparison and no lock.
package struct SourceLocationCache {
    private struct Slot {
        var key: SourceLocationTable.Key
        var id: UInt32
    }

    private static let size = 64
    private var slots: [Slot?]

    package init() {
        slots = Array(repeating: nil, count: Self.size)
    }

    /// The id of the location, or `RecordLayout.inlineSource` when it must travel inline.
    @inline(__always)
    package mutating func id(file: String, function: String, line: UInt, table: SourceLocationTable) -> UInt32 {
        guard let key = SourceLocationTable.key(file: file, function: function, line: line) else {
            return RecordLayout.inlineSource
        }
        var hash = key.file0 &* 0x9E37_79B9_7F4A_7C15
        hash ^= key.function0 &* 0xC2B2_AE3D_27D4_EB4F
        hash ^= key.line &* 0x1656_67B1_9E37_79F9
        hash ^= key.file1 ^ key.function1
        let index = Int(truncatingIfNeeded: (hash ^ (hash >> 29)) & UInt64(Self.size - 1))
        if let slot = slots[index], slot.key == key {
            return slot.id
        }
        guard let id = table.id(for: key, file: file, function: function, line: line) else {
            return RecordLayout.inlineSource
        }
        slots[index] = Slot(key: key, id: id)
        return id
    }
}
