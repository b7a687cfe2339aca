import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The stripes of a pipeline's queue, each with its own mutex, each on cache lines of its own.
///
/// A thread always uses the same stripe (threads are numbered on their first log call and spread
/// round-robin), so records from one thread keep their order within one stripe, and two threads
/// running at the same time rarely meet on a lock: there are four stripes per processor.
//
// @unchecked Sendable is safe: the memory is allocated once in `init` and freed in `deinit`; each
// stripe's struct is only read or written between `lock(_:)` and `unlock(_:)` of its own mutex,
// which is initialised once and never moved.
package final class RecordStripes: @unchecked Sendable {
    package let count: Int
    private let memory: UnsafeMutableRawPointer
    private let stride: Int
    private static let mutexOffset = 0
    private static let stripeOffset = 64

    /// `segmentsPerChain`: how many chunks each stripe's chains have room for from the start (the
    /// most the queue's byte limit allows, up to a cap), so that a log call never grows them.
    package init(count: Int, segmentsPerChain: Int = 0) {
        precondition(count > 0 && count & (count - 1) == 0, "internal inconsistency: stripe count \(count)")
        self.count = count
        precondition(MemoryLayout<pthread_mutex_t>.size <= Self.stripeOffset, "internal inconsistency: mutex size")
        stride = (Self.stripeOffset + MemoryLayout<RecordStripe>.stride + 127) & ~127
        memory = .allocate(byteCount: stride * count, alignment: 128)
        for index in 0..<count {
            let slot = memory + index * stride
            let mutex = (slot + Self.mutexOffset).bindMemory(to: pthread_mutex_t.self, capacity: 1)
            mutex.initialize(to: pthread_mutex_t())
            let rc = pthread_mutex_init(mutex, nil)
            precondition(rc == 0, "internal inconsistency: pthread_mutex_init failed with \(rc)")
            (slot + Self.stripeOffset).bindMemory(to: RecordStripe.self, capacity: 1).initialize(
                to: RecordStripe(reservingSegments: segmentsPerChain))
        }
    }

    deinit {
        for index in 0..<count {
            pthread_mutex_destroy(mutex(index))
            self[index].deinitialize(count: 1)
        }
        memory.deallocate()
    }

    /// The stripes a pipeline uses on this machine: four per processor, a power of two, 4...64.
    package static var defaultCount: Int {
        let processors = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var count = 4
        while count < processors * 4 && count < 64 {
            count *= 2
        }
        return count
    }

    @inline(__always)
    private func mutex(_ index: Int) -> UnsafeMutablePointer<pthread_mutex_t> {
        (memory + index * stride + Self.mutexOffset).assumingMemoryBound(to: pthread_mutex_t.self)
    }

    /// The stripe at `index`; use it only between ``lock(_:)`` and ``unlock(_:)``.
    @inline(__always)
    package subscript(index: Int) -> UnsafeMutablePointer<RecordStripe> {
        (memory + index * stride + Self.stripeOffset).assumingMemoryBound(to: RecordStripe.self)
    }

    @inline(__always)
    package func lock(_ index: Int) {
        pthread_mutex_lock(mutex(index))
    }

    @inline(__always)
    package func unlock(_ index: Int) {
        pthread_mutex_unlock(mutex(index))
    }

    /// Locks every stripe, in order (callers that also hold the queue's lock take it first).
    package func lockAll() {
        for index in 0..<count {
            lock(index)
        }
    }

    package func unlockAll() {
        for index in 0..<count {
            unlock(index)
        }
    }

    /// The stripe of the calling thread.
    @inline(__always)
    package var current: Int {
        ThreadOrdinal.current & (count - 1)
    }
}

/// A number for each thread that logs, assigned on its first call.
package enum ThreadOrdinal {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key, nil)
        precondition(rc == 0, "internal inconsistency: pthread_key_create failed with \(rc)")
        return key
    }()
    private static let next = Atomic<Int>(0)

    @inline(__always)
    package static var current: Int {
        if let stored = pthread_getspecific(key) {
            return Int(bitPattern: stored) &- 1
        }
        return assign()
    }

    @inline(never)
    private static func assign() -> Int {
        let ordinal = next.add(1, ordering: .relaxed).oldValue
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: ordinal &+ 1))
        return ordinal
    }
}
