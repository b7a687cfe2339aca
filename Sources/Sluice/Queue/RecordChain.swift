/// One stripe's FIFO of encoded records (those below the protected level, or those at or above it),
/// kept as a list of chunks: records are appended to the last chunk, evicted from either end, and
/// taken all at once by the collector. A plain struct used under its stripe's lock.
///
/// Every chunk in the list but the last holds at least one queued record; the last is the open one,
/// written to until it is full. A chunk leaves the list once it is sealed and holds nothing queued.
package struct RecordChain {
    /// One chunk of the chain.
    package struct Segment {
        package var id: UInt16
        package var base: UnsafeMutableRawPointer
        package var capacity: Int
        /// Offset of the oldest queued record (equal to `used` when none is left).
        package var head = 0
        /// Bytes written.
        package var used = 0
        /// Offset of the newest queued record, or -1.
        package var last = -1
        /// Whether no more records will be written here.
        package var sealed = false

        package init(id: UInt16, base: UnsafeMutableRawPointer, capacity: Int) {
            self.id = id
            self.base = base
            self.capacity = capacity
        }

        package var isEmpty: Bool { head == used }
    }

    /// Bytes of one chunk the collector took: the records from `start` to `end`.
    package struct Cut {
        package var chunk: UInt16
        package var start: UnsafeRawPointer
        package var end: UnsafeRawPointer
    }

    package private(set) var segments: [Segment] = []
    /// Records queued.
    package private(set) var count = 0

    /// A chain with room for `segments` chunks, so that taking chunks up to that many allocates
    /// nothing on the logging thread.
    package init(reservingSegments segments: Int = 0) {
        self.segments.reserveCapacity(segments)
    }

    /// Room for a record of `size` bytes in the open chunk: where to write it, the size of the record
    /// before it in the chunk (0 for the first) and the chunk's id; `nil` when it does not fit.
    @inline(__always)
    package mutating func reserve(_ size: Int) -> (pointer: UnsafeMutableRawPointer, previous: Int, chunk: UInt16)? {
        let index = segments.count - 1
        guard index >= 0 else { return nil }
        return segments.withUnsafeMutableBufferPointer { segments in
            let used = segments[index].used
            guard !segments[index].sealed, segments[index].capacity - used >= size else { return nil }
            let last = segments[index].last
            segments[index].used = used + size
            segments[index].last = used
            count += 1
            return (segments[index].base + used, last >= 0 ? used - last : 0, segments[index].id)
        }
    }

    /// The free space of the open chunk, for writing a record before knowing its size: where it would
    /// go, how many bytes are left, the size of the record before it and the chunk's id. Follow a
    /// successful write with ``commit(_:)``.
    @inline(__always)
    package func openSpace() -> (pointer: UnsafeMutableRawPointer, available: Int, previous: Int, chunk: UInt16)? {
        guard let segment = segments.last, !segment.sealed else { return nil }
        return (
            segment.base + segment.used, segment.capacity - segment.used,
            segment.last >= 0 ? segment.used - segment.last : 0, segment.id
        )
    }

    /// Keeps the record of `size` bytes just written into ``openSpace()``.
    @inline(__always)
    package mutating func commit(_ size: Int) {
        let index = segments.count - 1
        segments.withUnsafeMutableBufferPointer { segments in
            segments[index].last = segments[index].used
            segments[index].used += size
        }
        count += 1
    }

    /// Seals the open chunk and opens `grant`. Returns the sealed chunk's id if it held nothing
    /// queued (it leaves the chain).
    package mutating func open(_ grant: ChunkStore.Grant) -> UInt16? {
        let left = sealLast()
        segments.append(Segment(id: grant.id, base: grant.base, capacity: grant.capacity))
        return left
    }

    /// Seals the open chunk (after a jumbo record, which gets a chunk of its own). Returns its id if
    /// it held nothing queued.
    @discardableResult
    package mutating func sealLast() -> UInt16? {
        guard let index = segments.indices.last else { return nil }
        segments[index].sealed = true
        guard segments[index].isEmpty else { return nil }
        return segments.removeLast().id
    }

    /// The oldest queued record.
    package var first: UnsafeMutableRawPointer? {
        guard count > 0 else { return nil }
        let segment = segments[0]
        return segment.base + segment.head
    }

    /// The newest queued record.
    package var last: UnsafeMutableRawPointer? {
        guard count > 0 else { return nil }
        for segment in segments.reversed() where segment.last >= 0 {
            return segment.base + segment.last
        }
        return nil
    }

    /// Drops the oldest queued record. Returns the id of a chunk that left the chain.
    @discardableResult
    package mutating func removeFirst() -> UInt16? {
        guard count > 0 else { return nil }
        let record = segments[0].base + segments[0].head
        let size = Int(record.loadUnaligned(fromByteOffset: RecordLayout.sizeOffset, as: UInt32.self))
        if segments[0].last == segments[0].head {
            segments[0].last = -1
        }
        segments[0].head += size
        count -= 1
        guard segments[0].isEmpty, segments[0].sealed else { return nil }
        return segments.removeFirst().id
    }

    /// Drops the newest queued record. Returns the id of a chunk that left the chain.
    @discardableResult
    package mutating func removeLast() -> UInt16? {
        guard count > 0, let index = segments.lastIndex(where: { $0.last >= 0 }) else { return nil }
        let offset = segments[index].last
        let previous = Int(
            segments[index].base.loadUnaligned(fromByteOffset: offset + RecordLayout.previousOffset, as: UInt32.self))
        segments[index].used = offset
        segments[index].last = previous > 0 && offset - previous >= segments[index].head ? offset - previous : -1
        count -= 1
        guard segments[index].isEmpty, segments[index].sealed else { return nil }
        return segments.remove(at: index).id
    }

    /// Takes every queued record: appends their byte ranges to `cuts` and the ids of chunks that
    /// leave the chain to `left`. The open chunk stays, to be written after what was taken.
    package mutating func cut(into cuts: inout [Cut], leaving left: inout [UInt16]) {
        guard count > 0 else { return }
        for index in segments.indices where !segments[index].isEmpty {
            let segment = segments[index]
            cuts.append(
                Cut(
                    chunk: segment.id, start: UnsafeRawPointer(segment.base + segment.head),
                    end: UnsafeRawPointer(segment.base + segment.used)))
            segments[index].head = segment.used
            segments[index].last = -1
        }
        for segment in segments where segment.sealed {
            left.append(segment.id)
        }
        segments.removeAll { $0.sealed }
        count = 0
    }

    /// Discards everything, the open chunk included (shutdown). Returns how many records were queued.
    package mutating func removeAll(leaving left: inout [UInt16]) -> Int {
        let discarded = count
        left.append(contentsOf: segments.map(\.id))
        segments.removeAll()
        count = 0
        return discarded
    }
}
