import Sluice
import Testing

/// A batch whose delivery outcome is unknown (the PostgreSQL sink's lost `COMMIT` answer) must be
/// retried until an attempt can tell, never dropped for overflow, which could count as dropped what
/// the receiver holds.
@Suite struct DeliveryInDoubtTests {
    typealias Machine = DeliveryStateMachine<ManualClock>

    let options = RetryOptions(
        initialBackoff: .milliseconds(100), maxBackoff: .seconds(1), jitter: 0, retryBudget: .seconds(5),
        maxPendingBatches: 2, overflow: .dropOldest)

    @Test func aBatchInDoubtIsSparedByOverflowAndRetried() {
        var clock = ManualClock()
        var m = Machine(options: options, convert: { $0 })
        #expect(m.enqueue(1, now: clock.now) == [.send(1)])
        #expect(
            m.sendFailed(.inDoubt, now: clock.now, random: 0.5) == [
                .wake(at: clock.now.advanced(by: .milliseconds(100)))
            ])
        #expect(m.enqueue(2, now: clock.now) == [])
        #expect(m.enqueue(3, now: clock.now) == [.drop(2, .overflow)], "the next oldest goes, not the batch in doubt")
        #expect(m.enqueue(4, now: clock.now) == [.drop(3, .overflow)])
        clock.now = clock.now.advanced(by: .milliseconds(100))
        #expect(m.timerFired(now: clock.now) == [.send(1)])
        #expect(m.sendSucceeded(now: clock.now) == [.send(4)])
    }

    @Test func anOrdinaryFailureLeavesTheHeadToOverflowAsBefore() {
        let clock = ManualClock()
        var m = Machine(options: options, convert: { $0 })
        _ = m.enqueue(1, now: clock.now)
        _ = m.sendFailed(.inDoubt, now: clock.now, random: 0.5)
        _ = m.timerFired(now: clock.now.advanced(by: .milliseconds(100)))
        // The next attempt settled the doubt (the receiver is merely away): the head is ordinary again.
        _ = m.sendFailed(.retryable(retryAfter: nil), now: clock.now.advanced(by: .milliseconds(100)), random: 0.5)
        _ = m.enqueue(2, now: clock.now)
        #expect(m.enqueue(3, now: clock.now) == [.drop(1, .overflow)])
    }

    @Test func aBatchInDoubtIsStillGivenUpWhenTheRetryBudgetRunsOut() {
        var clock = ManualClock()
        var m = Machine(options: options, convert: { $0 })
        _ = m.enqueue(1, now: clock.now)
        var actions = m.sendFailed(.inDoubt, now: clock.now, random: 0.5)
        while case .wake(let at) = actions.first {
            clock.now = at
            #expect(m.timerFired(now: clock.now) == [.send(1)])
            actions = m.sendFailed(.inDoubt, now: clock.now, random: 0.5)
        }
        #expect(actions == [.drop(1, .retryBudgetExhausted)])
        #expect(clock.now.offset <= .seconds(5))
        #expect(m.isEmpty)
    }
}
