import Dispatch
import Foundation
import Sluice
import SluiceTesting
import Testing

/// The same contract in every execution mode: exactly once under `block`, one line per record for
/// hostile input, flush and shutdown within their timeouts with a hung sink, balanced stats.
// Serialized: the `block` tests park every thread of the cooperative pool on purpose.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ExecutionModeConformanceTests {
    static let modes: [ExecutionMode] = [.dedicatedThreads, .synchronous, .cooperative]

    func makePipeline(
        _ sinks: [any LogSink],
        mode: ExecutionMode,
        batching: BatchingOptions = BatchingOptions(maxRecords: 128, maxDelay: .milliseconds(5)),
        queue: QueueOptions = QueueOptions(overflow: .block)
    ) throws -> LogPipeline {
        try LogPipeline(
            sinks: sinks, level: .trace, levelEnvironmentVariable: nil, batching: batching, queue: queue, mode: mode,
            drainAtExit: false, onInternalError: .ignore)
    }

    @Test(arguments: modes)
    func hundredTasksTimesTenThousandUnderBlockAreWrittenExactlyOnce(mode: ExecutionMode) async throws {
        let total = 100 * 10_000
        let sink = SequenceSink(expected: total)
        let pipeline = try makePipeline(
            [sink], mode: mode, batching: BatchingOptions(maxRecords: 512),
            queue: QueueOptions(capacity: 65_536, overflow: .block))
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<100 {
                let log = pipeline.logger(label: "t\(task)")
                group.addTask {
                    for index in 0..<10_000 {
                        log.info("request handled")
                        if index % 10 == 9 {
                            // Lets other tests' tasks have a turn on the pool meanwhile: in synchronous
                            // mode each call writes on this thread, and 100 tasks holding the pool for
                            // 100 writes each kept another suite's actor off it for seconds.
                            await Task.yield()
                        }
                    }
                }
            }
        }
        let report = await pipeline.shutdown(timeout: .seconds(120))
        let summary = sink.summary
        #expect(summary.total == total && summary.missing == 0 && summary.duplicates == 0 && summary.outOfRange == 0)
        #expect(report.stats.logged == total && report.stats.written == total)
        #expect(report.stats.dropped.total == 0 && report.stats.inFlight == 0 && !report.timedOut)
        #expect(pipeline.mode.description == mode.description)
    }

    @Test(arguments: modes)
    func manyMoreBlockedProducerTasksThanThreadsDoNotDeadlock(mode: ExecutionMode) async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline(
            [memory], mode: mode, batching: BatchingOptions(maxRecords: 16, maxDelay: .milliseconds(1)),
            queue: QueueOptions(capacity: 64, overflow: .block))
        let tasks = ProcessInfo.processInfo.activeProcessorCount * 8
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                let log = pipeline.logger(label: "t\(task)")
                group.addTask {
                    for i in 0..<1_000 {
                        log.debug("tick", metadata: ["i": .integer(i)])
                    }
                }
            }
        }
        let report = await pipeline.shutdown(timeout: .seconds(60))
        #expect(memory.records.count == tasks * 1_000)
        #expect(report.stats.dropped.total == 0 && report.stats.isBalanced)
    }

    @Test(arguments: modes)
    func hostileInputRendersAsOneLinePerRecord(mode: ExecutionMode) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = directory.appendingPathComponent("text.log").path
        let json = directory.appendingPathComponent("json.log").path
        let pipeline = try makePipeline(
            [try FileSink(path: text, format: .text), try FileSink(path: json, format: .json, name: "json")],
            mode: mode)
        let hostile = [
            "line\nbreak", "carriage\rreturn", "\u{1B}[31mred\u{1B}[0m", "nul\u{0}byte", "sep\u{2028}arator",
            "bidi\u{202E}override", "${jndi:ldap://x}", String(repeating: "é", count: 100_000),
        ]
        let log = pipeline.logger(label: "hostile\nlabel")
        for (index, message) in hostile.enumerated() {
            log.error(message, metadata: ["index": .integer(index), "key\nwith break": "value\r\n"])
        }
        await pipeline.shutdown()
        for path in [text, json] {
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(
                separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == hostile.count + 1 && lines.last == "", "\(path): \(lines.count) lines")
        }
        let records = try String(contentsOfFile: json, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(records.count == hostile.count && records.allSatisfy { $0 != nil })
    }

    @Test(arguments: modes)
    func flushAndShutdownHonourTheirTimeoutsWithAHungSink(mode: ExecutionMode) async throws {
        let gate = GateSink()
        let memory = MemorySink()
        let pipeline = try makePipeline([gate, memory], mode: mode)
        let log = pipeline.logger(label: "hung")
        for i in 0..<100 {
            log.info("r\(i)")
        }
        let start = ContinuousClock.now
        let flushed = await pipeline.flush(timeout: .milliseconds(200))
        #expect(flushed == .timedOut(pendingSinks: ["gate"]))
        #expect(start.duration(to: .now) < .seconds(10))
        #expect(await memory.waitForRecords(count: 100, timeout: .seconds(30)), "the healthy sink gets everything")

        let blockingStart = ContinuousClock.now
        #expect(pipeline.flushBlocking(timeout: .milliseconds(200)) == .timedOut(pendingSinks: ["gate"]))
        #expect(blockingStart.duration(to: .now) < .seconds(10))

        let shutdownStart = ContinuousClock.now
        let report = await pipeline.shutdown(timeout: .milliseconds(300))
        #expect(shutdownStart.duration(to: .now) < .seconds(10))
        #expect(report.timedOut && report.unfinishedSinks == ["gate"])
        #expect(report.stats.inFlight == 0 && report.stats.isBalanced)
        #expect(report.stats.logged == 100 && report.stats.written == 100, "the memory sink wrote them")
        await gate.open()
    }

    @Test(arguments: modes)
    func statsBalanceInEverySnapshot(mode: ExecutionMode) async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline([memory], mode: mode, queue: QueueOptions(capacity: 256, overflow: .dropOldest))
        let log = pipeline.logger(label: "stats")
        let producers = (0..<2).map { producer in
            Thread {
                for i in 0..<20_000 {
                    log.info("p\(producer) \(i)")
                }
            }
        }
        producers.forEach { $0.start() }
        var snapshots = 0
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while ContinuousClock.now < deadline {
            let stats = pipeline.stats
            #expect(stats.isBalanced, "\(stats)")
            snapshots += 1
            if stats.logged == 40_000 { break }
            await Task.yield()
        }
        let report = await pipeline.shutdown()
        #expect(report.stats.isBalanced && report.stats.inFlight == 0 && report.stats.logged == 40_000)
        #expect(report.stats.written == memory.records.count)
        #expect(snapshots > 1)
    }
}

// MARK: What each mode promises beyond the shared contract
// (in the same serialized suite: the tests above keep every thread of the cooperative pool busy,
// and a cooperative or synchronous pipeline's tasks need one)

extension ExecutionModeConformanceTests {
    @Test func synchronousModeHasTheRecordInTheFileWhenTheCallReturns() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let pipeline = try LogPipeline(
            sinks: [try FileSink(path: path, format: .text, durability: .noSync)], level: .info,
            levelEnvironmentVariable: nil, batching: BatchingOptions(maxRecords: 512, maxDelay: .seconds(3600)),
            mode: .synchronous, drainAtExit: false)
        let log = pipeline.logger(label: "tool")
        for index in 0..<50 {
            log.info("step \(index)")
            let content = try String(contentsOfFile: path, encoding: .utf8)
            #expect(content.hasSuffix("step \(index)\n"), "written before the call returned")
        }
        #expect(log.submit(.info, "submitted") == .queued)
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasSuffix("submitted\n"))
        #expect(pipeline.mode.isSynchronous)
        let report = await pipeline.shutdown()
        #expect(report.written == 51 && report.stats.isBalanced && !report.timedOut)
    }

    @Test func aSinkThatLogsIntoItsOwnSynchronousPipelineDoesNotDeadlock() async throws {
        let memory = MemorySink()
        let relay = RelaySink()
        let pipeline = try LogPipeline(
            sinks: [relay, memory], level: .trace, levelEnvironmentVariable: nil, mode: .synchronous,
            drainAtExit: false, onInternalError: .ignore)
        relay.log.withLock { $0 = pipeline.logger(label: "relay") }
        pipeline.logger(label: "app").info("hello")
        _ = await pipeline.flush(timeout: .seconds(30))
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(memory.messages.contains("hello"))
        #expect(memory.messages.contains("relayed hello"), "logged on a pipeline task, written by a later delivery")
        #expect(report.stats.isBalanced && !report.timedOut)
    }

    @Test func cooperativeModeRunsThePipelineOnTheExecutorItIsGiven() async throws {
        let loop = ThreadExecutor(name: "app-loop")
        let probe = ThreadProbeSink()
        let pipeline = try LogPipeline(
            sinks: [probe], level: .trace, levelEnvironmentVariable: nil,
            mode: .cooperative(on: loop as any TaskExecutor),
            drainAtExit: false, onInternalError: .ignore)
        for i in 0..<100 {
            pipeline.logger(label: "loop").info("r\(i)")
        }
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        await pipeline.shutdown()
        #expect(probe.threadNames == ["app-loop"], "\(probe.threadNames)")
        loop.stop()

        let serialLoop = ThreadExecutor(name: "serial-loop")
        let serialProbe = ThreadProbeSink()
        let onSerial = try LogPipeline(
            sinks: [serialProbe], level: .trace, levelEnvironmentVariable: nil,
            mode: .cooperative(on: serialLoop as any SerialExecutor), drainAtExit: false, onInternalError: .ignore)
        onSerial.logger(label: "loop").info("one")
        #expect(await onSerial.flush(timeout: .seconds(30)) == .completed)
        await onSerial.shutdown()
        #expect(serialProbe.threadNames == ["serial-loop"], "\(serialProbe.threadNames)")
        serialLoop.stop()
    }

    /// Each executor run as tasks has one drainer task, which parks while it has no jobs (see
    /// `CooperativeDrainerTests`). Here, not beside those tests: this suite's cooperative-mode tests
    /// park every thread of the pool on purpose, and a pipeline that needs the pool waits meanwhile.
    @Test(arguments: ["global", "taskExecutor", "serialExecutor"])
    func aCooperativePipelineStartsOneDrainerPerExecutor(target: String) async throws {
        let loop = ThreadExecutor(name: "app-loop")
        defer { loop.stop() }
        let mode: ExecutionMode =
            switch target {
            case "taskExecutor": .cooperative(on: loop as any TaskExecutor)
            case "serialExecutor": .cooperative(on: loop as any SerialExecutor)
            default: .cooperative
            }
        let memory = MemorySink()
        let pipeline = try LogPipeline(
            sinks: [memory], level: .trace, levelEnvironmentVariable: nil, mode: mode, drainAtExit: false,
            onInternalError: .ignore)
        let log = pipeline.logger(label: "rounds")
        // Between flushes the collector and the sink run out of jobs, so every round wakes both.
        for round in 0..<100 {
            log.info("r\(round)")
            #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        }
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.written == 100 && memory.messages.count == 100)
        let host = try #require(pipeline.host)
        // The collector's and the sink's executors.
        #expect(host.drainers.tasksStarted == 2)
    }

    /// A pipeline that was shut down and let go is freed, its storage (chunk memory included) and
    /// executors with it, in every mode; the drainer tasks of the modes that run as tasks end. In
    /// cooperative and synchronous modes the storage once stayed: the helpers' wake-up held it, and
    /// so did synchronous mode's sinks, each in a cycle through the storage.
    @Test(arguments: modes)
    func aPipelineShutDownAndLetGoIsFreed(mode: ExecutionMode) async throws {
        weak var collector: ThreadExecutor?
        weak var storage: PipelineStorage?
        let counts: DrainerCounts?
        do {
            let pipeline = try makePipeline([MemorySink()], mode: mode)
            counts = pipeline.host?.drainers
            collector = pipeline.collectorExecutor
            storage = pipeline.core
            for round in 0..<10 {
                pipeline.logger(label: "released").info("r\(round)")
                #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
            }
            #expect(await pipeline.shutdown(timeout: .seconds(30)).written == 10)
        }
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        func freed() -> Bool { collector == nil && storage == nil && (counts?.tasksRunning ?? 0) == 0 }
        while !freed() && ContinuousClock.now < deadline {
            await Task.yield()
        }
        #expect(collector == nil, "the collector's executor was kept")
        #expect(storage == nil, "the pipeline's storage was kept")
        if let counts {
            #expect(counts.tasksRunning == 0, "drainer tasks left: \(counts.tasksRunning)")
        }
    }

    /// A whole process per mode, so that the threads it counts are its own.
    @Test(arguments: ["dedicated", "synchronous", "cooperative"])
    func onlyDedicatedThreadsModeStartsThreadsOfItsOwn(mode: String) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let (status, output) = try await runProgram(ModeChild.path, ["threads", mode, "1000", path])
        let lines = ModeChild.values(output)
        #expect(status == 0, "\(lines)")
        #expect(lines["flushed"] == "completed")
        #expect(lines["written"] == "1000 dropped=0 timedOut=false")
        let threads = lines["threads"] ?? "?"
        if mode == "dedicated" {
            #expect(threads.contains("sluice-collecto") && threads.contains("sluice-sink-fil"), "\(threads)")
        } else {
            #expect(threads.isEmpty, "no thread of Sluice's own: \(threads)")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 1_000)
    }
}

/// Logs (through `log`) every record it is given, once: a sink that logs into its own pipeline.
final class RelaySink: LogSink {
    let name = "relay"
    let level = LogLevel.info
    let log = LockedValue<SluiceLogger?>(nil)

    func write(_ records: [LogRecord]) {
        guard let log = log.withLock({ $0 }) else { return }
        for record in records where record.label != "relay" {
            log.info("relayed \(record.message)")
        }
    }
}

/// Notes the name of each thread it writes on.
final class ThreadProbeSink: LogSink {
    let name = "probe"
    let level = LogLevel.trace
    private let names = LockedValue(Set<String>())

    func write(_ records: [LogRecord]) {
        let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?"
        names.withLock { _ = $0.insert(name.trimmingCharacters(in: .newlines)) }
    }

    var threadNames: [String] {
        names.withLock { $0.sorted() }
    }
}

/// The `SluiceModeChild` fixture, built next to this test binary.
enum ModeChild {
    static var path: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("SluiceModeChild").path
    }

    /// The `key=value` lines the child printed (the first `=` splits).
    static func values(_ output: Data) -> [String: String] {
        var values: [String: String] = [:]
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            let value = String(line[line.index(after: equals)...])
            values[key] = values[key].map { $0 + "\n" + value } ?? value
        }
        return values
    }
}
