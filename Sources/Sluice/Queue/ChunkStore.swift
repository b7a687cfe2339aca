/// The memory records are written into: chunks of 64 KiB, reused, within a byte limit.
///
/// A stripe's chain takes a chunk when its open one is full; a record larger than a chunk gets a
/// chunk of its own size ("jumbo"). A chunk comes back once it has left its chain (every record in
/// it was taken or evicted, and no more are written to it) and every record taken from it was
/// released by the batch that carried it. Normal chunks are kept and reused, most recently freed
/// first, so a steady stream touches the same few chunks and allocates nothing; only jumbo chunks
/// are freed (by whichever thread releases them last).
///
/// The collector keeps free chunks ready (``replenish(spare:)``): a few, and more as the backlog
/// deepens (half as many as hold records), so a logging thread whose chunk is full takes one rather
/// than allocating it. A logging thread allocates only when a burst outruns the collector, and never
/// more than the byte limit allows over the store's lifetime. Memory made ready and never written
/// costs address space, not resident memory.
//
// @unchecked Sendable is safe: every mutable property is guarded by `lock`; `chunkSize` and
// `byteLimit` are immutable. Chunk memory itself is written by one producer under its stripe's lock
// and read after the collector took it under the same lock; the store only hands it out and back.
package final class ChunkStore: @unchecked Sendable {
    /// The size of a normal chunk.
    package let chunkSize: Int
    /// The most bytes all chunks may take together.
    package let byteLimit: Int
    /// The most chunks that can exist at once (ids are 16 bits).
    package static let maximumChunks = Int(UInt16.max)

    private struct Chunk {
        var base: UnsafeMutableRawPointer?
        var size = 0
        /// Bytes of records taken from the chunk whose batch has not been released yet.
        var pending = 0
        /// Whether the chunk's chain let go of it.
        var leftChain = false
        var isJumbo = false
    }

    private let lock = Lock()
    private let freed = Condition()
    private var chunks: [Chunk] = []
    private var free: [UInt16] = []
    private var freeIDs: [UInt16] = []
    private var allocatedBytes = 0
    private var waiters = 0
    private var closed = false
    /// Called (without the lock) when memory came back, for callers suspended rather than parked.
    private let memoryFreed: (@Sendable () -> Void)?

    package init(chunkSize: Int = 64 * 1024, byteLimit: Int, memoryFreed: (@Sendable () -> Void)? = nil) {
        self.chunkSize = chunkSize
        self.byteLimit = byteLimit
        self.memoryFreed = memoryFreed
        // Room for the bookkeeping of every normal chunk the limit allows (up to a cap), so that a
        // logging thread taking a new chunk, or a sink thread giving one back, never grows an array.
        let expected = min(byteLimit / max(chunkSize, 1) + 16, 4_096, Self.maximumChunks)
        chunks.reserveCapacity(expected)
        free.reserveCapacity(expected)
        freeIDs.reserveCapacity(expected)
    }

    deinit {
        for chunk in chunks {
            chunk.base?.deallocate()
        }
    }

    /// A chunk handed to a chain.
    package struct Grant {
        package var id: UInt16
        package var base: UnsafeMutableRawPointer
        package var capacity: Int
    }

    /// A chunk that holds at least `bytes`, or `nil` when the byte limit leaves no room for it. With
    /// `waiting`, waits for room instead (for the `block` policies; the caller holds no other lock),
    /// until `deadline` (monotonic nanoseconds) if given, unless the store was closed or no chunk
    /// could ever be that large. `allowance` lets the collector's stages go that many bytes over the
    /// limit, so a record that must be rewritten (to redact it) does not have to wait for memory the
    /// sinks have not given back yet.
    package func take(
        atLeast bytes: Int, waiting: Bool = false, deadline: UInt64? = nil, allowance: Int = 0
    ) -> Grant? {
        lock.withLock {
            while true {
                if let grant = takeLocked(atLeast: bytes, allowance: allowance) {
                    return grant
                }
                guard waiting, !closed, Self.roundedSize(bytes, chunkSize: chunkSize) <= byteLimit else {
                    return nil
                }
                waiters += 1
                if let deadline {
                    guard MonotonicTime.nanoseconds() < deadline else {
                        waiters -= 1
                        return nil
                    }
                    freed.wait(lock, untilMonotonicNanoseconds: deadline)
                } else {
                    freed.wait(lock)
                }
                waiters -= 1
            }
        }
    }

    /// Whether a record of `bytes` could ever get a chunk (it is not larger than the byte limit).
    package func canEverHold(_ bytes: Int) -> Bool {
        Self.roundedSize(bytes, chunkSize: chunkSize) <= byteLimit
    }

    /// Gives back a chunk taken but not used.
    package func giveBack(_ grant: Grant) {
        let recycled = lock.withLock {
            chunks[Int(grant.id)].leftChain = true
            return recycleIfDone(grant.id)
        }
        if recycled {
            memoryFreed?()
        }
    }

    /// Stops waiting producers for good (shutdown): they get no chunk and drop their record.
    package func close() {
        lock.withLock {
            closed = true
            freed.broadcast()
        }
    }

    /// Whether the store was closed (shutdown).
    package var isClosed: Bool {
        lock.withLock { closed }
    }

    private static func roundedSize(_ bytes: Int, chunkSize: Int) -> Int {
        bytes <= chunkSize ? chunkSize : (bytes + 4095) & ~4095
    }

    private func takeLocked(atLeast bytes: Int, allowance: Int) -> Grant? {
        if bytes <= chunkSize {
            if let id = free.popLast() {
                chunks[Int(id)].leftChain = false
                return Grant(id: id, base: chunks[Int(id)].base!, capacity: chunkSize)
            }
            return allocate(size: chunkSize, isJumbo: false, allowance: allowance)
        }
        return allocate(size: Self.roundedSize(bytes, chunkSize: chunkSize), isJumbo: true, allowance: allowance)
    }

    private func allocate(size: Int, isJumbo: Bool, allowance: Int) -> Grant? {
        if isJumbo && allocatedBytes - free.count * chunkSize <= byteLimit + allowance - size {
            // Free normal chunks (kept for reuse) give their memory up to a record that needs it,
            // those the collector made ready and nobody wrote into first.
            while allocatedBytes > byteLimit + allowance - size {
                let id = free.removeFirst()
                chunks[Int(id)].base?.deallocate()
                chunks[Int(id)] = Chunk()
                freeIDs.append(id)
                allocatedBytes -= chunkSize
            }
        }
        guard allocatedBytes <= byteLimit + allowance - size else { return nil }
        let id: UInt16
        if let reused = freeIDs.popLast() {
            id = reused
        } else {
            guard chunks.count < Self.maximumChunks else { return nil }
            id = UInt16(chunks.count)
            chunks.append(Chunk())
        }
        let base = UnsafeMutableRawPointer.allocate(byteCount: size + RecordLayout.readSlack, alignment: 64)
        chunks[Int(id)] = Chunk(base: base, size: size, isJumbo: isJumbo)
        allocatedBytes += size
        return Grant(id: id, base: base, capacity: size)
    }

    /// Allocates free chunks until `spare` (or half as many as hold records, if more) are free or
    /// the byte limit is reached, on the calling thread (the collector's, after each take), so that
    /// logging threads find chunks ready. Only a backlog deeper than the store ever held makes it
    /// allocate. Returns how many it allocated.
    @discardableResult
    package func replenish(spare: Int) -> Int {
        var added = 0
        while true {
            let allocated = lock.withLock {
                let inUse = allocatedBytes / chunkSize - free.count
                guard free.count < max(spare, inUse / 2), !closed,
                    let grant = allocate(size: chunkSize, isJumbo: false, allowance: 0)
                else { return false }
                chunks[Int(grant.id)].leftChain = true
                // Below the recently freed ones, which are taken first while their memory is warm.
                free.insert(grant.id, at: 0)
                if waiters > 0 {
                    freed.broadcast()
                }
                return true
            }
            guard allocated else { break }
            added += 1
        }
        if added > 0 {
            memoryFreed?()
        }
        return added
    }

    /// The collector took records from these chunks; they stay there until released. Called while the
    /// stripes are still locked, so no eviction can let a chunk go before its taken bytes count.
    package func taken(_ runs: some Sequence<ChunkRun>, leaving left: some Sequence<UInt16>) {
        let recycled = lock.withLock {
            for run in runs {
                chunks[Int(run.chunk)].pending += run.bytes
            }
            var recycled = false
            for id in left {
                chunks[Int(id)].leftChain = true
                recycled = recycleIfDone(id) || recycled
            }
            return recycled
        }
        if recycled {
            memoryFreed?()
        }
    }

    /// Chains let go of these chunks (emptied by eviction or discarded).
    package func leftChain(_ ids: some Sequence<UInt16>) {
        let recycled = lock.withLock {
            var recycled = false
            for id in ids {
                chunks[Int(id)].leftChain = true
                recycled = recycleIfDone(id) || recycled
            }
            return recycled
        }
        if recycled {
            memoryFreed?()
        }
    }

    /// The records of `runs` were released by their batch.
    package func release(_ runs: some Sequence<ChunkRun>) {
        let recycled = lock.withLock {
            var recycled = false
            for run in runs {
                chunks[Int(run.chunk)].pending -= run.bytes
                precondition(chunks[Int(run.chunk)].pending >= 0, "internal inconsistency: chunk released twice")
                recycled = recycleIfDone(run.chunk) || recycled
            }
            return recycled
        }
        if recycled {
            memoryFreed?()
        }
    }

    /// Recycles the chunk if its chain and every batch let go of it; returns whether it did.
    @discardableResult
    private func recycleIfDone(_ id: UInt16) -> Bool {
        let chunk = chunks[Int(id)]
        guard chunk.leftChain && chunk.pending == 0, let base = chunk.base else { return false }
        if chunk.isJumbo {
            base.deallocate()
            allocatedBytes -= chunk.size
            chunks[Int(id)] = Chunk()
            freeIDs.append(id)
        } else {
            free.append(id)
        }
        if waiters > 0 {
            freed.broadcast()
        }
        return true
    }

    /// Bytes of chunk memory allocated now.
    package var bytesAllocated: Int {
        lock.withLock { allocatedBytes }
    }

    /// Bytes in chunks that hold records or are open for writing.
    package var bytesInUse: Int {
        lock.withLock { allocatedBytes - free.count * chunkSize }
    }
}

/// Bytes of records taken from one chunk.
package struct ChunkRun: Sendable, Equatable {
    package var chunk: UInt16
    package var bytes: Int

    package init(chunk: UInt16, bytes: Int) {
        self.chunk = chunk
        self.bytes = bytes
    }
}
