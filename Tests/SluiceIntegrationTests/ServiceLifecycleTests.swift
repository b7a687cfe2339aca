#if ServiceLifecycle
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Sluice
import SluiceTesting
import Testing

/// A service that logs while it runs and while it shuts down, like a server draining connections.
private struct WorkerService: Service {
    let log: Logging.Logger

    func run() async throws {
        log.info("worker started")
        try? await gracefulShutdown()
        log.info("worker stopping: finishing in-flight requests")
        log.info("worker stopped")
    }
}

@Suite struct ServiceLifecycleTests {
    private func pipeline(sinks: [any LogSink]) throws -> LogPipeline {
        try LogPipeline(
            sinks: sinks,
            level: .trace,
            levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 64, maxDelay: .milliseconds(5)),
            queue: QueueOptions(capacity: 1_024, overflow: .block),
            shutdownTimeout: .seconds(30),
            onInternalError: .ignore
        )
    }

    @Test func runDrainsEverythingOnGracefulShutdownAndReturns() async throws {
        let sink = MemorySink()
        let pipeline = try pipeline(sinks: [sink])
        let log = pipeline.logger(label: "app")
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.run() }
                for number in 0..<1_000 {
                    log.info("record \(number)")
                }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        let stats = pipeline.stats
        #expect(stats.state == .stopped)
        #expect(stats.logged == 1_000)
        #expect(stats.written == 1_000)
        #expect(stats.inFlight == 0)
        #expect(sink.messages.count == 1_000)
        #expect(sink.isClosed)
    }

    @Test func cancellationBeforeGracefulShutdownReturnsWhileTheDrainGoesOn() async throws {
        let sink = HeldSink()
        let pipeline = try pipeline(sinks: [sink])
        let log = pipeline.logger(label: "app")
        for number in 0..<100 {
            log.info("record \(number)")
        }
        await sink.waitUntilHolding()

        let run = Task { try await pipeline.run() }
        run.cancel()
        try await run.value
        // run() returned although the sink is still holding its first batch: it did not wait for
        // the drain. The accounting is consistent and nothing is counted as lost yet.
        let during = pipeline.stats
        #expect(during.state == .draining)
        #expect(during.logged == during.written + during.dropped.total + during.inFlight)
        #expect(during.inFlight > 0)
        #expect(during.dropped.total == 0)

        await sink.open()
        let report = await pipeline.shutdown()
        #expect(!report.timedOut)
        #expect(report.stats.written == 100)
        #expect(report.stats.inFlight == 0)
        #expect(await sink.received.count == 100)
    }

    @Test func cancellationDuringTheDrainStopsWaitingPromptly() async throws {
        let sink = HeldSink()
        let pipeline = try pipeline(sinks: [sink])
        let log = pipeline.logger(label: "app")
        log.info("held at the sink")
        await sink.waitUntilHolding()

        try await testGracefulShutdown { trigger in
            let run = Task { try await pipeline.run() }
            trigger.triggerGracefulShutdown()
            // The drain cannot finish while the sink holds the batch; wait until run() is in it.
            while pipeline.stats.state == .running {
                await Task.yield()
            }
            run.cancel()
            try await run.value
        }
        let during = pipeline.stats
        #expect(during.state == .draining)
        #expect(during.logged == during.written + during.dropped.total + during.inFlight)
        #expect(during.inFlight == 1)

        await sink.open()
        let report = await pipeline.shutdown()
        #expect(report.stats.written == 1)
        #expect(report.stats.inFlight == 0)
    }

    /// The ordering rule: the pipeline listed first is shut down last, so the other services' shutdown
    /// records and the group's own records about shutting them down are written.
    @Test func pipelineListedFirstWritesWhatTheGroupAndServicesLogDuringShutdown() async throws {
        let sink = MemorySink()
        let pipeline = try pipeline(sinks: [sink])
        var groupLogger = Logging.Logger(label: "group") { pipeline.logHandler(label: $0, metadataProvider: nil) }
        groupLogger.logLevel = .debug
        let worker = WorkerService(log: Logging.Logger(label: "worker") { pipeline.logHandler(label: $0) })
        let group = ServiceGroup(services: [pipeline, worker], logger: groupLogger)

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            _ = await sink.waitForRecords(count: 1)  // the worker is running
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }

        let messages = sink.messages
        #expect(messages.contains("worker stopping: finishing in-flight requests"))
        #expect(messages.contains("worker stopped"))
        let triggered = sink.records.filter { $0.message == "Triggering graceful shutdown for service" }
        #expect(triggered.count == 2)
        // The group names a service by its description.
        let names = triggered.map { $0.metadata["sl-service"]?.description ?? "" }
        #expect(names.count == 2 && names[0].hasPrefix("WorkerService(") && names[1] == "Sluice.LogPipeline")
        #expect(
            sink.records.contains {
                $0.message == "Service finished"
                    && $0.metadata["sl-service"]?.description.hasPrefix("WorkerService(") == true
            })

        // What the group logs after the pipeline returned is counted on its own, not as a loss: a
        // clean deploy shows no drops.
        let stats = pipeline.stats
        #expect(stats.written == messages.count)
        #expect(stats.dropped.total == 0, "\(stats.dropped)")
        #expect(stats.dropped.afterShutdown == 2)
        #expect(stats.logged == stats.written)
        #expect(stats.inFlight == 0)
    }

    /// The same group with the pipeline listed last: it is shut down first, and the worker's shutdown
    /// records arrive too late. This is why the rule exists.
    @Test func pipelineListedLastLosesTheOtherServicesShutdownRecordsToShutdown() async throws {
        let sink = MemorySink()
        let pipeline = try pipeline(sinks: [sink])
        let worker = WorkerService(log: Logging.Logger(label: "worker") { pipeline.logHandler(label: $0) })
        let group = ServiceGroup(services: [worker, pipeline], logger: Logging.Logger(label: "group"))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            _ = await sink.waitForRecords(count: 1)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(sink.messages == ["worker started"])
        #expect(pipeline.stats.dropped.afterShutdown == 2)
    }
}
#endif
