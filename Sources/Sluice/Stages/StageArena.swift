/// Where the collector's stages write records: rewritten ones (redacted, transformed, marked) and
/// their own (summaries). It takes chunks from the pipeline's ``ChunkStore``, so those records live
/// and go back exactly like the ones log calls wrote: a batch that carries them releases their
/// bytes, and a chunk is reused once the arena moved on from it and every record in it was released.
///
/// A plain struct the stage runner owns. Records written since the last ``commit()`` are counted in
/// their chunks only then, so commit before any batch holding them can be released.
package struct StageArena {
    private let chunks: ChunkStore
    /// How far over the store's byte limit the arena may go (two chunks), so a record that must be
    /// rewritten does not wait for memory the sinks have not given back yet.
    private let allowance: Int
    private var current: ChunkStore.Grant?
    private var used = 0
    /// Bytes written to `current` since the last commit.
    private var uncommitted = 0
    private var runs: [ChunkRun] = []
    private var left: [UInt16] = []

    package init(chunks: ChunkStore) {
        self.chunks = chunks
        allowance = 2 * chunks.chunkSize
    }

    /// Room for a record of `size` bytes (a multiple of 8): where to write it and its chunk's id, or
    /// `nil` when no memory is left even with the allowance.
    package mutating func reserve(_ size: Int) -> (pointer: UnsafeMutableRawPointer, chunk: UInt16)? {
        if current == nil || current!.capacity - used < size {
            seal()
            guard let grant = chunks.take(atLeast: size, allowance: allowance) else { return nil }
            current = grant
            used = 0
        }
        guard let current else { return nil }
        let pointer = current.base + used
        used += size
        uncommitted += size
        return (pointer, current.id)
    }

    /// Moves on from the current chunk: it goes back to the store once its records are released.
    private mutating func seal() {
        guard let current else { return }
        if uncommitted > 0 {
            runs.append(ChunkRun(chunk: current.id, bytes: uncommitted))
        }
        left.append(current.id)
        uncommitted = 0
        self.current = nil
    }

    /// Counts what was written since the last commit in its chunks, and lets go of the chunks the
    /// arena moved on from.
    package mutating func commit() {
        if let current, uncommitted > 0 {
            runs.append(ChunkRun(chunk: current.id, bytes: uncommitted))
            uncommitted = 0
        }
        guard !runs.isEmpty || !left.isEmpty else { return }
        chunks.taken(runs, leaving: left)
        runs.removeAll(keepingCapacity: true)
        left.removeAll(keepingCapacity: true)
    }

    /// Commits and lets go of the current chunk too (shutdown).
    package mutating func close() {
        seal()
        commit()
    }
}
