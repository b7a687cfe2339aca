#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A serial executor and task executor backed by one thread the pipeline owns, with its own timers.
///
/// The collector actor runs on one of these, and each sink runs on its own. That is what keeps the
/// pipeline draining when every thread of Swift's cooperative pool is busy (or parked by the `block`
/// overflow policy), and what keeps a blocking `write(2)` off the pool. Timers run on the same
/// thread, so batch deadlines, flush timeouts and the shutdown deadline fire even when the pool is
/// saturated.
///
/// The thread exits once ``stop()`` was called and no job or timer is left; a job enqueued after
/// that starts a fresh thread, so no continuation is ever stranded.
//
// @unchecked Sendable is safe: every mutable property is guarded by `lock`; `name` is immutable.
package final class ThreadExecutor: SerialExecutor, TaskExecutor, @unchecked Sendable {
    package let name: String
    /// The pipeline this thread works for (its collector or one of its sinks), or `nil` for a
    /// thread of a sink's own (archiving, timers) that may serve any pipeline.
    package let pipelineID: UInt64?

    private let lock = Lock()
    private let wakeup = Condition()
    // Guarded by `lock`:
    private var jobs: [UnownedJob] = []
    private var timers: [Timer] = []  // sorted by deadline, earliest first
    private var nextTimerID: UInt64 = 0
    private var threadRunning = false
    private var threadSleeping = false
    private var stopRequested = false

    private struct Timer {
        var id: UInt64
        var deadline: UInt64  // monotonic nanoseconds
        var action: @Sendable () -> Void
    }

    /// A handle that cancels a scheduled timer.
    package struct TimerHandle: Sendable {
        fileprivate let id: UInt64
    }

    package init(name: String, pipelineID: UInt64? = nil) {
        self.name = name
        self.pipelineID = pipelineID
        lock.withLock { startThreadLocked() }
    }

    // MARK: Executor

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        lock.lock()
        jobs.append(job)
        let wake = threadSleeping
        if !threadRunning {
            startThreadLocked()
        }
        lock.unlock()
        if wake {
            wakeup.signal()
        }
    }

    package func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    package func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    package func checkIsolated() {
        precondition(isCurrent, "expected to run on Sluice thread '\(name)'")
    }

    /// Whether the calling thread is this executor's thread.
    package var isCurrent: Bool {
        PipelineThread.currentExecutor === self
    }

    // MARK: Timers

    /// Runs `action` on this executor's thread once `deadline` has passed.
    @discardableResult
    package func schedule(
        at deadline: ContinuousClock.Instant,
        _ action: @escaping @Sendable () -> Void
    ) -> TimerHandle {
        let monotonicDeadline = MonotonicTime.nanoseconds(at: deadline)
        lock.lock()
        nextTimerID &+= 1
        let timer = Timer(id: nextTimerID, deadline: monotonicDeadline, action: action)
        let index = timers.firstIndex { $0.deadline > monotonicDeadline } ?? timers.endIndex
        timers.insert(timer, at: index)
        let wake = threadSleeping && index == 0
        if !threadRunning {
            startThreadLocked()
        }
        lock.unlock()
        if wake {
            wakeup.signal()
        }
        return TimerHandle(id: timer.id)
    }

    /// Cancels a timer that has not fired yet; does nothing otherwise.
    package func cancel(_ handle: TimerHandle) {
        lock.withLock {
            timers.removeAll { $0.id == handle.id }
        }
    }

    /// Suspends the calling task until `deadline`, measured by this executor's timers (which do not
    /// depend on the cooperative pool). Returns early if the task is cancelled.
    package func sleep(until deadline: ContinuousClock.Instant) async {
        let promise = Promise<Void>()
        let handle = schedule(at: deadline) { promise.fulfill(()) }
        await promise.wait(cancellingWith: {})
        cancel(handle)
    }

    // MARK: Lifecycle

    /// Lets the thread exit once no job and no timer is left.
    package func stop() {
        lock.lock()
        stopRequested = true
        let wake = threadSleeping
        lock.unlock()
        if wake {
            wakeup.signal()
        }
    }

    private func startThreadLocked() {
        threadRunning = true
        SluiceThread.start(name: name) { [self] in
            runLoop()
        }
    }

    private func runLoop() {
        PipelineThread.enter(self)
        defer { PipelineThread.leave() }
        var batch: [UnownedJob] = []
        var dueActions: [@Sendable () -> Void] = []
        while true {
            lock.lock()
            while true {
                let now = MonotonicTime.nanoseconds()
                while let first = timers.first, first.deadline <= now {
                    dueActions.append(timers.removeFirst().action)
                }
                if !jobs.isEmpty || !dueActions.isEmpty {
                    break
                }
                if stopRequested && timers.isEmpty {
                    threadRunning = false
                    lock.unlock()
                    return
                }
                threadSleeping = true
                if let next = timers.first {
                    wakeup.wait(lock, untilMonotonicNanoseconds: next.deadline)
                } else {
                    wakeup.wait(lock)
                }
                threadSleeping = false
            }
            swap(&jobs, &batch)
            lock.unlock()

            for action in dueActions {
                action()
            }
            dueActions.removeAll(keepingCapacity: true)
            for job in batch {
                job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
