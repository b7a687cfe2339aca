import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The signal state shared by the signal thread, the main thread (which starts and waits for the
/// program) and a `--kill-after` timer: a ``SignalStateMachine`` under a lock, and a condition
/// that wakes a thread waiting for a stop or for the program's exit.
//
// @unchecked Sendable is safe: `state` is only read or written with `lock` held (every method takes
// it); `lock` and `condition` are thread-safe classes and never replaced.
final class Supervision: @unchecked Sendable {
    private let lock = Lock()
    private let condition = Condition()
    private var state: SignalStateMachine

    init(mode: SignalStateMachine.Mode) {
        state = SignalStateMachine(mode: mode)
    }

    /// Runs `body` on the state under the lock and wakes every waiter.
    func update<T>(_ body: (inout SignalStateMachine) -> T) -> T {
        let result = lock.withLock { body(&state) }
        condition.broadcast()
        return result
    }

    var stopSignal: Int32? { lock.withLock { state.stopSignal } }

    /// Waits until `deadline` or until a stop is requested; returns whether one was.
    func waitForStop(until deadline: ContinuousClock.Instant) -> Bool {
        let monotonic = MonotonicTime.nanoseconds(at: deadline)
        lock.lock()
        defer { lock.unlock() }
        while state.stopSignal == nil && MonotonicTime.nanoseconds() < monotonic {
            condition.wait(lock, untilMonotonicNanoseconds: monotonic)
        }
        return state.stopSignal != nil
    }

    /// Waits until `deadline` or until `pid` is no longer the running program; returns whether it
    /// still is.
    func waitWhileRunning(_ pid: pid_t, until deadline: ContinuousClock.Instant) -> Bool {
        let monotonic = MonotonicTime.nanoseconds(at: deadline)
        lock.lock()
        defer { lock.unlock() }
        while state.child == pid && MonotonicTime.nanoseconds() < monotonic {
            condition.wait(lock, untilMonotonicNanoseconds: monotonic)
        }
        return state.child == pid
    }

    /// Sends SIGKILL to `pid` while it is still the running (unreaped) program, so the signal
    /// cannot reach a process that reused its number.
    func killIfRunning(_ pid: pid_t) {
        lock.withLock {
            if state.child == pid {
                kill(pid, SIGKILL)
            }
        }
    }

    /// Forwards `signal` to `pid` while it is still the running (unreaped) program.
    func forward(_ signal: Int32, to pid: pid_t) {
        lock.withLock {
            if state.child == pid {
                kill(pid, signal)
            }
        }
    }
}
