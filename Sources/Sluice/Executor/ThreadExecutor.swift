#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A serial executor and task executor for one part of a pipeline (the collector, a sink, an
/// archiver), with its own timers. It runs its jobs one batch at a time, on one of two backings:
///
/// - its **own thread** (``ExecutionMode/dedicatedThreads``, and any executor used outside a
///   pipeline): started lazily by the first job or timer, so an executor nobody uses holds no
///   thread;
/// - **tasks** on Swift's executors (``ExecutionMode/cooperative``, ``ExecutionMode/synchronous``):
///   a ``CooperativeHost`` runs a drainer task on the global executor (or one the user passes)
///   while jobs are waiting, and timers are tasks that sleep. The drainer is started once: with no
///   job left it parks in a ``DrainerSlot``, and the next job resumes it, so a producer that wakes
///   the pipeline allocates nothing.
///
/// On its own thread it keeps the pipeline draining when every thread of Swift's cooperative pool is
/// busy (or parked by the `block` overflow policy), keeps a blocking `write(2)` off the pool, and its
/// timers (batch deadlines, flush timeouts, the shutdown deadline) fire even when the pool is
/// saturated.
///
/// ``runExclusively(_:)`` lets a caller act as the executor for a moment (synchronous mode writes a
/// sink on the calling thread that way): no job runs meanwhile, and the actor's isolation checks pass.
///
/// The thread exits once ``stop()`` was called and no job or timer is left; a job enqueued after
/// that starts a fresh thread, so no continuation is ever stranded.
//
// @unchecked Sendable is safe: every mutable property is guarded by `lock`, except `running`, which
// only the runner that set `busy` under `lock` touches, until it clears `busy` under `lock` again;
// `name` is immutable.
package final class ThreadExecutor: SerialExecutor, TaskExecutor, @unchecked Sendable {
    package let name: String
    /// The pipeline this thread works for (its collector or one of its sinks), or `nil` for a
    /// thread of a sink's own (archiving, timers) that may serve any pipeline.
    package let pipelineID: UInt64?

    private enum Backing {
        /// Nothing ran yet: the first job or timer starts a thread unless a pipeline chose tasks.
        case undecided
        case thread
        case tasks(CooperativeHost)
    }

    private let lock = Lock()
    private let wakeup = Condition()
    /// Signalled when `busy` ends while exclusive callers wait.
    private let released = Condition()
    // Guarded by `lock`:
    private var backing = Backing.undecided
    private var jobs: [UnownedJob] = []
    private var timers: [Timer] = []  // sorted by deadline, earliest first
    private var nextTimerID: UInt64 = 0
    private var threadRunning = false
    private var threadSleeping = false
    private var stopRequested = false
    /// Jobs of this executor are running (on its thread, in a drainer, or an exclusive caller).
    private var busy = false
    /// A drainer was asked for (tasks backing) and has not taken the jobs yet.
    private var drainerScheduled = false
    /// The drainer task (tasks backing).
    private var drainer = Drainer.none
    private var exclusiveWaiters = 0
    private var taskTimers: [UInt64: Task<Void, Never>] = [:]
    /// The jobs a drainer or helper took to run, swapped with `jobs` and emptied keeping its
    /// capacity, so that enqueueing a job allocates nothing once both buffers are grown. Owned by the
    /// runner that set `busy` (the thread backing keeps a buffer of its own in `runLoop()`).
    private var running: [UnownedJob] = []

    /// Where the drainer task of the tasks backing is.
    private enum Drainer {
        /// None was started yet.
        case none
        /// Running jobs, or about to look for them.
        case active
        /// Parked (or about to park) in ``drainerSlot`` until jobs come.
        case idle
    }

    /// What asking for a drainer takes, decided under `lock` and done after it.
    package enum DrainerWake {
        /// The drainer is active and looks for jobs before it parks: nothing to do.
        case none
        /// The drainer parked: resume it through ``ThreadExecutor/drainerSlot``.
        case resume
        /// No drainer yet: start its task.
        case start
    }

    /// Where the parked drainer waits for jobs. It holds no reference to this executor, so a parked
    /// drainer does not keep the executor alive; the executor closes it when it goes away.
    package let drainerSlot = DrainerSlot()

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
        // Whoever enqueues a job (a producer waking the collector, say) then finds room already.
        jobs.reserveCapacity(16)
        running.reserveCapacity(16)
    }

    deinit {
        // The parked drainer ends with its executor.
        drainerSlot.close()
    }

    // MARK: Backing

    /// Runs this executor's jobs and timers as tasks of `host` from now on. Only an executor that
    /// has not run anything yet can switch; returns whether this one did (or already had).
    @discardableResult
    package func runOn(_ host: CooperativeHost) -> Bool {
        var drainerWake: DrainerWake?
        let adopted: Bool = lock.withLock {
            switch backing {
            case .undecided:
                backing = .tasks(host)
                if !jobs.isEmpty && !busy && !drainerScheduled {
                    drainerWake = askForDrainerLocked()
                }
                return true
            case .tasks(let current):
                return current === host
            case .thread:
                return false
            }
        }
        if adopted {
            host.adopt(self)
        }
        if let drainerWake {
            host.wakeDrainer(of: self, drainerWake)
        }
        return adopted
    }

    /// Starts the executor's thread now (dedicated-threads mode starts every thread at creation, so
    /// that a failing `pthread_create` is seen there). Returns `pthread_create`'s result: 0, or the
    /// error (`EAGAIN` at a thread limit), after which the executor is still undecided.
    package func startThread() -> Int32 {
        lock.withLock {
            switch backing {
            case .undecided:
                backing = .thread
            case .thread:
                break
            case .tasks:
                return 0
            }
            guard !threadRunning else { return 0 }
            let rc = createThreadLocked()
            if rc != 0 {
                backing = .undecided
            }
            return rc
        }
    }

    /// Whether this executor runs as tasks on Swift's executors.
    package var runsAsTasks: Bool {
        lock.withLock {
            if case .tasks = backing { return true }
            return false
        }
    }

    /// Whether optional timers that only cover an idle period should be skipped (synchronous mode).
    package var skipsIdleTimers: Bool {
        lock.withLock {
            if case .tasks(let host) = backing { return host.isSynchronous }
            return false
        }
    }

    // MARK: Executor

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        var drainerHost: CooperativeHost?
        var drainerWake = DrainerWake.none
        lock.lock()
        jobs.append(job)
        var wake = false
        switch backing {
        case .undecided:
            backing = .thread
            startThreadLocked()
        case .thread:
            wake = threadSleeping
            if !threadRunning {
                startThreadLocked()
            }
        case .tasks(let host):
            if !busy && !drainerScheduled {
                drainerWake = askForDrainerLocked()
                drainerHost = host
            }
        }
        lock.unlock()
        if wake {
            wakeup.signal()
        }
        drainerHost?.wakeDrainer(of: self, drainerWake)
    }

    package func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    package func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    package func checkIsolated() {
        precondition(isCurrent, "expected to run on Sluice executor '\(name)'")
    }

    package func isIsolatingCurrentContext() -> Bool? {
        isCurrent
    }

    /// Whether the calling thread is running this executor's jobs now.
    package var isCurrent: Bool {
        PipelineThread.currentExecutor === self
    }

    // MARK: Timers

    /// Runs `action` on this executor's thread (or, as tasks, on Swift's executors) once `deadline`
    /// has passed.
    @discardableResult
    package func schedule(
        at deadline: ContinuousClock.Instant,
        _ action: @escaping @Sendable () -> Void
    ) -> TimerHandle {
        let monotonicDeadline = MonotonicTime.nanoseconds(at: deadline)
        lock.lock()
        nextTimerID &+= 1
        let id = nextTimerID
        if case .tasks(let host) = backing {
            taskTimers[id] = host.timer(at: deadline) { [self] in
                let due = lock.withLock { taskTimers.removeValue(forKey: id) != nil }
                if due {
                    action()
                }
            }
            lock.unlock()
            return TimerHandle(id: id)
        }
        if case .undecided = backing {
            backing = .thread
        }
        let timer = Timer(id: id, deadline: monotonicDeadline, action: action)
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
        return TimerHandle(id: id)
    }

    /// Cancels a timer that has not fired yet; does nothing otherwise.
    package func cancel(_ handle: TimerHandle) {
        let task = lock.withLock {
            timers.removeAll { $0.id == handle.id }
            return taskTimers.removeValue(forKey: handle.id)
        }
        task?.cancel()
    }

    /// Suspends the calling task until `deadline`, measured by this executor's timers (which, on its
    /// own thread, do not depend on the cooperative pool). Returns early if the task is cancelled.
    package func sleep(until deadline: ContinuousClock.Instant) async {
        let promise = Promise<Void>()
        let handle = schedule(at: deadline) { promise.fulfill(()) }
        await promise.wait(cancellingWith: {})
        cancel(handle)
    }

    // MARK: Running jobs

    /// Runs `body` on the calling thread as if it were this executor: no job of it runs meanwhile
    /// (the call waits for a running batch to end), and code isolated to an actor on this executor
    /// may use `assumeIsolated`. Must not be called from this executor's own jobs.
    package func runExclusively<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock.lock()
        exclusiveWaiters += 1
        while busy {
            released.wait(lock)
        }
        exclusiveWaiters -= 1
        busy = true
        lock.unlock()
        let previous = PipelineThread.swap(self)
        defer {
            PipelineThread.restore(previous)
            finishBatch()
        }
        return try body()
    }

    /// Drainer side (tasks backing): runs the jobs waiting now. Returns whether more arrived
    /// meanwhile (the drainer then yields and calls again).
    package func drainBatch() -> Bool {
        guard runWaitingJobs(asDrainer: true) else { return false }
        return finishBatch(continuing: true)
    }

    /// Runs the waiting jobs on the calling thread unless another runner is busy; returns whether it
    /// ran any (it then still holds `busy`: the caller ends the batch with ``finishBatch(continuing:)``).
    private func runWaitingJobs(asDrainer: Bool) -> Bool {
        lock.lock()
        if asDrainer {
            drainerScheduled = false
        }
        guard !busy, !jobs.isEmpty else {
            lock.unlock()
            return false
        }
        busy = true
        swap(&jobs, &running)
        lock.unlock()
        let previous = PipelineThread.swap(self)
        for job in running {
            job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
        }
        PipelineThread.restore(previous)
        running.removeAll(keepingCapacity: true)
        return true
    }

    /// Ends a batch (or an exclusive section): lets the next runner in. With `continuing`, the
    /// caller is a drainer that will run again if jobs are waiting (returns true); otherwise a
    /// waiting job gets a drainer or the thread is woken.
    @discardableResult
    private func finishBatch(continuing: Bool = false) -> Bool {
        var drainerHost: CooperativeHost?
        var drainerWake = DrainerWake.none
        var wakeThread = false
        lock.lock()
        busy = false
        if exclusiveWaiters > 0 {
            released.broadcast()
        }
        var more = false
        if !jobs.isEmpty {
            switch backing {
            case .tasks(let host):
                if continuing {
                    drainerScheduled = true
                    more = true
                } else if !drainerScheduled {
                    drainerWake = askForDrainerLocked()
                    drainerHost = host
                }
            case .thread:
                wakeThread = threadSleeping
            case .undecided:
                break
            }
        }
        lock.unlock()
        if wakeThread {
            wakeup.signal()
        }
        drainerHost?.wakeDrainer(of: self, drainerWake)
        return more
    }

    /// Asks for a drainer for the waiting jobs (under `lock`); the caller does what it returns once
    /// it unlocked.
    private func askForDrainerLocked() -> DrainerWake {
        drainerScheduled = true
        switch drainer {
        case .active:
            // It looks for jobs again before it parks (``drainerGoesIdle()``).
            return .none
        case .idle:
            drainer = .active
            return .resume
        case .none:
            drainer = .active
            return .start
        }
    }

    /// Drainer side (tasks backing), after ``drainBatch()`` found nothing more to run: returns true
    /// when the drainer is to park in ``drainerSlot`` (the next job resumes it), or false when jobs
    /// were asked for meanwhile and it must look again.
    package func drainerGoesIdle() -> Bool {
        lock.withLock {
            guard !drainerScheduled else { return false }
            drainer = .idle
            return true
        }
    }

    /// Whether jobs are waiting and nobody runs them (a helper may run them: see
    /// ``CooperativeHost/helpOnce()``).
    package var hasIdleWork: Bool {
        lock.withLock { !busy && !jobs.isEmpty }
    }

    /// Runs waiting jobs on the calling thread if nobody else is; returns whether it ran any.
    package func helpDrain() -> Bool {
        guard runWaitingJobs(asDrainer: false) else { return false }
        finishBatch()
        return true
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

    /// Starts the thread for work that arrived (the lazy path). When the system refuses a thread,
    /// the loop runs on a Dispatch worker instead (``SluiceThread/start(name:_:)``).
    private func startThreadLocked() {
        threadRunning = true
        SluiceThread.start(name: name) { [self] in
            runLoop()
        }
    }

    private func createThreadLocked() -> Int32 {
        threadRunning = true
        let rc = SluiceThread.tryStart(name: name) { [self] in
            runLoop()
        }
        if rc != 0 {
            threadRunning = false
        }
        return rc
    }

    private func runLoop() {
        PipelineThread.enter(self)
        defer { PipelineThread.leave() }
        var batch: [UnownedJob] = []
        batch.reserveCapacity(16)
        var dueActions: [@Sendable () -> Void] = []
        while true {
            lock.lock()
            while true {
                let now = MonotonicTime.nanoseconds()
                while let first = timers.first, first.deadline <= now {
                    dueActions.append(timers.removeFirst().action)
                }
                if !dueActions.isEmpty || (!jobs.isEmpty && !busy) {
                    break
                }
                if stopRequested && timers.isEmpty && jobs.isEmpty {
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
            let runJobs = !busy
            if runJobs {
                busy = true
                swap(&jobs, &batch)
            }
            lock.unlock()

            for action in dueActions {
                action()
            }
            dueActions.removeAll(keepingCapacity: true)
            guard runJobs else { continue }
            for job in batch {
                job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
            }
            batch.removeAll(keepingCapacity: true)
            lock.lock()
            busy = false
            if exclusiveWaiters > 0 {
                released.broadcast()
            }
            lock.unlock()
        }
    }
}
