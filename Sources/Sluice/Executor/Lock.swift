#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `pthread_mutex_t` on the heap.
///
/// Sluice uses this instead of `Synchronization.Mutex` for two reasons: the record queue needs a
/// condition variable bound to the same mutex (for the `block` overflow policy), and ThreadSanitizer
/// reports false "Swift access race" warnings inside `Mutex.withLock` but none with pthread mutexes,
/// so the TSan run in CI stays meaningful.
//
// @unchecked Sendable is safe: the mutex is allocated once in `init`, never moved, destroyed only in
// `deinit`, and only ever touched through `pthread_mutex_*`, which are thread-safe by contract.
package final class Lock: @unchecked Sendable {
    fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        #if DEBUG
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ERRORCHECK))
        #endif
        let rc = pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        precondition(rc == 0, "internal inconsistency: pthread_mutex_init failed with \(rc)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func lock() {
        let rc = pthread_mutex_lock(mutex)
        precondition(rc == 0, "internal inconsistency: pthread_mutex_lock failed with \(rc)")
    }

    package func unlock() {
        let rc = pthread_mutex_unlock(mutex)
        precondition(rc == 0, "internal inconsistency: pthread_mutex_unlock failed with \(rc)")
    }

    package func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// A `pthread_cond_t` that measures timeouts on the monotonic clock, so wall-clock jumps never
/// shorten or stretch a wait.
//
// @unchecked Sendable is safe for the same reason as `Lock`: heap-allocated once, used only through
// thread-safe pthread calls, always with its lock held as POSIX requires.
package final class Condition: @unchecked Sendable {
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    package init() {
        condition = .allocate(capacity: 1)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if os(Linux)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        let rc = pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        precondition(rc == 0, "internal inconsistency: pthread_cond_init failed with \(rc)")
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Waits until signalled. The caller holds `lock`; spurious wake-ups are possible.
    package func wait(_ lock: Lock) {
        let rc = pthread_cond_wait(condition, lock.mutex)
        precondition(rc == 0, "internal inconsistency: pthread_cond_wait failed with \(rc)")
    }

    /// Waits until signalled or until `deadline` (monotonic nanoseconds) passes.
    /// The caller holds `lock`; spurious wake-ups are possible.
    package func wait(_ lock: Lock, untilMonotonicNanoseconds deadline: UInt64) {
        #if os(Linux)
        var time = timespec(
            tv_sec: Int(deadline / 1_000_000_000),
            tv_nsec: Int(deadline % 1_000_000_000)
        )
        let rc = pthread_cond_timedwait(condition, lock.mutex, &time)
        #else
        let now = MonotonicTime.nanoseconds()
        let delta = deadline > now ? deadline - now : 0
        var time = timespec(tv_sec: Int(delta / 1_000_000_000), tv_nsec: Int(delta % 1_000_000_000))
        let rc = pthread_cond_timedwait_relative_np(condition, lock.mutex, &time)
        #endif
        precondition(rc == 0 || rc == ETIMEDOUT, "internal inconsistency: pthread_cond_timedwait failed with \(rc)")
    }

    package func signal() {
        pthread_cond_signal(condition)
    }

    package func broadcast() {
        pthread_cond_broadcast(condition)
    }
}

/// A value guarded by a `Lock`.
//
// @unchecked Sendable is safe: `value` is only reachable through `withLock`, which holds the lock for
// the whole access, so no two threads ever touch it at the same time.
package final class LockedValue<Value>: @unchecked Sendable {
    private let lock = Lock()
    private var value: Value

    package init(_ value: Value) {
        self.value = value
    }

    package func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Monotonic time in nanoseconds, for deadlines that must not move with the wall clock.
package enum MonotonicTime {
    package static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// The monotonic time at which `deadline` on the continuous clock falls.
    package static func nanoseconds(at deadline: ContinuousClock.Instant) -> UInt64 {
        let now = nanoseconds()
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else {
            // As far in the past as the deadline is, so deadlines already passed keep their order
            // (a timer scheduled late for an earlier deadline still comes first).
            let (seconds, attoseconds) = (.zero - remaining).components
            let past = UInt64(clamping: min(seconds, 1 << 32)) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
            return now - min(now, past)
        }
        let (seconds, attoseconds) = remaining.components
        let delta = UInt64(clamping: min(seconds, 1 << 32)) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
        let (sum, overflow) = now.addingReportingOverflow(delta)
        return overflow ? UInt64.max : sum
    }
}
