import Dispatch
import Foundation
import Sluice
import SluiceTesting
import Testing

/// The whole pipeline with real threads, real sinks and real timing (timeouts are generous guards).
// Serialized: some tests here park every thread of the cooperative pool on purpose (the `block`
// policy with many producer tasks); run alongside them, `flushWithAHungSinkTimesOutInTime` measured
// the pool's starvation instead of the flush timeout (over 10 s under ThreadSanitizer).
@Suite(.serialized, .timeLimit(.minutes(3))) struct PipelineTests {
    func makePipeline(
        _ sinks: [any LogSink],
        level: LogLevel = .trace,
        labelLevels: [String: LogLevel] = [:],
        batching: BatchingOptions = BatchingOptions(maxRecords: 128, maxDelay: .milliseconds(5)),
        queue: QueueOptions = QueueOptions(overflow: .block),
        delivery: DeliveryOptions = DeliveryOptions(),
        errors: ErrorCollector? = nil
    ) throws -> LogPipeline {
        try LogPipeline(
            sinks: sinks,
            level: level,
            labelLevels: labelLevels,
            levelEnvironmentVariable: nil,
            batching: batching,
            queue: queue,
            delivery: delivery,
            onInternalError: errors?.handler ?? .ignore
        )
    }

    @Test func perProducerOrderIsPreserved() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline([memory], queue: QueueOptions(capacity: 1_000, overflow: .block))
        let producers = 8
        let perProducer = 5_000
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                let log = pipeline.logger(label: "p\(producer)")
                group.addTask {
                    for i in 0..<perProducer {
                        log.info("m", metadata: ["i": .integer(i)])
                    }
                }
            }
        }
        let report = await pipeline.shutdown()
        #expect(!report.timedOut)
        let records = memory.records
        #expect(records.count == producers * perProducer)
        #expect(records.map(\.sequence) == Array(1...UInt64(producers * perProducer)))
        for producer in 0..<producers {
            let indexes = records.filter { $0.label == "p\(producer)" }.compactMap { record -> Int? in
                if case .integer(let i) = record.metadata["i"] { return i }
                return nil
            }
            #expect(indexes == Array(0..<perProducer))
        }
    }

    @Test func hundredTasksTimesTenThousandUnderBlockAreAllWrittenExactlyOnce() async throws {
        let total = 100 * 10_000
        let sink = SequenceSink(expected: total)
        let pipeline = try makePipeline(
            [sink], batching: BatchingOptions(maxRecords: 512), queue: QueueOptions(capacity: 65_536, overflow: .block))
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<100 {
                let log = pipeline.logger(label: "t\(task)")
                group.addTask {
                    for _ in 0..<10_000 {
                        log.info("request handled")
                    }
                }
            }
        }
        let report = await pipeline.shutdown(timeout: .seconds(60))
        let summary = sink.summary
        #expect(summary.total == total)
        #expect(summary.missing == 0)
        #expect(summary.duplicates == 0)
        #expect(summary.outOfRange == 0)
        #expect(report.stats.logged == total)
        #expect(report.stats.written == total)
        #expect(report.stats.dropped.total == 0)
        #expect(report.stats.inFlight == 0)
    }

    @Test func blockWithEightTimesMoreProducerTasksThanCoresDoesNotDeadlock() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline(
            [memory],
            batching: BatchingOptions(maxRecords: 16, maxDelay: .milliseconds(1)),
            queue: QueueOptions(capacity: 64, overflow: .block)
        )
        let tasks = ProcessInfo.processInfo.activeProcessorCount * 8
        let perTask = 2_000
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                let log = pipeline.logger(label: "t\(task)")
                group.addTask {
                    for i in 0..<perTask {
                        log.debug("tick", metadata: ["i": .integer(i)])
                    }
                }
            }
        }
        let report = await pipeline.shutdown()
        #expect(memory.records.count == tasks * perTask)
        #expect(report.stats.dropped.total == 0)
        #expect(report.stats.queueHighWaterMark == 64, "producers really had to wait for room")
    }

    @Test func loggingFromPlainThreadsWorks() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline(
            [memory],
            batching: BatchingOptions(maxRecords: 16, maxDelay: .milliseconds(1)),
            queue: QueueOptions(capacity: 32, overflow: .block)
        )
        let log = pipeline.logger(label: "thread")
        let group = DispatchGroup()
        for t in 0..<4 {
            group.enter()
            let thread = Thread {
                for i in 0..<1_000 {
                    log.notice("from a thread", metadata: ["t": .integer(t), "i": .integer(i)])
                }
                group.leave()
            }
            thread.start()
        }
        await withCheckedContinuation { continuation in
            group.notify(queue: .global()) { continuation.resume() }
        }
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        #expect(memory.records.count == 4_000)
        await pipeline.shutdown()
    }

    @Test func batchesCloseBySizeAndHoldThePartialBatchUntilItsDeadline() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline([memory], batching: BatchingOptions(maxRecords: 100, maxDelay: .seconds(3600)))
        let log = pipeline.logger(label: "size")
        for i in 0..<250 {
            log.info("r\(i)")
        }
        #expect(await memory.waitForRecords(count: 200))
        #expect(memory.records.count == 200, "the last 50 wait for their (one-hour) deadline")
        #expect(pipeline.stats.batches == 2)
        #expect(await pipeline.flush() == .completed)
        #expect(memory.records.count == 250)
        await pipeline.shutdown()
    }

    @Test func aPartialBatchIsDeliveredAfterMaxDelayWithoutAFlush() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline(
            [memory], batching: BatchingOptions(maxRecords: 1_000, maxDelay: .milliseconds(20)))
        pipeline.logger(label: "time").info("alone")
        #expect(await memory.waitForRecords(count: 1, timeout: .seconds(30)))
        #expect(memory.flushCount == 0)
        await pipeline.shutdown()
    }

    @Test func flushIsABarrierForEverythingLoggedBeforeIt() async throws {
        let memory = MemorySink()
        let file = MemorySink(level: .warning, name: "warnings")
        let pipeline = try makePipeline(
            [memory, file], batching: BatchingOptions(maxRecords: 512, maxDelay: .seconds(3600)))
        let log = pipeline.logger(label: "flush")
        for i in 0..<1_000 {
            log.log(level: i % 10 == 0 ? .warning : .debug, "r\(i)")
        }
        #expect(await pipeline.flush() == .completed)
        #expect(memory.records.count == 1_000)
        #expect(file.records.count == 100)
        #expect(memory.flushCount == 1 && file.flushCount == 1)
        #expect(pipeline.stats.flushes == 1)
        await pipeline.shutdown()
    }

    @Test func concurrentFlushesWhileLoggingAllComplete() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline([memory])
        let log = pipeline.logger(label: "busy")
        let results = await withTaskGroup(of: FlushResult?.self) { group in
            group.addTask {
                for i in 0..<20_000 {
                    log.info("r\(i)")
                }
                return nil
            }
            for _ in 0..<20 {
                group.addTask { await pipeline.flush(timeout: .seconds(60)) }
            }
            var results: [FlushResult] = []
            for await result in group {
                if let result { results.append(result) }
            }
            return results
        }
        #expect(results.count == 20)
        #expect(results.allSatisfy { $0 == .completed })
        await pipeline.shutdown()
        #expect(memory.records.count == 20_000)
    }

    @Test func flushWithAHungSinkTimesOutInTime() async throws {
        let gate = GateSink()
        let memory = MemorySink()
        // The gate is hung for as long as the test takes, which under ThreadSanitizer on a loaded
        // machine can pass the default stall timeout (5 s): then its batches would be dropped and
        // this test would be about stalls, not flushes.
        let pipeline = try makePipeline([gate, memory], delivery: DeliveryOptions(stallTimeout: .seconds(3_600)))
        let log = pipeline.logger(label: "hung")
        for i in 0..<100 {
            log.info("r\(i)")
        }
        let start = ContinuousClock.now
        let result = await pipeline.flush(timeout: .milliseconds(200))
        let elapsed = start.duration(to: .now)
        guard case .timedOut(let pending) = result else {
            Issue.record("a flush with a hung sink returned \(result)")
            return
        }
        // The healthy sink is usually done within the 200 ms too, but on a loaded machine it need
        // not be; the flush below, with time enough, tells them apart exactly.
        #expect(pending.contains("gate"))
        #expect(elapsed >= .milliseconds(200))
        #expect(elapsed < .seconds(10))
        #expect(
            await memory.waitForRecords(count: 100, timeout: .seconds(30)),
            "the healthy sink gets everything all the same")
        #expect(await pipeline.flush(timeout: .seconds(5)) == .timedOut(pendingSinks: ["gate"]))
        await gate.open()
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        #expect(await gate.received.count == 100)
        await pipeline.shutdown()
    }

    @Test func cancellingAFlushReturnsPromptly() async throws {
        let gate = GateSink()
        let pipeline = try makePipeline([gate])
        pipeline.logger(label: "c").info("x")
        let task = Task { await pipeline.flush() }
        task.cancel()
        #expect(await task.value == .cancelled(pendingSinks: ["gate"]))
        await gate.open()
        await pipeline.shutdown()
    }

    @Test func shutdownDrainsEverythingAndClosesSinks() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline([memory], batching: BatchingOptions(maxRecords: 512, maxDelay: .seconds(3600)))
        let log = pipeline.logger(label: "drain")
        for i in 0..<10_000 {
            log.info("r\(i)")
        }
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(!report.timedOut)
        #expect(report.unfinishedSinks.isEmpty)
        #expect(memory.records.count == 10_000)
        #expect(memory.isClosed)
        #expect(memory.flushCount >= 1)
        #expect(report.stats.state == .stopped)
        #expect(report.stats.inFlight == 0)
        #expect(report.stats.logged == 10_000 && report.stats.written == 10_000)
        #expect(report.stats.sinks[0].status == .closed)
    }

    @Test func shutdownIsIdempotentAndConcurrentCallersShareTheReport() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline([memory])
        pipeline.logger(label: "x").info("one")
        let reports = await withTaskGroup(of: ShutdownReport.self) { group in
            for _ in 0..<10 {
                group.addTask { await pipeline.shutdown() }
            }
            var reports: [ShutdownReport] = []
            for await report in group {
                reports.append(report)
            }
            return reports
        }
        #expect(Set(reports).count == 1)
        #expect(await pipeline.shutdown() == reports[0])
        #expect(await pipeline.flush() == .completed)
    }

    @Test func loggingAfterShutdownIsCountedApartFromLosses() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline([memory])
        let log = pipeline.logger(label: "late")
        log.info("before")
        await pipeline.shutdown()
        for _ in 0..<5 {
            log.error("after")
        }
        #expect(log.submit(.error, "after too") == .dropped(.afterShutdown))
        let stats = pipeline.stats
        #expect(stats.dropped.afterShutdown == 6)
        #expect(stats.dropped.total == 0, "not a loss: an alert on drops must not fire on a clean shutdown")
        #expect(stats.logged == 1 && stats.written == 1)
        #expect(stats.isBalanced && stats.inFlight == 0)
        #expect(memory.messages == ["before"])
    }

    @Test func loggingWhileShuttingDownIsALoss() async throws {
        let gate = GateSink()
        let pipeline = try makePipeline([gate])
        let log = pipeline.logger(label: "late")
        log.info("before")
        let shutdown = Task { await pipeline.shutdown(timeout: .seconds(30)) }
        // The shutdown waits for the gate, so the pipeline is draining, not stopped.
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while pipeline.stats.state != .draining && ContinuousClock.now < deadline {
            await Task.yield()
        }
        #expect(log.submit(.info, "during") == .dropped(.shutdown))
        await gate.open()
        let report = await shutdown.value
        #expect(report.stats.dropped.shutdown == 1 && report.stats.dropped.afterShutdown == 0)
        #expect(report.stats.logged == 2 && report.stats.written == 1 && report.stats.isBalanced)
    }

    @Test(arguments: [OverflowPolicy.dropOldest, .dropNewest])
    func overflowKeepsTheRightRecordsAndCountsTheRest(policy: OverflowPolicy) async throws {
        let gate = GateSink()
        let pipeline = try makePipeline(
            [gate],
            // Batches close only when full, so the collector's holdings below are exact.
            batching: BatchingOptions(maxRecords: 10, maxDelay: .seconds(600)),
            queue: QueueOptions(capacity: 100, overflow: policy),
            delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .seconds(600))
        )
        let log = pipeline.logger(label: "flood")
        // First fill everything behind the queue: one batch in the gate's write, one in its inbox,
        // one the collector holds while it waits for room. Only then flood, so what the queue
        // keeps does not depend on when the collector's thread happened to run.
        for i in 0..<30 {
            log.debug("debug \(i)")
        }
        var held = pipeline.stats
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while !(held.queueDepth == 0 && held.inFlight == 30) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
            held = pipeline.stats
        }
        #expect(held.queueDepth == 0 && held.inFlight == 30, "the collector holds three batches: \(held)")
        let errorsAt: Set<Int> = [300, 600, 998]
        for i in 30..<1_000 {
            if errorsAt.contains(i) {
                log.error("error \(i)")
            } else {
                log.debug("debug \(i)")
            }
        }
        let beforeRelease = pipeline.stats
        #expect(beforeRelease.dropped.overflow > 0)
        #expect(beforeRelease.isBalanced)
        await gate.open()
        let report = await pipeline.shutdown(timeout: .seconds(30))
        let written = await gate.received.map(\.message)
        #expect(!report.timedOut)
        #expect(report.stats.logged == 1_000)
        #expect(report.stats.written + report.stats.dropped.total == 1_000)
        #expect(report.stats.written == written.count)
        #expect(report.stats.dropped.overflow == 1_000 - written.count)
        #expect(report.stats.dropped.sinkFailure == 0)
        for i in errorsAt {
            #expect(written.contains("error \(i)"), "error records survive a flood of debug records")
        }
        if policy == .dropOldest {
            #expect(written.contains("debug 999"), "dropOldest keeps the newest records")
            // Only the three batches held before the flood survive from before the queue's final
            // window.
            let older = written.filter { $0.hasPrefix("debug ") && Int($0.dropFirst(6))! < 1_000 - 100 }
            #expect(older == (0..<30).map { "debug \($0)" }, "only the held records from before the final window")
        } else {
            #expect(!written.contains("debug 999"), "dropNewest discards the newest records")
            #expect(written.contains("debug 50") && written.contains("debug 120"), "the oldest queued records stay")
            #expect(!written.contains("debug 130"), "nothing after the queue filled")
        }
    }

    @Test func aThrowingSinkLeavesTheOtherSinksComplete() async throws {
        let failing = ThrowingSink()
        let memory = MemorySink()
        let errors = ErrorCollector()
        let pipeline = try makePipeline([failing, memory], errors: errors)
        let log = pipeline.logger(label: "fail")
        for i in 0..<1_000 {
            log.info("r\(i)")
        }
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        #expect(memory.records.count == 1_000)
        let stats = pipeline.stats
        #expect(stats.written == 1_000, "written by at least one sink")
        #expect(stats.sinks[0].written == 0)
        #expect(stats.sinks[0].dropped.sinkFailure == 1_000)
        #expect(stats.sinks[0].errors == stats.sinks[0].batches)
        #expect(stats.sinks[0].status == .failing(consecutiveFailures: stats.sinks[0].errors))
        #expect(stats.sinks[0].lastError?.contains("simulated failure") == true)
        #expect(stats.sinks[1].written == 1_000)
        #expect(errors.all.contains { $0.kind == .writeFailed && $0.sinkName == "throwing" })
        await pipeline.shutdown()
    }

    @Test func recordsNoSinkWroteAreDroppedForSinkFailure() async throws {
        let pipeline = try makePipeline([ThrowingSink()])
        for i in 0..<50 {
            pipeline.logger(label: "x").info("r\(i)")
        }
        let report = await pipeline.shutdown()
        #expect(report.stats.dropped.sinkFailure == 50)
        #expect(report.stats.written == 0)
        #expect(report.stats.isBalanced && report.stats.inFlight == 0)
    }

    @Test func aHungSinkDoesNotStallTheOthers() async throws {
        let blocked = BlockingSink()
        let memory = MemorySink()
        let errors = ErrorCollector()
        let pipeline = try makePipeline(
            [blocked, memory],
            batching: BatchingOptions(maxRecords: 100, maxDelay: .milliseconds(1)),
            delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .milliseconds(100)),
            errors: errors
        )
        let log = pipeline.logger(label: "stall")
        for i in 0..<5_000 {
            log.info("r\(i)")
        }
        #expect(await memory.waitForRecords(count: 5_000, timeout: .seconds(60)))
        #expect(pipeline.health.sinks[0].status == .stalled)
        #expect(!pipeline.health.isReady)
        #expect(await pipeline.flush(timeout: .milliseconds(300)) == .timedOut(pendingSinks: ["blocked"]))
        #expect(errors.all.contains { $0.kind == .sinkStalled && $0.sinkName == "blocked" })

        let report = await pipeline.shutdown(timeout: .milliseconds(500))
        #expect(report.timedOut)
        #expect(report.unfinishedSinks == ["blocked"])
        #expect(report.stats.inFlight == 0)
        #expect(report.stats.isBalanced)
        #expect(report.stats.written == 5_000)
        #expect(report.stats.sinks[0].written == 0)
        #expect(report.stats.sinks[0].dropped.total == 5_000)
        #expect(report.stats.sinks[1].written == 5_000)
        #expect(errors.all.contains { $0.kind == .shutdownTimedOut })
        blocked.release()
    }

    @Test func shutdownDeadlineCountsWhatIsStillPendingAsDropped() async throws {
        let gate = GateSink()
        let pipeline = try makePipeline([gate], batching: BatchingOptions(maxRecords: 10, maxDelay: .milliseconds(1)))
        let log = pipeline.logger(label: "deadline")
        for i in 0..<35 {
            log.info("r\(i)")
        }
        let report = await pipeline.shutdown(timeout: .milliseconds(200))
        #expect(report.timedOut)
        #expect(report.stats.written == 0)
        #expect(report.stats.dropped.shutdown == 35)
        #expect(report.stats.inFlight == 0)
        await gate.open()
    }

    @Test func statsSnapshotsAreAlwaysBalanced() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline([memory], queue: QueueOptions(capacity: 256, overflow: .dropOldest))
        let log = pipeline.logger(label: "stats")
        let producer = Task {
            for i in 0..<50_000 {
                log.info("r\(i)")
            }
        }
        var snapshots = 0
        while !producer.isCancelled && snapshots < 2_000 {
            let stats = pipeline.stats
            #expect(stats.isBalanced, "\(stats)")
            snapshots += 1
            if stats.logged == 50_000 { break }
            await Task.yield()
        }
        await producer.value
        let report = await pipeline.shutdown()
        #expect(report.stats.isBalanced && report.stats.inFlight == 0)
        #expect(report.stats.logged == 50_000)
        #expect(report.stats.written == memory.records.count)
        #expect(report.stats.meanLatency > .zero && report.stats.maxLatency >= report.stats.meanLatency)
        #expect(report.stats.queueHighWaterMark <= 256)
        #expect(report.stats.uptime > .zero)
    }

    /// Under `block`, callers waiting for room are logged but not yet queued: they count as in
    /// flight, so every snapshot balances while they wait.
    @Test func statsBalanceWhileProducersWaitUnderBlock() async throws {
        let gate = GateSink()
        let pipeline = try makePipeline(
            [gate], batching: BatchingOptions(maxRecords: 8, maxDelay: .milliseconds(1)),
            queue: QueueOptions(capacity: 16, overflow: .block),
            delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .seconds(600)))
        let log = pipeline.logger(label: "waiting")
        // Plain threads: parked producers must not take the cooperative pool from this test.
        let done = DispatchGroup()
        for producer in 0..<4 {
            done.enter()
            Thread {
                for i in 0..<200 {
                    log.info("p\(producer) \(i)")
                }
                done.leave()
            }.start()
        }
        // The gate holds the sink, so at most three batches are out (in the gate, its inbox and the
        // collector's hands), the queue fills, and all four producers end up waiting for room: 800
        // records do not fit. Every snapshot on the way there, and while they wait, balances.
        var sawEveryoneWaiting = false
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while ContinuousClock.now < deadline {
            let waitingBefore = pipeline.core.waitingCallers
            let stats = pipeline.stats
            #expect(stats.isBalanced, "\(stats)")
            if waitingBefore == 4 {
                sawEveryoneWaiting = true
                #expect(stats.inFlight == stats.logged && stats.queueDepth <= 16, "\(stats)")
                break
            }
            await Task.yield()
        }
        #expect(sawEveryoneWaiting, "producers were waiting for room: \(pipeline.stats)")
        await gate.open()
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                done.wait()
                continuation.resume()
            }
        }
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.logged == 800 && report.stats.written == 800 && report.stats.isBalanced)
    }

    /// Callers waiting for room when shutdown begins still get in, and the collector takes what they
    /// store even though no batch deadline is pending: shutdown finishes long before its deadline.
    @Test func shutdownTakesRecordsFromCallersThatWereWaiting() async throws {
        for round in 0..<50 {
            let gate = GateSink()
            let pipeline = try makePipeline(
                [gate], batching: BatchingOptions(maxRecords: 4, maxDelay: .seconds(600)),
                queue: QueueOptions(capacity: 4, overflow: .block),
                delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .seconds(600)))
            let log = pipeline.logger(label: "late")
            let done = DispatchGroup()
            for producer in 0..<3 {
                done.enter()
                Thread {
                    for i in 0..<20 {
                        log.info("r\(round) p\(producer) \(i)")
                    }
                    done.leave()
                }.start()
            }
            // Wait until the pipeline is full, then shut down while producers are parked. A full queue
            // must reach the collector even while it waits for a (600 s) batch deadline, so it fills
            // three batches (however small the queue made them): one in the gate, one in the inbox, one
            // in the collector's hands, waiting for room in the inbox; then the queue fills again.
            func isFull(_ stats: PipelineStats) -> Bool { stats.batches >= 3 && stats.queueDepth == 4 }
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            while !isFull(pipeline.stats) && ContinuousClock.now < deadline {
                await Task.yield()
            }
            let full = pipeline.stats
            #expect(isFull(full), "round \(round): a full queue was left waiting: \(full)")
            let shutdown = Task { await pipeline.shutdown(timeout: .seconds(5)) }
            await gate.open()
            let report = await shutdown.value
            #expect(!report.timedOut, "round \(round): \(report.stats)")
            #expect(report.duration < .seconds(4), "round \(round)")
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    done.wait()
                    continuation.resume()
                }
            }
            // Calls made after shutdown began are dropped, or counted apart once it finished (read the
            // stats once every producer is done); every other one is written.
            let stats = pipeline.stats
            #expect(
                stats.written + stats.dropped.shutdown + stats.dropped.afterShutdown == 60,
                "round \(round): \(stats)")
            #expect(stats.dropped.overflow == 0 && stats.dropped.sinkFailure == 0, "round \(round)")
            #expect(stats.isBalanced && stats.inFlight == 0)
        }
    }

    @Test func disabledLevelsDoNotEvaluateTheirMessageOrMetadata() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline([memory], level: .info)
        let log = pipeline.logger(label: "lazy")
        let evaluations = LockedValue(0)
        func expensive() -> String {
            evaluations.withLock { $0 += 1 }
            return "expensive"
        }
        func expensiveMetadata() -> LogMetadata {
            evaluations.withLock { $0 += 1 }
            return ["k": "v"]
        }
        log.trace(expensive(), metadata: expensiveMetadata())
        log.debug(expensive(), metadata: expensiveMetadata())
        log.log(level: .debug, expensive())
        #expect(evaluations.withLock { $0 } == 0)
        #expect(!log.isEnabled(.debug) && log.isEnabled(.info))
        log.info(expensive(), metadata: expensiveMetadata())
        #expect(evaluations.withLock { $0 } == 2)
        await pipeline.shutdown()
        #expect(memory.records.count == 1)
        #expect(pipeline.stats.logged == 1)
    }

    @Test func sinkLevelsRaiseTheLoggerThreshold() async throws {
        let pipeline = try makePipeline([MemorySink(level: .warning)], level: .trace)
        let log = pipeline.logger(label: "x")
        #expect(!log.isEnabled(.info), "no sink takes info records, so they are not even queued")
        #expect(log.isEnabled(.warning))
        await pipeline.shutdown()
    }

    @Test func labelLevelsApplyToChildren() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline([memory], level: .info, labelLevels: ["api.db": .debug])
        let api = pipeline.logger(label: "api")
        let db = api.child("db", metadata: ["pool": "main"])
        let pool = db.child("pool")
        api.debug("api debug")
        db.debug("db debug")
        pool.debug("pool debug")
        pipeline.logger(label: "api.dbx").debug("dbx debug")
        var custom = api
        custom.level = .trace
        custom.trace("raised")
        await pipeline.shutdown()
        #expect(memory.messages == ["db debug", "pool debug", "raised"])
        #expect(db.label == "api.db" && pool.label == "api.db.pool")
        #expect(memory.records[1].metadata["pool"] == "main")
    }

    @Test func metadataPrecedenceIsCallSiteThenLoggerThenContext() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline([memory])
        let log = pipeline.logger(label: "ctx", metadata: ["k": "logger", "service": "api"])
        await LogContext.withMetadata(["k": "outer", "request_id": "abc", "trace": "t1"]) {
            await LogContext.withMetadata(["trace": "t2"]) {
                log.info("inner", metadata: ["k": "call"])
                async let child: Void = { log.info("child task") }()
                await child
            }
            log.info("outer")
        }
        LogContext.withMetadata(["sync": true]) {
            log.info("sync scope")
        }
        log.info("no context")
        await pipeline.shutdown()
        let records = memory.records
        #expect(records[0].metadata == ["k": "call", "service": "api", "request_id": "abc", "trace": "t2"])
        #expect(records[1].metadata == ["k": "logger", "service": "api", "request_id": "abc", "trace": "t2"])
        #expect(records[2].metadata["trace"] == "t1")
        #expect(records[3].metadata["sync"] == true)
        #expect(records[4].metadata == ["k": "logger", "service": "api"])
    }

    @Test func recordsCarryTimestampSourceAndSequence() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline([memory])
        let before = LogTimestamp.now()
        let line = #line + 1
        pipeline.logger(label: "src").warning("here")
        let after = LogTimestamp.now()
        await pipeline.shutdown()
        let record = try #require(memory.records.first)
        #expect(record.timestamp >= before && record.timestamp <= after)
        #expect(record.source.file.hasSuffix("PipelineTests.swift"))
        #expect(record.source.line == UInt(line))
        #expect(record.source.function.hasPrefix("recordsCarryTimestampSourceAndSequence"))
        #expect(record.sequence == 1)
        #expect(record.level == .warning && record.label == "src")
    }

    @Test func healthReflectsTheLifecycle() async throws {
        let pipeline = try makePipeline([MemorySink()])
        let health = pipeline.health
        #expect(health.state == .running && health.isReady && health.queueFillRatio == 0)
        #expect(health.sinks == [SinkHealth(name: "memory", status: .healthy)])
        await pipeline.shutdown()
        #expect(pipeline.health.state == .stopped)
        #expect(!pipeline.health.isReady)
    }

    @Test func duplicateSinkNamesAreMadeUnique() async throws {
        let pipeline = try makePipeline([MemorySink(), MemorySink(), MemorySink(name: "other")])
        #expect(pipeline.sinkNames == ["memory", "memory#2", "other"])
        await pipeline.shutdown()
    }

    @Test func invalidConfigurationsThrowActionableErrors() {
        let cases: [(String, () throws -> LogPipeline)] = [
            ("at least one sink", { try makePipeline([]) }),
            ("capacity", { try makePipeline([MemorySink()], queue: QueueOptions(capacity: 0)) }),
            ("maxBytes", { try makePipeline([MemorySink()], queue: QueueOptions(maxBytes: 4_096)) }),
            ("at most 4 GiB", { try makePipeline([MemorySink()], queue: QueueOptions(maxBytes: 1 << 40)) }),
            ("maxRecords", { try makePipeline([MemorySink()], batching: BatchingOptions(maxRecords: 0)) }),
            (
                "larger than the queue capacity",
                {
                    try makePipeline(
                        [MemorySink()], batching: BatchingOptions(maxRecords: 100), queue: QueueOptions(capacity: 10))
                }
            ),
            ("inboxCapacity", { try makePipeline([MemorySink()], delivery: DeliveryOptions(inboxCapacity: 0)) }),
            ("stallTimeout", { try makePipeline([MemorySink()], delivery: DeliveryOptions(stallTimeout: .zero)) }),
            ("shutdownTimeout", { try LogPipeline(sinks: [MemorySink()], shutdownTimeout: .seconds(-1)) }),
        ]
        for (phrase, make) in cases {
            do {
                _ = try make()
                Issue.record("expected an error mentioning '\(phrase)'")
            } catch let error as SluiceError {
                #expect(error.code == .invalidConfiguration)
                #expect(error.message.contains(phrase), "\(error.message)")
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test func levelEnvironmentVariableOverridesTheCode() async throws {
        let variable = "SLUICE_TEST_LEVEL_\(UInt64.random(in: 0...UInt64.max))"
        setenv(variable, "warning,api.db=debug", 1)
        defer { unsetenv(variable) }
        let memory = MemorySink()
        let pipeline = try LogPipeline(
            sinks: [memory], level: .trace, levelEnvironmentVariable: variable, onInternalError: .ignore)
        #expect(!pipeline.logger(label: "api").isEnabled(.info))
        #expect(pipeline.logger(label: "api").isEnabled(.warning))
        #expect(pipeline.logger(label: "api.db.pool").isEnabled(.debug))
        await pipeline.shutdown()

        setenv(variable, "chatty", 1)
        #expect(throws: SluiceError.self) {
            try LogPipeline(sinks: [MemorySink()], levelEnvironmentVariable: variable)
        }
    }
}
