import Dispatch
import Sluice
import Testing

/// The channel the collector reads: wake-ups coalesce, barriers keep their order, a waiting reader
/// is woken from another thread, and nothing is lost or read after `finish()`.
@Suite struct CollectorEventsTests {
    private static func names(_ events: CollectorEvents, count: Int) async -> [String] {
        var names: [String] = []
        for _ in 0..<count {
            guard let event = await events.next() else {
                names.append("end")
                continue
            }
            names.append(describe(event))
        }
        return names
    }

    private static func describe(_ event: CollectorEvent) -> String {
        switch event {
        case .recordsAvailable: "records"
        case .batchReady: "batch"
        case .pressure: "pressure"
        case .tick: "tick"
        case .stageTick: "stageTick"
        case .flush: "flush"
        case .flushOnLevel: "flushOnLevel"
        case .reopen: "reopen"
        case .shutdown: "shutdown"
        }
    }

    @Test func repeatedWakeUpsArriveOnceAndPressureComesFirst() async {
        let events = CollectorEvents()
        for _ in 0..<1_000 {
            events.yield(.batchReady)
            events.yield(.recordsAvailable)
            events.yield(.tick)
        }
        events.yield(.pressure)
        events.finish()
        #expect(await Self.names(events, count: 5) == ["pressure", "batch", "records", "tick", "end"])
    }

    @Test func barriersAndShutdownKeepTheirOrder() async {
        let events = CollectorEvents()
        let first = FlushBarrier(sinkNames: ["a"])
        let second = FlushBarrier(sinkNames: ["a"])
        events.yield(.flush(first))
        events.yield(.reopen(second))
        events.yield(.shutdown(deadline: .now))
        events.finish()
        var barriers: [FlushBarrier] = []
        var names: [String] = []
        while let event = await events.next() {
            names.append(Self.describe(event))
            switch event {
            case .flush(let barrier), .reopen(let barrier): barriers.append(barrier)
            default: break
            }
        }
        #expect(names == ["flush", "reopen", "shutdown"])
        #expect(barriers.count == 2 && barriers[0] === first && barriers[1] === second)
    }

    /// Producers completing batches all the time keep a wake-up pending whenever the collector
    /// looks; a shutdown (or barrier) must still get through at once.
    @Test func aShutdownIsNotHeldBackByWakeUpsThatKeepComing() async {
        let events = CollectorEvents()
        events.yield(.batchReady)
        events.yield(.shutdown(deadline: .now))
        var reads: [String] = []
        for _ in 0..<3 {
            guard let event = await events.next() else { break }
            reads.append(Self.describe(event))
            // Another batch completed while the collector handled the last event.
            events.yield(.batchReady)
        }
        #expect(reads == ["shutdown", "batch", "batch"])
    }

    @Test func aWaitingReaderIsWokenFromAnotherThread() async {
        let events = CollectorEvents()
        let reader = Task { await events.next().map(Self.describe) }
        // Whether the reader is already waiting or not yet, the event must reach it exactly once.
        DispatchQueue.global().async {
            events.yield(.recordsAvailable)
        }
        #expect(await reader.value == "records")
        events.finish()
        #expect(await events.next() == nil)
    }

    @Test func afterFinishNothingIsAcceptedAndAWaitingReaderEnds() async {
        let events = CollectorEvents()
        let reader = Task { await events.next() }
        events.finish()
        #expect(await reader.value == nil)
        events.yield(.batchReady)
        events.yield(.flush(FlushBarrier(sinkNames: [])))
        #expect(await events.next() == nil)
    }

    /// Many producers waking one reader that handles each wake-up as the collector does: no wake-up
    /// is lost, so the reader sees the last producer's mark.
    @Test func noWakeUpIsLostBetweenManyProducersAndOneReader() async {
        let events = CollectorEvents()
        let produced = LockedValue(0)
        let threads = 4
        let perThread = 20_000
        let done = DispatchGroup()
        for _ in 0..<threads {
            done.enter()
            DispatchQueue.global().async {
                for _ in 0..<perThread {
                    produced.withLock { $0 += 1 }
                    events.yield(.recordsAvailable)
                }
                done.leave()
            }
        }
        let finisher = Task.detached {
            done.wait()
            events.finish()
        }
        var seen = 0
        while await events.next() != nil {
            // As the collector reads the pending count when it handles a wake-up.
            seen = produced.withLock { $0 }
        }
        await finisher.value
        #expect(seen == threads * perThread)
    }
}
