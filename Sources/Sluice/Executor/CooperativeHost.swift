import Synchronization

/// Runs a pipeline's executors as tasks on Swift's executors instead of threads of their own
/// (``ExecutionMode/cooperative`` and ``ExecutionMode/synchronous``): each of them gets one drainer
/// task, on the global concurrent executor or on the executor the user passed, started by its first
/// job; the drainer runs the jobs, parks while there are none and is resumed by the next (so handing
/// the pipeline work allocates nothing), and ends when its executor goes away. Timers are tasks that
/// sleep.
///
/// A thread that has to wait for the pipeline (a producer parked by the `block` policy, a blocking
/// flush) does the pipeline's waiting work itself meanwhile (``helpOnce()``), so even with every
/// thread of the pool waiting the pipeline keeps draining.
package final class CooperativeHost: Sendable {
    package enum Target: Sendable {
        /// Swift's global concurrent executor (the cooperative pool).
        case global
        /// A task executor the app already runs, such as an event loop's.
        case taskExecutor(any TaskExecutor)
        /// A serial executor the app already runs, such as an event loop's.
        case serialExecutor(SerialExecutorHost)
    }

    package let target: Target
    /// Synchronous mode: sinks write on the calling thread, and optional idle timers (a file
    /// sink's sync timer) are not run.
    package let isSynchronous: Bool
    /// The executors on this host, held weakly (each holds the host).
    private let members = LockedValue([Member]())

    private struct Member {
        weak var executor: ThreadExecutor?
    }
    /// Moves whenever a member gets work, so a helper that found nothing to do can tell whether it
    /// may wait.
    private let work = Atomic<UInt64>(0)
    private let helpers = Atomic<Int>(0)
    /// Counts the drainer tasks; they hold it rather than the host, whose `wakeHelpers` closure
    /// holds the pipeline (and so the executors a parked drainer must not keep alive).
    package let drainers = DrainerCounts()
    /// Wakes helpers waiting for the pipeline (set by the pipeline; called without locks held).
    private let wakeHelpers: LockedValue<(@Sendable () -> Void)?> = LockedValue(nil)

    package init(target: Target, isSynchronous: Bool = false) {
        self.target = target
        self.isSynchronous = isSynchronous
    }

    /// Where tasks that should run near the pipeline prefer to run (`nil`: the global executor).
    package var taskExecutorPreference: (any TaskExecutor)? {
        if case .taskExecutor(let executor) = target { return executor }
        return nil
    }

    /// An executor of the pipeline now runs on this host.
    package func adopt(_ executor: ThreadExecutor) {
        members.withLock { members in
            members.removeAll { $0.executor == nil }
            if !members.contains(where: { $0.executor === executor }) {
                members.append(Member(executor: executor))
            }
        }
    }

    /// Sets what wakes threads waiting in ``helpOnce()`` loops when new work arrives.
    package func onWork(_ wake: @escaping @Sendable () -> Void) {
        wakeHelpers.withLock { $0 = wake }
    }

    /// Gets `executor`'s waiting jobs run, doing what the executor decided (``ThreadExecutor/DrainerWake``):
    /// resuming its parked drainer or starting its first; and lets waiting helpers know.
    package func wakeDrainer(of executor: ThreadExecutor, _ wake: ThreadExecutor.DrainerWake) {
        switch wake {
        case .none:
            break
        case .resume:
            executor.drainerSlot.wake()
        case .start:
            startDrainer(for: executor)
        }
        work.add(1, ordering: .sequentiallyConsistent)
        if helpers.load(ordering: .sequentiallyConsistent) > 0 {
            wakeHelpers.withLock { $0 }?()
        }
    }

    /// Starts `executor`'s drainer task, which holds the executor only while it runs jobs, and
    /// nothing that holds the executor while it is parked.
    private func startDrainer(for executor: ThreadExecutor) {
        let counts = drainers
        counts.started()
        let reference = ExecutorReference(executor: executor)
        let slot = executor.drainerSlot
        switch target {
        case .global:
            Task.detached(name: "sluice \(executor.name)") {
                while await Self.drainUntilIdle(reference), await slot.park() {}
                counts.ended()
            }
        case .taskExecutor(let preferred):
            Task.detached(name: "sluice \(executor.name)", executorPreference: preferred) {
                while await Self.drainUntilIdle(reference), await slot.park() {}
                counts.ended()
            }
        case .serialExecutor(let host):
            Task.detached(name: "sluice \(executor.name)") {
                while await host.drainUntilIdle(reference), await slot.park() {}
                counts.ended()
            }
        }
    }

    /// Runs the executor's jobs until none is left; returns true when the drainer is to park, or
    /// false when the executor went away. The executor is held only in here, never while parked.
    /// Runs isolated to the caller's actor, if any (``SerialExecutorHost`` drains on its executor).
    package static func drainUntilIdle(
        _ reference: ExecutorReference, isolation: isolated (any Actor)? = #isolation
    ) async -> Bool {
        guard let executor = reference.executor else { return false }
        repeat {
            while executor.drainBatch() {
                await Task.yield()
            }
        } while !executor.drainerGoesIdle()
        return true
    }

    /// A task that calls `fire` once `deadline` has passed, unless cancelled first.
    package func timer(
        at deadline: ContinuousClock.Instant,
        _ fire: @escaping @Sendable () -> Void
    ) -> Task<Void, Never> {
        Task.detached(name: "sluice timer", executorPreference: taskExecutorPreference) {
            try? await Task.sleep(until: deadline, clock: .continuous)
            if !Task.isCancelled {
                fire()
            }
        }
    }

    // MARK: Helping

    /// A waiting thread announces itself, and reads the work counter to compare after helping.
    package func beginHelping() -> UInt64 {
        helpers.add(1, ordering: .sequentiallyConsistent)
        return work.load(ordering: .sequentiallyConsistent)
    }

    package func endHelping() {
        helpers.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Whether work arrived since `mark` (then a helper must look again instead of waiting).
    package func workArrived(since mark: UInt64) -> Bool {
        work.load(ordering: .sequentiallyConsistent) != mark
    }

    /// Runs one batch of waiting jobs of any member executor nobody is running, on the calling
    /// thread. Returns whether it ran any.
    package func helpOnce() -> Bool {
        let executors = members.withLock { $0.compactMap(\.executor) }
        var ran = false
        for executor in executors where executor.hasIdleWork {
            ran = executor.helpDrain() || ran
        }
        return ran
    }
}

/// Runs a pipeline's drainer tasks isolated to a serial executor the app passed (such as an event
/// loop's), so the pipeline's work happens there.
package actor SerialExecutorHost {
    private nonisolated let executor: any SerialExecutor

    package init(_ executor: any SerialExecutor) {
        self.executor = executor
    }

    package nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Runs the jobs of `reference`'s executor here until none is left, yielding this executor
    /// between batches (``CooperativeHost/drainUntilIdle(_:isolation:)``, isolated to this actor).
    func drainUntilIdle(_ reference: ExecutorReference) async -> Bool {
        await CooperativeHost.drainUntilIdle(reference)
    }
}

/// How many drainer tasks a ``CooperativeHost`` started, and how many have not ended.
package final class DrainerCounts: Sendable {
    private let startedCount = Atomic<Int>(0)
    private let runningCount = Atomic<Int>(0)

    /// Drainer tasks started so far (one per executor that ran jobs).
    package var tasksStarted: Int { startedCount.load(ordering: .sequentiallyConsistent) }
    /// Drainer tasks that have not ended (parked ones included).
    package var tasksRunning: Int { runningCount.load(ordering: .sequentiallyConsistent) }

    fileprivate func started() {
        startedCount.add(1, ordering: .sequentiallyConsistent)
        runningCount.add(1, ordering: .sequentiallyConsistent)
    }

    fileprivate func ended() {
        runningCount.subtract(1, ordering: .sequentiallyConsistent)
    }
}

/// A drainer's weak reference to its executor, so that a parked drainer does not keep it alive.
package struct ExecutorReference: Sendable {
    package weak var executor: ThreadExecutor?
}
