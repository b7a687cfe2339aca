import Sluice
import Testing

@Suite struct DeliveryStateMachineTests {
    typealias Machine = DeliveryStateMachine<ManualClock>

    func machine(_ options: RetryOptions) -> Machine {
        Machine(options: options, convert: { $0 })
    }

    let options = RetryOptions(
        initialBackoff: .milliseconds(100), maxBackoff: .seconds(2), multiplier: 2, jitter: 0,
        retryBudget: .seconds(5), maxPendingBatches: 3)

    @Test func sendsOneBatchAtATimeInOrder() {
        var clock = ManualClock()
        var m = machine(options)
        #expect(m.enqueue(1, now: clock.now) == [.send(1)])
        #expect(m.enqueue(2, now: clock.now) == [])
        #expect(m.enqueue(3, now: clock.now) == [])
        clock.now = clock.now.advanced(by: .milliseconds(5))
        #expect(m.sendSucceeded(now: clock.now) == [.send(2)])
        #expect(m.sendSucceeded(now: clock.now) == [.send(3)])
        #expect(m.sendSucceeded(now: clock.now) == [])
        #expect(m.isEmpty)
    }

    @Test func backsOffExponentiallyUpToTheCapAndResetsAfterASuccess() {
        let clock = ManualClock()
        var m = machine(RetryOptions(initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(500), jitter: 0))
        _ = m.enqueue(1, now: clock.now)
        var waits: [Duration] = []
        var now = clock.now
        for _ in 0..<5 {
            let actions = m.sendFailed(.retryable(retryAfter: nil), now: now, random: 0.5)
            guard case .wake(let at) = actions.first else {
                Issue.record("expected a wake, got \(actions)")
                return
            }
            waits.append(now.duration(to: at))
            now = at
            #expect(m.timerFired(now: now) == [.send(1)])
        }
        #expect(
            waits == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500),
            ])
        #expect(m.sendSucceeded(now: now) == [])
        #expect(m.consecutiveFailures == 0)
    }

    @Test func jitterSpreadsTheWaitWithinItsFraction() {
        var m = machine(RetryOptions(initialBackoff: .seconds(1), maxBackoff: .seconds(10), jitter: 0.2))
        _ = m.enqueue(1, now: ManualClock().now)
        _ = m.sendFailed(.retryable(retryAfter: nil), now: ManualClock().now, random: 0)
        #expect(m.backoff(random: 0) == .milliseconds(800))
        #expect(m.backoff(random: 1) == .milliseconds(1200))
        #expect(m.backoff(random: 0.5) == .seconds(1))
    }

    @Test func retryAfterIsHonouredEvenBeyondTheBackoffCap() {
        let now = ManualClock().now
        var m = machine(options)
        _ = m.enqueue(1, now: now)
        #expect(
            m.sendFailed(.retryable(retryAfter: .seconds(3)), now: now, random: 0.5) == [
                .wake(at: now.advanced(by: .seconds(3)))
            ])
        #expect(
            m.timerFired(now: now.advanced(by: .seconds(1))) == [.wake(at: now.advanced(by: .seconds(3)))],
            "an early timer re-arms")
        #expect(m.timerFired(now: now.advanced(by: .seconds(3))) == [.send(1)])
    }

    @Test func aPermanentFailureDropsTheBatchAtOnceAndMovesOn() {
        let now = ManualClock().now
        var m = machine(options)
        _ = m.enqueue(1, now: now)
        _ = m.enqueue(2, now: now)
        #expect(m.sendFailed(.permanent, now: now, random: 0.5) == [.drop(1, .rejected), .send(2)])
    }

    @Test func theRetryBudgetEndsABatchThatKeepsFailing() {
        var now = ManualClock().now
        var m = machine(options)
        _ = m.enqueue(1, now: now)
        _ = m.enqueue(2, now: now)
        var dropped: [DeliveryStateMachine<ManualClock>.Action] = []
        for _ in 0..<20 {
            let actions = m.sendFailed(.retryable(retryAfter: nil), now: now, random: 0.5)
            if case .wake(let at) = actions.first {
                now = at
                _ = m.timerFired(now: now)
            } else {
                dropped = actions
                break
            }
        }
        #expect(dropped == [.drop(1, .retryBudgetExhausted), .send(2)])
        #expect(m.count == 1)
    }

    @Test func theBufferStaysBoundedDroppingTheOldestWaitingBatch() {
        let now = ManualClock().now
        var m = machine(options)
        _ = m.enqueue(1, now: now)
        guard case .wake(let retryAt) = m.sendFailed(.retryable(retryAfter: nil), now: now, random: 0.5).first else {
            Issue.record("expected a wake")
            return
        }
        _ = m.enqueue(2, now: now)
        _ = m.enqueue(3, now: now)
        #expect(m.enqueue(4, now: now) == [.drop(1, .overflow)], "the waiting head goes first")
        #expect(m.count == 3)
        #expect(m.retryAt == retryAt, "the next batch inherits the wait")
        #expect(m.timerFired(now: retryAt) == [.send(2)])
        #expect(m.enqueue(5, now: now) == [.drop(3, .overflow)], "the batch on the wire is never dropped")
        #expect(m.count == 3)
    }

    @Test func aFullBufferWaitsForASlowReceiverButDropsForOneThatIsAway() {
        let now = ManualClock().now
        var m = machine(RetryOptions(maxPendingBatches: 2))
        _ = m.enqueue(1, now: now)
        #expect(!m.shouldWaitForRoom)
        _ = m.enqueue(2, now: now)
        #expect(m.shouldWaitForRoom, "full, and the receiver answers: push back")
        _ = m.sendFailed(.retryable(retryAfter: nil), now: now, random: 0.5)
        #expect(!m.shouldWaitForRoom, "the receiver is away: take and drop by policy")
        #expect(m.enqueue(3, now: now) == [.drop(1, .overflow)])
    }

    @Test func dropNewestKeepsTheOldestBatches() {
        let now = ManualClock().now
        var m = machine(RetryOptions(maxPendingBatches: 2, overflow: .dropNewest))
        _ = m.enqueue(1, now: now)
        _ = m.enqueue(2, now: now)
        #expect(m.enqueue(3, now: now) == [.drop(3, .overflow)])
        #expect(m.count == 2)
    }

    @Test func closeDropsWhatWaitsButLetsTheBatchOnTheWireFinish() {
        let now = ManualClock().now
        var m = machine(options)
        _ = m.enqueue(1, now: now)
        _ = m.enqueue(2, now: now)
        _ = m.enqueue(3, now: now)
        #expect(m.close() == [.drop(2, .closed), .drop(3, .closed)])
        #expect(m.sendFailed(.retryable(retryAfter: nil), now: now, random: 0.5) == [.drop(1, .closed)])
        #expect(m.enqueue(4, now: now) == [.drop(4, .closed)])
        #expect(m.isEmpty)
    }

    @Test func invalidOptionsAreClearErrors() {
        #expect(throws: SluiceError.self) { try RetryOptions(maxPendingBatches: 0).validate(sink: "s") }
        #expect(throws: SluiceError.self) { try RetryOptions(jitter: 2).validate(sink: "s") }
        #expect(throws: SluiceError.self) {
            try RetryOptions(initialBackoff: .seconds(2), maxBackoff: .seconds(1)).validate(sink: "s")
        }
    }
}
