/// How producers, timers, flushes and shutdown reach the collector: a channel of
/// ``CollectorEvent``s with one reader.
///
/// Wake-ups that carry nothing (records arrived, a batch is ready, pressure, timer ticks, a flush
/// level) are flags: one pending of each at most, set again only after the collector took it, so a
/// producer's wake-up never allocates and a busy collector never finds a backlog of wake-ups.
/// Flush and reopen barriers and the shutdown keep their order. A waiting collector is resumed
/// directly; the resumption runs on the collector's own executor, so waking it allocates nothing
/// either (an `AsyncStream` allocates on the producer's thread each time it resumes its reader).
///
/// Barriers and the shutdown are read before any flag, so a steady stream of wake-ups (producers
/// completing batches all the time) can never hold them back. Reading a flag after a barrier it was
/// set before changes nothing: the collector takes everything queued at a barrier, and reads how
/// many records are pending when it handles a wake-up.
//
// @unchecked Sendable is safe: every mutable property is read and written only between
// `lock.lock()` and `lock.unlock()`; the continuation is resumed after the lock is released.
package final class CollectorEvents: @unchecked Sendable {
    private let lock = Lock()
    /// Pending wake-ups, one bit each (see `Self.flag(for:)`).
    private var flags: UInt8 = 0
    /// Pending barriers and the shutdown, in order.
    private var ordered: [CollectorEvent] = []
    /// The collector, waiting in ``next(isolation:)``.
    private var reader: UnsafeContinuation<CollectorEvent?, Never>?
    private var finished = false

    package init() {
        ordered.reserveCapacity(4)
    }

    /// Tells the collector about `event`. Does nothing once ``finish()`` was called.
    package func yield(_ event: CollectorEvent) {
        lock.lock()
        guard !finished else {
            lock.unlock()
            return
        }
        if let reader {
            self.reader = nil
            lock.unlock()
            reader.resume(returning: event)
            return
        }
        if let flag = Self.flag(for: event) {
            flags |= flag
        } else {
            ordered.append(event)
        }
        lock.unlock()
    }

    /// No more events: what is pending is still read, then ``next(isolation:)`` returns `nil`.
    package func finish() {
        lock.lock()
        finished = true
        let reader = reader
        self.reader = nil
        lock.unlock()
        reader?.resume(returning: nil)
    }

    /// The next event, waiting for one; `nil` after ``finish()`` once nothing is pending. One reader
    /// at a time.
    package func next(isolation: isolated (any Actor)? = #isolation) async -> CollectorEvent? {
        await withUnsafeContinuation(isolation: isolation) { continuation in
            lock.lock()
            if let event = takeLocked() {
                lock.unlock()
                continuation.resume(returning: event)
                return
            }
            if finished {
                lock.unlock()
                continuation.resume(returning: nil)
                return
            }
            precondition(reader == nil, "internal inconsistency: two readers of the collector's events")
            reader = continuation
            lock.unlock()
        }
    }

    /// The next event if one is pending, without waiting.
    package func poll() -> CollectorEvent? {
        lock.withLock { takeLocked() }
    }

    private func takeLocked() -> CollectorEvent? {
        if !ordered.isEmpty {
            return ordered.removeFirst()
        }
        if flags != 0 {
            // The lowest bit first: pressure before ordinary wake-ups before timers.
            let bit = flags & (~flags &+ 1)
            flags &= ~bit
            return Self.event(for: bit)
        }
        return nil
    }

    private static func flag(for event: CollectorEvent) -> UInt8? {
        switch event {
        case .pressure: 1 << 0
        case .batchReady: 1 << 1
        case .recordsAvailable: 1 << 2
        case .flushOnLevel: 1 << 3
        case .tick: 1 << 4
        case .stageTick: 1 << 5
        case .flush, .reopen, .shutdown: nil
        }
    }

    private static func event(for flag: UInt8) -> CollectorEvent {
        switch flag {
        case 1 << 0: .pressure
        case 1 << 1: .batchReady
        case 1 << 2: .recordsAvailable
        case 1 << 3: .flushOnLevel
        case 1 << 4: .tick
        default: .stageTick
        }
    }
}
