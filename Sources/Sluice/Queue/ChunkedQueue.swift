/// A FIFO kept as a list of arrays ("chunks") of up to one batch each.
///
/// Producers append to the last chunk; the collector takes the first chunk whole, and it becomes the
/// batch the sinks receive, so records are never copied between the queue and the sinks. Emptied
/// arrays come back for reuse, so a steady stream allocates nothing per batch.
///
/// Removing the oldest element (the `dropOldest` policy) only advances an offset into the first
/// chunk; the element is released when that chunk is taken or emptied. Not thread-safe: the queue
/// uses it under its lock.
package struct ChunkedQueue<Element> {
    package let chunkSize: Int
    private var chunks: [[Element]] = []
    /// Elements at the start of `chunks[0]` that were removed but not yet released.
    private var head = 0
    private var spares: [[Element]] = []
    private let maximumSpares: Int
    package private(set) var count = 0

    package init(chunkSize: Int, maximumSpares: Int = 16) {
        precondition(chunkSize > 0, "internal inconsistency: chunk size must be positive")
        self.chunkSize = chunkSize
        self.maximumSpares = maximumSpares
    }

    package var isEmpty: Bool { count == 0 }

    /// Whether the oldest chunk holds a whole chunk's worth of elements (a full batch).
    package var firstChunkIsFull: Bool {
        !chunks.isEmpty && chunks[0].count - head >= chunkSize
    }

    package mutating func append(_ element: consuming Element) {
        if chunks.isEmpty || chunks[chunks.count - 1].count >= chunkSize {
            chunks.append(newChunk())
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }

    /// Reads the oldest element without removing it.
    package func withFirst<R>(_ body: (borrowing Element) -> R) -> R? {
        guard count > 0 else { return nil }
        return body(chunks[0][head])
    }

    /// Removes the oldest element; returns false when empty.
    @discardableResult
    package mutating func removeFirst() -> Bool {
        guard count > 0 else { return false }
        head += 1
        count -= 1
        if head == chunks[0].count {
            recycle(chunks.removeFirst())
            head = 0
        }
        return true
    }

    /// Removes and returns the oldest element.
    package mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = chunks[0][head]
        removeFirst()
        return element
    }

    /// Removes the newest element; returns false when empty.
    @discardableResult
    package mutating func removeLast() -> Bool {
        guard count > 0 else { return false }
        let last = chunks.count - 1
        chunks[last].removeLast()
        count -= 1
        if chunks[last].count == (last == 0 ? head : 0) {
            recycle(chunks.removeLast())
            if chunks.isEmpty {
                head = 0
            }
        }
        return true
    }

    /// Removes the oldest `min(limit, count)` elements and returns them. When the oldest chunk is
    /// whole and no larger than `limit` (the common case) it is handed over uncopied; a chunk that
    /// lost elements at its front is topped up from the next one.
    package mutating func takeChunk(upTo limit: Int) -> [Element] {
        guard count > 0, limit > 0 else { return [] }
        var chunk = chunks.removeFirst()
        if head > 0 {
            chunk.removeFirst(head)
            head = 0
        }
        if chunk.count > limit {
            // Hand back what does not fit, to be taken next.
            var rest = newChunk()
            rest.append(contentsOf: chunk[limit...])
            chunk.removeLast(chunk.count - limit)
            chunks.insert(rest, at: 0)
        }
        while chunk.count < limit && !chunks.isEmpty {
            let n = min(limit - chunk.count, chunks[0].count - head)
            chunk.append(contentsOf: chunks[0][head..<(head + n)])
            head += n
            if head == chunks[0].count {
                recycle(chunks.removeFirst())
                head = 0
            }
        }
        count -= chunk.count
        return chunk
    }

    /// Releases every element.
    package mutating func removeAll() {
        while let chunk = chunks.popLast() {
            recycle(chunk)
        }
        head = 0
        count = 0
    }

    /// Offers an emptied array (a batch the sinks are done with) for reuse.
    package mutating func donate(_ array: [Element]) {
        if array.capacity >= chunkSize && spares.count < maximumSpares {
            spares.append(array)
        }
    }

    private mutating func newChunk() -> [Element] {
        if let spare = spares.popLast() {
            return spare
        }
        var chunk: [Element] = []
        chunk.reserveCapacity(chunkSize)
        return chunk
    }

    private mutating func recycle(_ chunk: consuming [Element]) {
        var chunk = chunk
        chunk.removeAll(keepingCapacity: true)
        donate(chunk)
    }
}
