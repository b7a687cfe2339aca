#if SwiftLog
import Foundation
import Logging
import Sluice
import SluiceTesting
import Testing

/// A value whose description is all swift-log knows about it.
private struct OrderID: CustomStringConvertible, Sendable {
    var value: Int
    var description: String { "order-\(value)" }
}

private struct PaymentDeclined: Error, CustomStringConvertible {
    var description: String { "card declined" }
}

/// swift-log's contract for a `LogHandler`, checked against a real pipeline and a `MemorySink`.
/// Loggers are built with `Logger(label:factory:)` because `LoggingSystem.bootstrap` may run once per
/// process (the examples, run by CI, exercise the bootstrap itself).
@Suite struct SwiftLogHandlerTests {
    private func logger(_ capture: LogCapture, label: String = "app") -> Logging.Logger {
        Logging.Logger(label: label) { label in capture.pipeline.logHandler(label: label, metadataProvider: nil) }
    }

    @Test func everySwiftLogLevelMapsToTheSameSluiceLevel() async throws {
        let capture = try LogCapture(level: .trace)
        var log = logger(capture)
        log.logLevel = .trace
        for level in Logging.Logger.Level.allCases {
            log.log(level: level, "at \(level)")
        }
        let records = await capture.flushedRecords()
        #expect(records.map(\.level) == [.trace, .debug, .info, .notice, .warning, .error, .critical])
        #expect(records.map(\.message) == Logging.Logger.Level.allCases.map { "at \($0)" })
        #expect(records.allSatisfy { $0.label == "app" })
        await capture.shutdown()
    }

    @Test func logLevelStartsAtThePipelineLevelForTheLabelAndFilters() async throws {
        let capture = try LogCapture(level: .info, labelLevels: ["app.db": .debug])
        var db = logger(capture, label: "app.db.pool")
        let web = logger(capture, label: "app.web")
        #expect(db.logLevel == .debug)
        #expect(web.logLevel == .info)

        web.debug("filtered: below the label's level")
        db.debug("kept")
        db.logLevel = .error
        db.warning("filtered: below the level set on this logger")
        db.error("kept too")
        let records = await capture.flushedRecords()
        #expect(records.map(\.message) == ["kept", "kept too"])
        #expect(capture.pipeline.stats.logged == 2)
        await capture.shutdown()
    }

    /// The stages apply to swift-log's loggers as to Sluice's own: sampling and the rate limit at
    /// the call, the backtrace for records below the handler's level, redaction before the sink.
    @Test func stagesApplyToSwiftLogCalls() async throws {
        let memory = MemorySink(level: .info)
        let pipeline = try LogPipeline(
            sinks: [memory], level: .info, levelEnvironmentVariable: nil,
            stages: StageOptions(
                sampling: [SamplingRule(label: "sampled", keep: .oneIn(4))],
                rateLimit: .perCallSite(2, per: .seconds(60)),
                backtrace: Backtrace(level: .debug, capacity: 8)),
            onInternalError: .ignore)
        let sampled = Logging.Logger(label: "sampled") { pipeline.logHandler(label: $0, metadataProvider: nil) }
        var limited = Logging.Logger(label: "limited") { pipeline.logHandler(label: $0, metadataProvider: nil) }
        // swift-log checks the handler's level before it calls the handler: a backtrace needs the
        // debug records to get that far. The sinks still take info and above only.
        limited.logLevel = .debug
        for index in 0..<8 {
            sampled.info("s", metadata: ["i": "\(index)"])
        }
        for _ in 0..<5 {
            limited.info("l", metadata: ["token": "t-1"])
        }
        limited.debug("before the error")
        limited.error("failed")
        let report = await pipeline.shutdown()
        let stats = report.stats
        #expect(stats.filtered.sampled == 6 && stats.filtered.rateLimited == 3, "\(stats)")
        let messages = memory.records.map(\.message)
        #expect(messages.filter { $0 == "s" }.count == 2 && messages.filter { $0 == "l" }.count == 2)
        #expect(memory.records.first { $0.message == "l" }?.metadata["token"] == "[REDACTED]")
        let failed = try #require(messages.firstIndex(of: "failed"))
        #expect(messages[failed - 1] == "before the error")
        #expect(memory.records[failed - 1].metadata["backtrace"] == true)
        #expect(stats.isBalanced && stats.inFlight == 0)
    }

    /// swift-log's documented value-semantics test for handlers.
    @Test func logLevelAndMetadataAreValues() async throws {
        let capture = try LogCapture()
        var logger1 = logger(capture, label: "first logger")
        logger1.logLevel = .debug
        logger1[metadataKey: "only-on"] = "first"

        var logger2 = logger1
        logger2.logLevel = .error
        logger2[metadataKey: "only-on"] = "second"

        #expect(logger1.logLevel == .debug)
        #expect(logger2.logLevel == .error)
        #expect(logger1[metadataKey: "only-on"] == "first")
        #expect(logger2[metadataKey: "only-on"] == "second")

        logger1.info("one")
        logger2.error("two")
        let records = await capture.flushedRecords()
        #expect(records.map { $0.metadata["only-on"] } == ["first", "second"])
        await capture.shutdown()
    }

    @Test func metadataSubscriptAndPropertyFollowTheContract() async throws {
        let capture = try LogCapture()
        var log = logger(capture)
        #expect(log.handler.metadata.isEmpty)
        log[metadataKey: "a"] = "1"
        log[metadataKey: "b"] = "2"
        #expect(log.handler.metadata == ["a": "1", "b": "2"])
        log[metadataKey: "a"] = nil
        #expect(log[metadataKey: "a"] == nil)
        #expect(log.handler.metadata == ["b": "2"])
        log.handler.metadata = ["c": "3"]
        #expect(log[metadataKey: "b"] == nil)
        #expect(log[metadataKey: "c"] == "3")

        log.info("after replacing the metadata")
        let records = await capture.flushedRecords()
        #expect(records.first?.metadata == ["c": "3"])
        await capture.shutdown()
    }

    @Test func metadataMergeOrderIsCallThenProviderThenHandlerThenContext() async throws {
        let capture = try LogCapture()
        let provider = Logging.Logger.MetadataProvider {
            ["key": "provider", "provider-only": "p", "shared-with-handler": "provider"]
        }
        var log = Logging.Logger(label: "app") { label in
            capture.pipeline.logHandler(label: label, metadataProvider: provider)
        }
        log[metadataKey: "key"] = "handler"
        log[metadataKey: "shared-with-handler"] = "handler"
        log[metadataKey: "handler-only"] = "h"

        LogContext.withMetadata(["key": "context", "handler-only": "context", "context-only": "c"]) {
            log.info("merged", metadata: ["key": "call", "call-only": "x"])
            log.error("failed", error: PaymentDeclined(), metadata: ["error.message": "overridden by the error"])
        }
        let records = await capture.flushedRecords()
        try #require(records.count == 2)
        let merged = records[0].metadata
        #expect(merged["key"] == "call")
        #expect(merged["call-only"] == "x")
        #expect(merged["provider-only"] == "p")
        #expect(merged["shared-with-handler"] == "provider")
        #expect(merged["handler-only"] == "h")
        #expect(merged["context-only"] == "c")
        #expect(merged.count == 6)

        let failed = records[1].metadata
        #expect(failed["error.message"] == "card declined")
        #expect(failed["error.type"] == .string(String(reflecting: PaymentDeclined.self)))
        await capture.shutdown()
    }

    @Test func providerAndTaskLocalContextBothReachChildTasks() async throws {
        enum Request {
            @TaskLocal static var id = "none"
        }
        let capture = try LogCapture()
        let provider = Logging.Logger.MetadataProvider { ["trace_id": "\(Request.id)"] }
        let log = Logging.Logger(label: "app") { label in
            capture.pipeline.logHandler(label: label, metadataProvider: provider)
        }
        await Request.$id.withValue("t-1") {
            await LogContext.withMetadata(["request_id": "r-1"]) {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { log.info("in a child task") }
                }
            }
        }
        log.info("outside")
        let records = await capture.flushedRecords()
        #expect(records.map(\.metadata) == [["trace_id": "t-1", "request_id": "r-1"], ["trace_id": "none"]])
        await capture.shutdown()
    }

    @Test func nestedAndStringConvertibleValuesKeepTheirShape() async throws {
        let capture = try LogCapture()
        let log = logger(capture)
        log.info(
            "nested",
            metadata: [
                "status": .stringConvertible(200),
                "ratio": .stringConvertible(0.5),
                "cached": .stringConvertible(true),
                "big": .stringConvertible(UInt64.max),
                "order": .stringConvertible(OrderID(value: 7)),
                "tags": ["beta", .stringConvertible(3)],
                "user": ["id": .stringConvertible(42), "roles": ["admin"], "plan": "pro"],
            ]
        )
        let records = await capture.flushedRecords()
        let metadata = try #require(records.first?.metadata)
        #expect(metadata["status"] == .integer(200))
        #expect(metadata["ratio"] == .double(0.5))
        #expect(metadata["cached"] == .bool(true))
        #expect(metadata["big"] == .string("\(UInt64.max)"))
        #expect(metadata["order"] == .string("order-7"))
        #expect(metadata["tags"] == .array([.string("beta"), .integer(3)]))
        #expect(metadata["user"] == .dictionary(["id": 42, "roles": ["admin"], "plan": "pro"]))
        // Keys come out sorted, at every depth, so the line is the same in every run.
        #expect(metadata.keys == ["big", "cached", "order", "ratio", "status", "tags", "user"])
        guard case .dictionary(let user)? = metadata["user"] else {
            Issue.record("user is not a dictionary")
            return
        }
        #expect(user.keys == ["id", "plan", "roles"])

        let json = try #require(records.first.map { JSONFormat().render($0) })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let fields = try #require(object["metadata"] as? [String: Any])
        #expect(fields["status"] as? Int == 200)
        #expect(fields["cached"] as? Bool == true)
        #expect((fields["user"] as? [String: Any])?["id"] as? Int == 42)
        await capture.shutdown()
    }

    @Test func sourceLocationComesFromTheCallSite() async throws {
        let capture = try LogCapture()
        let log = logger(capture)
        let line: UInt = #line + 1
        log.notice("here")
        let records = await capture.flushedRecords()
        let source = try #require(records.first?.source)
        #expect(source.file == #fileID)
        #expect(source.function == #function)
        #expect(source.line == line)
        await capture.shutdown()
    }

    @Test func recordsBelowEverySinkLevelAreNotQueued() async throws {
        let sink = MemorySink(level: .warning)
        let pipeline = try LogPipeline(sinks: [sink], level: .trace, levelEnvironmentVariable: nil)
        let log = Logging.Logger(label: "app") { pipeline.logHandler(label: $0, metadataProvider: nil) }
        #expect(log.logLevel == .trace)
        log.info("no sink takes info")
        log.warning("taken")
        await pipeline.flush()
        #expect(sink.messages == ["taken"])
        #expect(pipeline.stats.logged == 1)
        let report = await pipeline.shutdown()
        #expect(report.stats.written == 1)
    }

    @Test func recordsLoggedAfterShutdownAreCountedAsDropped() async throws {
        let capture = try LogCapture()
        let log = logger(capture)
        log.info("before")
        await capture.shutdown()
        log.info("after")
        let stats = capture.pipeline.stats
        #expect(stats.logged == 2)
        #expect(stats.written == 1)
        #expect(stats.dropped.shutdown == 1)
    }
}
#endif
