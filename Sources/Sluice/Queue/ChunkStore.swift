/// The memory records are written into: chunks of 64 KiB, reused, within a byte limit.
///
/// A stripe's chain takes a chunk when its open one is full; a record larger than a chunk gets a
/// chunk of its own size ("jumbo"). A chunk comes back once it has left its chain (every record in
/// it was taken or evicted, and no more are written to it) and every record taken from it was
/// released by the batch that carried it. Normal chunks are kept and reused, most recently freed
/// first, so a steady stream touches the same few chunks and allocates nothing; only jumbo chunks
/// are freed (by whichever thread releases them last).
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

    package init(chunkSize: Int = 64 * 1024, byteLimit: Int) {
        self.chunkSize = chunkSize
        self.byteLimit = byteLimit
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
    /// `waiting`, waits for room instead (for the `block` policy; the caller holds no other lock),
    /// unless the store was closed or no chunk could ever be that large. `allowance` lets the
    /// collector's stages go that many bytes over the limit, so a record that must be rewritten (to
    /// redact it) does not have to wait for memory the sinks have not given back yet.
    package func take(atLeast bytes: Int, waiting: Bool = false, allowance: Int = 0) -> Grant? {
        lock.withLock {
            while true {
                if let grant = takeLocked(atLeast: bytes, allowance: allowance) {
                    return grant
                }
                guard waiting, !closed, Self.roundedSize(bytes, chunkSize: chunkSize) <= byteLimit else {
                    return nil
                }
                waiters += 1
                freed.wait(lock)
                waiters -= 1
            }
        }
    }

    /// Gives back a chunk taken but not used.
    package func giveBack(_ grant: Grant) {
        lock.withLock {
            chunks[Int(grant.id)].leftChain = true
            recycleIfDone(grant.id)
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

    /// The collector took records from these chunks; they stay there until released. Called while the
    /// stripes are still locked, so no eviction can let a chunk go before its taken bytes count.
    package func taken(_ runs: some Sequence<ChunkRun>, leaving left: some Sequence<UInt16>) {
        lock.withLock {
            for run in runs {
                chunks[Int(run.chunk)].pending += run.bytes
            }
            for id in left {
                chunks[Int(id)].leftChain = true
                recycleIfDone(id)
            }
        }
    }

    /// Chains let go of these chunks (emptied by eviction or discarded).
    package func leftChain(_ ids: some Sequence<UInt16>) {
        lock.withLock {
            for id in ids {
                chunks[Int(id)].leftChain = true
                recycleIfDone(id)
            }
        }
    }

    /// The records of `runs` were released by their batch.
    package func release(_ runs: some Sequence<ChunkRun>) {
        lock.withLock {
            for run in runs {
                chunks[Int(run.chunk)].pending -= run.bytes
                precondition(chunks[Int(run.chunk)].pending >= 0, "internal inconsistency: chunk released twice")
                recycleIfDone(run.chunk)
            }
        }
    }

    private func recycleIfDone(_ id: UInt16) {
        let chunk = chunks[Int(id)]
        guard chunk.leftChain && chunk.pending == 0, let base = chunk.base else { return }
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
