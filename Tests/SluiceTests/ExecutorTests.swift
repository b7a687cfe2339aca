import Dispatch
import Sluice
import SluiceTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct ThreadExecutorTests {
    actor Pinned {
        let executor: ThreadExecutor
        nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
        init(_ executor: ThreadExecutor) { self.executor = executor }
        func onItsThread() -> Bool { executor.isCurrent && PipelineThread.isCurrent }
    }

    @Test func actorsWithTheExecutorRunOnItsThread() async {
        let executor = ThreadExecutor(name: "test")
        let pinned = Pinned(executor)
        #expect(await pinned.onItsThread())
        #expect(!PipelineThread.isCurrent)
        executor.stop()
    }

    @Test func taskExecutorPreferenceRunsNonisolatedCodeOnTheThread() async {
        let executor = ThreadExecutor(name: "test")
        let onThread = await Task(executorPreference: executor) { executor.isCurrent }.value
        #expect(onThread)
        executor.stop()
    }

    @Test func timersFireInDeadlineOrderAndCanBeCancelled() async {
        let executor = ThreadExecutor(name: "timers")
        let fired = LockedValue([Int]())
        let done = Promise<Void>()
        let now = ContinuousClock.now
        // The executor's thread waits in a first timer until every other is scheduled (and one
        // cancelled): on a loaded machine this thread could otherwise be preempted between two
        // `schedule` calls for longer than the deadlines are apart, and a timer scheduled later
        // with an earlier deadline would rightly fire after one already due.
        let entered = Promise<Void>()
        let gate = DispatchSemaphore(value: 0)
        executor.schedule(at: now) {
            entered.fulfill(())
            gate.wait()
        }
        await entered.wait()
        executor.schedule(at: now.advanced(by: .milliseconds(30))) {
            fired.withLock { $0.append(3) }
            done.fulfill(())
        }
        executor.schedule(at: now.advanced(by: .milliseconds(10))) { fired.withLock { $0.append(1) } }
        let cancelled = executor.schedule(at: now.advanced(by: .milliseconds(20))) { fired.withLock { $0.append(2) } }
        executor.schedule(at: now) { fired.withLock { $0.append(0) } }
        executor.cancel(cancelled)
        gate.signal()
        await done.wait()
        #expect(fired.withLock { $0 } == [0, 1, 3])
        executor.stop()
    }

    /// Deadlines already passed when their timers are scheduled keep their order.
    @Test func timersScheduledAfterTheirDeadlinesStillFireInDeadlineOrder() async {
        let executor = ThreadExecutor(name: "late-timers")
        let fired = LockedValue([Int]())
        let done = Promise<Void>()
        let entered = Promise<Void>()
        let gate = DispatchSemaphore(value: 0)
        let now = ContinuousClock.now
        executor.schedule(at: now) {
            entered.fulfill(())
            gate.wait()
        }
        await entered.wait()
        executor.schedule(at: now.advanced(by: .milliseconds(-10))) {
            fired.withLock { $0.append(2) }
            done.fulfill(())
        }
        executor.schedule(at: now.advanced(by: .milliseconds(-20))) { fired.withLock { $0.append(1) } }
        gate.signal()
        await done.wait()
        #expect(fired.withLock { $0 } == [1, 2])
        executor.stop()
    }

    @Test func sleepEndsAtTheDeadlineOrOnCancellation() async {
        let executor = ThreadExecutor(name: "sleep")
        let start = ContinuousClock.now
        await executor.sleep(until: start.advanced(by: .milliseconds(20)))
        #expect(start.duration(to: .now) >= .milliseconds(20))
        let task = Task { await executor.sleep(until: .now.advanced(by: .seconds(3600))) }
        task.cancel()
        await task.value
        executor.stop()
    }

    @Test func aStoppedExecutorStillRunsLateJobs() async {
        let executor = ThreadExecutor(name: "late")
        executor.stop()
        let pinned = Pinned(executor)
        #expect(await pinned.onItsThread())
        #expect(await pinned.onItsThread())
        executor.stop()
    }
}

/// An executor run as tasks (cooperative and synchronous modes) has one drainer task, which parks
/// while it has no jobs: handing it work resumes that task rather than creating one.
@Suite(.timeLimit(.minutes(3))) struct CooperativeDrainerTests {
    actor Pinned {
        let executor: ThreadExecutor
        nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
        init(_ executor: ThreadExecutor) { self.executor = executor }
        func onIt() -> Bool { executor.isCurrent }
    }

    @Test func oneDrainerTaskRunsEveryJobAnExecutorIsGivenOverTime() async {
        let host = CooperativeHost(target: .global)
        let executor = ThreadExecutor(name: "drained")
        #expect(executor.runOn(host))
        let pinned = Pinned(executor)
        // Few rounds: each takes several hops through Swift's pool, which a parallel run shares
        // among hundreds of tests (200 rounds took over a minute under ThreadSanitizer).
        for round in 0..<20 {
            // Each job finds the drainer parked (or about to park) after the one before.
            let asTask = await Task(executorPreference: executor) { executor.isCurrent }.value
            let asActor = await pinned.onIt()
            #expect(asTask && asActor, "round \(round)")
        }
        #expect(host.drainers.tasksStarted == 1)
        #expect(host.drainers.tasksRunning == 1, "parked, not ended")
    }

    @Test func aParkedDrainerDoesNotKeepItsExecutorAliveAndEndsWithIt() async {
        let host = CooperativeHost(target: .global)
        weak var gone: ThreadExecutor?
        do {
            let executor = ThreadExecutor(name: "short-lived")
            gone = executor
            #expect(executor.runOn(host))
            #expect(await Task(executorPreference: executor) { executor.isCurrent }.value)
        }
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while (gone != nil || host.drainers.tasksRunning > 0) && ContinuousClock.now < deadline {
            await Task.yield()
        }
        #expect(gone == nil, "the parked drainer held its executor")
        #expect(host.drainers.tasksStarted == 1 && host.drainers.tasksRunning == 0)
    }
}

@Suite struct PromiseTests {
    @Test func firstFulfilWinsAndEveryWaiterGetsIt() async {
        let promise = Promise<Int>()
        async let a = promise.wait()
        async let b = promise.wait()
        #expect(promise.fulfill(1))
        #expect(!promise.fulfill(2))
        #expect(await [a, b] == [1, 1])
        #expect(await promise.wait() == 1)
    }

    @Test func aCancelledWaiterLeavesThePromisePendingForOthers() async {
        let promise = Promise<Int>()
        let cancelled = Task { await promise.waitUnlessCancelled() }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
        let waiting = Task { await promise.waitUnlessCancelled() }
        promise.fulfill(5)
        #expect(await waiting.value == 5)
    }
}

@Suite struct InternalErrorTests {
    @Test func rateLimiterAdmitsTheFirstThenOnePerIntervalWithACount() {
        let limiter = RateLimiter(interval: .seconds(10))
        let t0 = ContinuousClock.now
        #expect(limiter.admit(key: "a", now: t0) == 0)
        #expect(limiter.admit(key: "a", now: t0.advanced(by: .seconds(1))) == nil)
        #expect(limiter.admit(key: "a", now: t0.advanced(by: .seconds(2))) == nil)
        #expect(limiter.admit(key: "b", now: t0.advanced(by: .seconds(2))) == 0, "each key separately")
        #expect(limiter.admit(key: "a", now: t0.advanced(by: .seconds(10))) == 2)
        #expect(limiter.admit(key: "a", now: t0.advanced(by: .seconds(11))) == nil)
    }

    @Test func descriptionNamesTheSinkAndKind() {
        let error = InternalError(kind: .writeFailed, sinkName: "file:/x", message: "12 records dropped: disk full")
        #expect(error.description == "sluice: sink 'file:/x' write failed: 12 records dropped: disk full")
    }
}
