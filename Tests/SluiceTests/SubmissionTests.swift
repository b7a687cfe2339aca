import Dispatch
import Foundation
import Sluice
import SluiceTesting
import Testing

/// What a caller learns about its record, how long it waits, and awaitable backpressure.
@Suite(.serialized, .timeLimit(.minutes(3))) struct SubmissionTests {
    @Test func submitSaysWhatBecameOfTheRecord() async throws {
        let gate = GateSink()
        let pipeline = try LogPipeline(
            sinks: [gate], level: .info, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 4, maxDelay: .seconds(3600)),
            queue: QueueOptions(capacity: 4, overflow: .dropNewest), delivery: DeliveryOptions(inboxCapacity: 1),
            drainAtExit: false, onInternalError: .ignore)
        let log = pipeline.logger(label: "submit")
        #expect(log.submit(.debug, "too quiet") == .belowLevel)
        var outcomes: [LogSubmission] = []
        for index in 0..<40 {
            outcomes.append(log.submit(.info, "r\(index)"))
        }
        #expect(outcomes.first == .queued)
        #expect(outcomes.contains(.dropped(.overflow)), "the gate holds the sink, so the small queue overflows")
        let stats = pipeline.stats
        #expect(stats.dropped.overflow == outcomes.count { $0 == .dropped(.overflow) })
        await gate.open()
        let report = await pipeline.shutdown(timeout: .seconds(120))
        #expect(report.written == outcomes.count { $0 == .queued })
        #expect(log.submit(.info, "late") == .dropped(.afterShutdown))
    }

    /// Go's `WriteLog` contract: wait at most this long, then an error the caller sees.
    @Test func blockWithATimeoutReturnsWithinTheWaitAndCountsTheDrop() async throws {
        let gate = GateSink()
        let pipeline = try LogPipeline(
            sinks: [gate], level: .info, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 2, maxDelay: .milliseconds(1)),
            queue: QueueOptions(capacity: 2, overflow: .block(timeout: .milliseconds(100))),
            delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .seconds(600)), drainAtExit: false,
            onInternalError: .ignore)
        let log = pipeline.logger(label: "bounded")
        // Fill the gate, its inbox, the collector's hands and the queue; then a call must wait.
        let result = try await offThePool { () -> (LogSubmission, Duration, Int) in
            var waited: Duration = .zero
            var calls = 0
            while calls < 100 {
                calls += 1
                let start = ContinuousClock.now
                let outcome = log.submit(.info, "r\(calls)")
                waited = start.duration(to: .now)
                if outcome != .queued {
                    return (outcome, waited, calls)
                }
            }
            return (.queued, waited, calls)
        }
        #expect(result.0 == .dropped(.timedOut), "\(result)")
        #expect(result.1 >= .milliseconds(100), "it waited the full timeout: \(result.1)")
        #expect(result.1 < .milliseconds(100) + .seconds(1), "and returned soon after: \(result.1)")
        let stats = pipeline.stats
        #expect(stats.dropped.timedOut == 1 && stats.isBalanced)

        // The awaitable call honours the same timeout. A slow collector (under ThreadSanitizer it
        // can still be taking records when the call above timed out) may leave room for a few more:
        // send until a call has to wait, and count those that found room.
        var sent = 0
        var outcome = LogSubmission.queued
        var waited: Duration = .zero
        while sent < 100 {
            let start = ContinuousClock.now
            outcome = await log.send(.info, "awaiting")
            waited = start.duration(to: .now)
            if outcome != .queued { break }
            sent += 1
        }
        #expect(outcome == .dropped(.timedOut), "after \(sent) sends found room")
        #expect(waited >= .milliseconds(100))
        #expect(pipeline.stats.dropped.timedOut == 2)
        await gate.open()
        // A generous guard: the gate is an actor on Swift's pool, which a parallel ThreadSanitizer
        // run shares among hundreds of tests (the default 5 s once ran out there with the gate open).
        let report = await pipeline.shutdown(timeout: .seconds(120))
        #expect(
            report.stats.isBalanced && report.stats.dropped.total == 2 && report.written == result.2 - 1 + sent,
            "\(report)")
    }

    @Test func blockTimeoutMustBePositive() {
        #expect(throws: SluiceError.self) {
            try LogPipeline(sinks: [MemorySink()], queue: QueueOptions(overflow: .block(timeout: .zero)))
        }
    }

    /// More producer tasks than threads of the cooperative pool, a sink that does not take anything:
    /// `send` suspends the producers, so other tasks still run.
    @Test func sendSuspendsInsteadOfParkingSoOtherTasksKeepRunning() async throws {
        let gate = GateSink()
        let pipeline = try LogPipeline(
            sinks: [gate], level: .info, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 4, maxDelay: .milliseconds(1)),
            queue: QueueOptions(capacity: 8, overflow: .block),
            delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .seconds(600)), drainAtExit: false,
            onInternalError: .ignore)
        let log = pipeline.logger(label: "send")
        let producers = ProcessInfo.processInfo.activeProcessorCount * 8
        let perProducer = 50
        let sent = Task {
            await withTaskGroup(of: Int.self) { group in
                for producer in 0..<producers {
                    group.addTask {
                        var queued = 0
                        for index in 0..<perProducer {
                            if await log.send(.info, "p\(producer) \(index)") == .queued {
                                queued += 1
                            }
                        }
                        return queued
                    }
                }
                return await group.reduce(0, +)
            }
        }
        // Wait until producers are suspended for room, then show that the pool still runs work.
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        var stats = pipeline.stats
        while stats.inFlight - stats.queueDepth <= 3 * 4 && ContinuousClock.now < deadline {
            await Task.yield()
            stats = pipeline.stats
        }
        #expect(stats.inFlight - stats.queueDepth > 3 * 4, "producers wait for room: \(stats)")
        #expect(stats.isBalanced, "waiting sends count as in flight")
        let others = await withTaskGroup(of: Int.self) { group in
            for value in 0..<(producers * 2) {
                group.addTask { value }
            }
            return await group.reduce(0, +)
        }
        #expect(others == (0..<(producers * 2)).reduce(0, +), "unrelated tasks ran while the producers waited")
        await gate.open()
        #expect(await sent.value == producers * perProducer)
        let report = await pipeline.shutdown(timeout: .seconds(120))
        #expect(report.written == producers * perProducer && report.stats.dropped.total == 0)
    }

    @Test func aCancelledSendIsCountedUnderItsOwnReason() async throws {
        let gate = GateSink()
        let pipeline = try LogPipeline(
            sinks: [gate], level: .info, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 2, maxDelay: .milliseconds(1)),
            queue: QueueOptions(capacity: 2, overflow: .block),
            delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .seconds(600)), drainAtExit: false,
            onInternalError: .ignore)
        let log = pipeline.logger(label: "cancel")
        let waiting = Task {
            var outcomes: [LogSubmission] = []
            for index in 0..<100 {
                let outcome = await log.send(.info, "r\(index)")
                outcomes.append(outcome)
                if outcome != .queued { break }
            }
            return outcomes
        }
        // Once the queue is full, every later send has to wait; cancelling then ends the one waiting
        // (or the next one to wait).
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while !(pipeline.stats.queueDepth == 2 && pipeline.stats.logged > 2) && ContinuousClock.now < deadline {
            await Task.yield()
        }
        waiting.cancel()
        let outcomes = await waiting.value
        #expect(outcomes.last == .dropped(.cancelled), "\(outcomes)")
        let stats = pipeline.stats
        #expect(stats.dropped.cancelled == 1 && stats.isBalanced)
        await gate.open()
        let report = await pipeline.shutdown(timeout: .seconds(120))
        #expect(report.stats.dropped.cancelled == 1 && report.written == outcomes.count - 1)
    }

    @Test func flushBlockingOnAPipelineThreadReturnsAtOnceInsteadOfWaitingForItself() async throws {
        let memory = MemorySink()
        let pipelineBox = LockedValue<LogPipeline?>(nil)
        let results = LockedValue([FlushResult]())
        let flushing = HandlerSink(level: .info, name: "flushing") { _ in
            if let pipeline = pipelineBox.withLock({ $0 }) {
                let result = pipeline.flushBlocking(timeout: .seconds(600))
                results.withLock { $0.append(result) }
            }
        }
        let pipeline = try LogPipeline(
            sinks: [flushing, memory], level: .info, levelEnvironmentVariable: nil, drainAtExit: false,
            onInternalError: .ignore)
        pipelineBox.withLock { $0 = pipeline }
        pipeline.logger(label: "x").info("trigger")
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        #expect(results.withLock { $0 } == [.timedOut(pendingSinks: ["flushing", "memory"])])
        #expect(pipeline.flushBlocking(timeout: .seconds(30)) == .completed, "from a plain thread it waits")
        await pipeline.shutdown()
    }

    @Test func anErrorRecordIsReadableByAnotherProcessWithoutAFlush() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let pipeline = try LogPipeline(
            sinks: [try FileSink(path: path, format: .text, durability: .noSync)], level: .info,
            levelEnvironmentVariable: nil, batching: BatchingOptions(maxRecords: 4_096, maxDelay: .seconds(600)),
            flushLevel: .error, drainAtExit: false)
        let log = pipeline.logger(label: "app")
        for index in 0..<100 {
            log.info("before \(index)")
        }
        log.error("the error")
        // Another process reads the file; poll with a generous deadline.
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        var lines: [Substring] = []
        while ContinuousClock.now < deadline {
            let (status, output) = try await runProgram("/bin/cat", [path])
            #expect(status == 0)
            lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
            if lines.count == 101 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(lines.count == 101, "every record before the error, and the error")
        #expect(lines.last?.hasSuffix("the error") == true)
        #expect(pipeline.stats.sinks[0].flushes >= 1, "the sink was flushed")
        log.info("after")
        #expect(pipeline.stats.queueDepth == 1, "an info record still waits for its batch")
        await pipeline.shutdown()
    }
}
