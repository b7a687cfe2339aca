import Sluice
import Testing

/// A clock that only moves when the test says so.
struct ManualClock: Clock {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    var now = Instant(offset: .zero)
    var minimumResolution: Duration { .nanoseconds(1) }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        preconditionFailure("the manual clock never sleeps")
    }
}

@Suite struct BatchingStateMachineTests {
    typealias Machine = BatchingStateMachine<ManualClock>
    var clock = ManualClock()

    @Test func closesABatchBySize() {
        var machine = Machine(maxRecords: 512, maxDelay: .milliseconds(50))
        #expect(
            machine.recordsArrived(pending: 1, now: clock.now)
                == .scheduleTick(clock.now.advanced(by: .milliseconds(50))))
        #expect(machine.recordsArrived(pending: 511, now: clock.now) == .none)
        #expect(machine.recordsArrived(pending: 512, now: clock.now) == .takeFullBatches)
        #expect(machine.taken(remaining: 0, now: clock.now) == .none)
        #expect(machine.deadline == nil)
    }

    @Test func closesABatchByTime() {
        var clock = ManualClock()
        var machine = Machine(maxRecords: 512, maxDelay: .milliseconds(50))
        let deadline = clock.now.advanced(by: .milliseconds(50))
        #expect(machine.recordsArrived(pending: 3, now: clock.now) == .scheduleTick(deadline))
        clock.now = clock.now.advanced(by: .milliseconds(20))
        #expect(machine.recordsArrived(pending: 10, now: clock.now) == .none, "the first record's deadline stands")
        // An early (spurious) tick re-arms the same deadline.
        #expect(machine.tick(pending: 10, now: clock.now) == .scheduleTick(deadline))
        clock.now = deadline
        #expect(machine.tick(pending: 10, now: clock.now) == .takeAll)
        #expect(machine.taken(remaining: 0, now: clock.now) == .none)
        // A stale tick after the batch closed does nothing.
        #expect(machine.tick(pending: 0, now: clock.now.advanced(by: .seconds(1))) == .none)
    }

    @Test func leftoversAfterASizeBatchGetTheirOwnDeadline() {
        var clock = ManualClock()
        var machine = Machine(maxRecords: 100, maxDelay: .milliseconds(50))
        _ = machine.recordsArrived(pending: 1, now: clock.now)
        clock.now = clock.now.advanced(by: .milliseconds(10))
        #expect(machine.recordsArrived(pending: 250, now: clock.now) == .takeFullBatches)
        #expect(
            machine.taken(remaining: 50, now: clock.now) == .scheduleTick(clock.now.advanced(by: .milliseconds(50))))
        #expect(machine.taken(remaining: 150, now: clock.now) == .takeFullBatches)
    }

    @Test func flushTakesThePartialBatchAtOnce() {
        var machine = Machine(maxRecords: 512, maxDelay: .seconds(60))
        _ = machine.recordsArrived(pending: 5, now: clock.now)
        #expect(machine.flushRequested(pending: 5) == .takeAll)
        #expect(machine.flushRequested(pending: 0) == .none)
    }

    @Test func afterShutdownEveryArrivalIsTakenImmediately() {
        var machine = Machine(maxRecords: 512, maxDelay: .seconds(60))
        _ = machine.recordsArrived(pending: 5, now: clock.now)
        #expect(machine.shutdownRequested(pending: 5) == .takeAll)
        #expect(machine.taken(remaining: 0, now: clock.now) == .none)
        #expect(machine.recordsArrived(pending: 1, now: clock.now) == .takeAll)
        #expect(machine.tick(pending: 2, now: clock.now) == .takeAll)
        #expect(machine.deadline == nil)
    }
}

@Suite struct ShutdownStateMachineTests {
    @Test func firstRequestStartsLaterOnesJoin() {
        var machine = ShutdownStateMachine()
        #expect(machine.requested() == .start)
        #expect(machine.requested() == .join)
        #expect(!machine.isStopped)
        machine.finished()
        #expect(machine.isStopped)
        #expect(machine.requested() == .join)
    }
}
