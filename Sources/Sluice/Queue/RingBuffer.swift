/// A growable FIFO ring with O(1) append, pop at both ends and bulk removal from the front.
///
/// Storage grows by doubling up to whatever the owner allows and shrinks back when it empties after a
/// burst, so an idle pipeline does not keep a burst's memory. Not thread-safe: the queue uses it only
/// under its lock.
package struct RingBuffer<Element>: ~Copyable {
    private var storage: UnsafeMutablePointer<Element>
    private var capacity: Int
    private var head = 0
    private let minimumCapacity: Int
    package private(set) var count = 0

    package init(initialCapacity: Int) {
        minimumCapacity = max(initialCapacity, 4)
        capacity = minimumCapacity
        storage = .allocate(capacity: capacity)
    }

    deinit {
        let firstRun = min(count, capacity - head)
        (storage + head).deinitialize(count: firstRun)
        storage.deinitialize(count: count - firstRun)
        storage.deallocate()
    }

    package var isEmpty: Bool { count == 0 }

    private func slot(_ offset: Int) -> Int {
        let index = head + offset
        return index < capacity ? index : index - capacity
    }

    package mutating func append(_ element: consuming Element) {
        if count == capacity {
            resize(to: capacity * 2)
        }
        (storage + slot(count)).initialize(to: element)
        count += 1
    }

    package mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = (storage + head).move()
        head = slot(1)
        count -= 1
        shrinkIfIdle()
        return element
    }

    package mutating func popLast() -> Element? {
        guard count > 0 else { return nil }
        let element = (storage + slot(count - 1)).move()
        count -= 1
        shrinkIfIdle()
        return element
    }

    /// Reads the oldest element without removing it.
    package func withFirst<R>(_ body: (borrowing Element) -> R) -> R? {
        guard count > 0 else { return nil }
        return body(storage[head])
    }

    /// Moves up to `limit` elements from the front onto the end of `array`, oldest first.
    package mutating func moveFront(_ limit: Int, into array: inout [Element]) {
        let n = min(limit, count)
        guard n > 0 else { return }
        let firstRun = min(n, capacity - head)
        array.reserveCapacity(array.count + n)
        for offset in 0..<firstRun {
            array.append((storage + head + offset).move())
        }
        for offset in 0..<(n - firstRun) {
            array.append((storage + offset).move())
        }
        head = slot(n)
        count -= n
        shrinkIfIdle()
    }

    package mutating func removeAll() {
        while count > 0 {
            (storage + head).deinitialize(count: 1)
            head = slot(1)
            count -= 1
        }
        head = 0
    }

    private mutating func shrinkIfIdle() {
        if count == 0 {
            head = 0
            if capacity > minimumCapacity * 4 {
                storage.deallocate()
                capacity = minimumCapacity
                storage = .allocate(capacity: capacity)
            }
        }
    }

    private mutating func resize(to newCapacity: Int) {
        let newStorage = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        let firstRun = min(count, capacity - head)
        (newStorage).moveInitialize(from: storage + head, count: firstRun)
        (newStorage + firstRun).moveInitialize(from: storage, count: count - firstRun)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
        head = 0
    }
}
