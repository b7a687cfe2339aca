import Dispatch
import Foundation
import Sluice
import Testing

/// The stages' state without a pipeline: the rate limit's table, the samplers, the deduplicator and
/// the backtrace rings.
@Suite struct StageStateTests {
    /// Threads hammer one key while another closes windows: every call is either admitted or in
    /// exactly one summary, and never more than the limit is admitted per window.
    @Test func rateLimitCountsEveryCallExactlyOnceUnderConcurrency() {
        let table = RateLimitTable(.perCallSite(100, per: .seconds(3_600)))
        let labelKey = RateLimitTable.labelKey("hot")
        let admitted = LockedValue(0)
        let summaries = LockedValue([RateLimitTable.Summary]())
        let windows = LockedValue(1)
        let producers = DispatchGroup()
        let stop = LockedValue(false)
        for _ in 0..<4 {
            producers.enter()
            Thread {
                var mine = 0
                for _ in 0..<250_000 {
                    if table.admits(
                        level: .info, labelKey: labelKey, label: "hot", file: #fileID, function: #function, line: 42)
                    {
                        mine += 1
                    }
                }
                admitted.withLock { $0 += mine }
                producers.leave()
            }.start()
        }
        let closed = DispatchGroup()
        closed.enter()
        let closer = Thread {
            var now: Int64 = 1
            while !stop.withLock({ $0 }) {
                now += 1
                table.closeWindow(now: now, endingWindow: now % 3 != 0)
                if now % 3 != 0 {
                    windows.withLock { $0 += 1 }
                }
                summaries.withLock { $0 += table.takeSummaries() }
            }
            closed.leave()
        }
        closer.start()
        producers.wait()
        stop.withLock { $0 = true }
        // Once the closer is done, close the last window here.
        closed.wait()
        table.closeWindow(now: .max)
        summaries.withLock { $0 += table.takeSummaries() }
        let suppressed = summaries.withLock { $0.reduce(0) { $0 + $1.suppressed } }
        #expect(admitted.withLock { $0 } + suppressed == 1_000_000)
        #expect(table.suppressed == suppressed)
        #expect(admitted.withLock { $0 } <= 100 * (windows.withLock { $0 } + 1))
        #expect(summaries.withLock { $0 }.allSatisfy { $0.site.label == "hot" && $0.site.line == 42 })
    }

    @Test func rateLimitKeysByCallSiteAndLabelAndExemptsLevels() {
        let table = RateLimitTable(.perCallSite(2, per: .seconds(60), exempting: .warning))
        let a = RateLimitTable.labelKey("a")
        let b = RateLimitTable.labelKey("b")
        func admits(_ key: UInt64, line: UInt, level: LogLevel = .info, file: String = #fileID) -> Bool {
            table.admits(level: level, labelKey: key, label: "x", file: file, function: "f", line: line)
        }
        #expect((0..<5).map { _ in admits(a, line: 1) } == [true, true, false, false, false])
        #expect((0..<3).map { _ in admits(b, line: 1) } == [true, true, false])
        #expect((0..<3).map { _ in admits(a, line: 2) } == [true, true, false])
        #expect((0..<3).map { _ in admits(a, line: 1, level: .warning) } == [true, true, true])
        // A file name built at run time is keyed by its contents.
        let built = String("Module/" + "Built.swift")
        #expect((0..<3).map { _ in admits(a, line: 9, file: built) } == [true, true, false])
        #expect(table.suppressed == 3 + 1 + 1 + 1)
        #expect(table.keys == 4)
    }

    @Test func samplersKeepExactlyOneInNAndCountWhatTheyLeaveOut() {
        let oneIn = Sampler(SamplingRule(label: "", keep: .oneIn(3)))
        let kept = (0..<10).map { _ in oneIn.keeps(.info) }
        #expect(kept == [true, false, false, true, false, false, true, false, false, true])
        #expect(oneIn.sampledOut == 6)
        #expect(oneIn.keeps(.error) && oneIn.sampledOut == 6)
        let never = Sampler(SamplingRule(label: "", keep: .probability(0)))
        #expect((0..<100).allSatisfy { _ in !never.keeps(.debug) } && never.sampledOut == 100)
        let always = Sampler(SamplingRule(label: "", keep: .probability(1)))
        #expect((0..<100).allSatisfy { _ in always.keeps(.debug) } && always.sampledOut == 0)
        let rules = SamplingRules([
            SamplingRule(label: "", keep: .oneIn(2)), SamplingRule(label: "api", keep: .oneIn(3)),
            SamplingRule(label: "api.db", keep: .oneIn(4)),
        ])
        #expect(rules.sampler(for: "api.db.pool")?.rule.label == "api.db")
        #expect(rules.sampler(for: "api.dbx")?.rule.label == "api")
        #expect(rules.sampler(for: "web")?.rule.label == "")
    }

    /// Records for the deduplicator: `message` at `level`, `milliseconds` after a fixed time.
    static func records(_ specs: [(String, Int)]) -> EncodedRecordArray {
        EncodedRecordArray(
            specs.map { message, milliseconds in
                LogRecord(
                    timestamp: LogTimestamp(nanosecondsSinceEpoch: 1_000_000_000_000 + Int64(milliseconds) * 1_000_000),
                    level: .info, label: "d", message: message, metadata: ["k": 1])
            })
    }

    @Test func deduplicationDecidesLikeRsyslogWithinItsWindow() {
        var dedup = Deduplicator(window: .milliseconds(100))
        let input = Self.records([("A", 0), ("A", 10), ("A", 20), ("B", 30), ("B", 40), ("B", 200), ("C", 210)])
        let decisions = (0..<7).map { dedup.observe(input.batch.records[$0]) }
        #expect(
            decisions == [
                .distinct(endedRun: 0), .repeated(replacedHeld: false), .repeated(replacedHeld: true),
                .distinct(endedRun: 2), .repeated(replacedHeld: false),
                // Outside B's window: the run ends and this B starts afresh.
                .distinct(endedRun: 1), .distinct(endedRun: 0),
            ])
        #expect(dedup.held.record.decoded().message == "B")
    }

    @Test func backtraceRingsPushOutTheOldestAndTheLeastRecentlyUsed() {
        var rings = BacktraceRings(Backtrace(capacity: 2, maximumRings: 2))
        let records = EncodedRecordArray(
            ["a", "a", "a", "b", "c", "a"].enumerated().map { index, label in
                LogRecord(level: .debug, label: label, message: "\(label)\(index)")
            })
        let pushedOut = (0..<6).map { rings.hold(records.batch.records[$0]) }
        // a, a, a (pushes a0 out), b, c (a new ring: the least recently used, a's, goes with its two),
        // a (a new ring: b's goes).
        #expect(pushedOut == [0, 0, 1, 0, 2, 1])
        #expect(rings.held == 2)
        var released: [String] = []
        rings.release(for: records.batch.records[4]) { released.append($0.decoded().message) }
        #expect(released == ["c4"] && rings.held == 1)
        #expect(rings.discardAll() == 1 && rings.held == 0)
    }
}
