import Foundation
import Sluice
import SluiceHTTP
import Testing

/// HTTPSink against the Python receiver in `Receivers/`, started by each test on 127.0.0.1.
@Suite(.serialized) struct HTTPSinkTests {
    static let fastRetry = RetryOptions(
        initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(100), retryBudget: .seconds(60))
    static let ndjson = NDJSONEncoding(format: JSONFormat(includeSequence: true))

    /// `delay` long: only a full batch, a flush or shutdown closes a batch, so the number of
    /// requests does not depend on how fast the test logs.
    func pipeline(
        _ sink: HTTPSink, errors: ErrorCollector = ErrorCollector(), batch: Int = 100,
        delay: Duration = .milliseconds(5)
    ) throws -> LogPipeline {
        try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: batch, maxDelay: delay), onInternalError: errors.handler)
    }

    func log(_ pipeline: LogPipeline, count: Int, from start: Int = 0) {
        let log = pipeline.logger(label: "api")
        for i in start..<(start + count) {
            log.info("record \(i)", metadata: ["i": .integer(i)])
        }
    }

    /// How often each record index arrived in accepted bodies.
    func arrivals(_ receiver: HTTPReceiver) -> [Int: Int] {
        var seen: [Int: Int] = [:]
        for line in receiver.acceptedLines() {
            if let i = (line["metadata"] as? [String: Any])?["i"] as? Int {
                seen[i, default: 0] += 1
            }
        }
        return seen
    }

    @Test(arguments: [false, true])
    func ndjsonDeliversEveryRecordExactlyOnce(gzip: Bool) async throws {
        let receiver = try HTTPReceiver()
        try await receiver.start()
        let sink = try HTTPSink(
            url: receiver.url, encoding: Self.ndjson, headers: ["Authorization": "Bearer test-token"], gzip: gzip,
            maxBatchBytes: 8 * 1024)
        let pipeline = try pipeline(sink, batch: 256)
        log(pipeline, count: 5000)
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.written == 5000 && report.stats.dropped.total == 0)
        let seen = arrivals(receiver)
        #expect(seen.count == 5000 && seen.values.allSatisfy { $0 == 1 }, "every record exactly once")
        let sequences = receiver.acceptedLines().compactMap { $0["sequence"] as? Int }
        #expect(Set(sequences).count == 5000 && sequences.count == 5000)
        let requests = receiver.requests()
        #expect(requests.allSatisfy { $0.headers["Authorization"] == "Bearer test-token" })
        #expect(requests.allSatisfy { $0.headers["Content-Type"] == "application/x-ndjson" })
        #expect(requests.allSatisfy { ($0.headers["Content-Encoding"] == "gzip") == gzip })
        #expect(requests.allSatisfy { $0.body.count <= 8 * 1024 }, "bodies respect the byte cap")
        #expect(sink.stats.recordsSent == 5000 && sink.stats.requestsSent == requests.count)
        #expect(sink.stats.requestsSent > sink.stats.batchesSent, "large batches were split")
    }

    @Test func serviceUnavailableWithRetryAfterIsHonoured() async throws {
        let receiver = try HTTPReceiver(["--fail-first", "2", "--retry-after", "1"])
        try await receiver.start()
        let errors = ErrorCollector()
        let sink = try HTTPSink(url: receiver.url, encoding: Self.ndjson, retry: Self.fastRetry)
        let pipeline = try pipeline(sink, errors: errors, delay: .seconds(60))
        log(pipeline, count: 50)
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.written == 50 && report.stats.dropped.total == 0)
        let requests = receiver.requests()
        #expect(requests.map(\.status) == [503, 503, 200])
        if requests.count == 3 {
            // The backoff alone would retry after 10-100 ms; the receiver asked for a second each time.
            #expect(requests[1].time - requests[0].time >= 0.9)
            #expect(requests[2].time - requests[1].time >= 0.9)
        }
        #expect(sink.stats.failures.serverError == 2 && sink.stats.retries == 2 && sink.stats.recordsSent == 50)
        #expect(errors.all.filter { $0.kind == .deliveryRetrying }.count >= 1, "the first failure is reported")
        #expect(arrivals(receiver).count == 50)
    }

    @Test func badRequestIsNotRetriedAndIsCounted() async throws {
        let receiver = try HTTPReceiver(["--reject"])
        try await receiver.start()
        let errors = ErrorCollector()
        let sink = try HTTPSink(url: receiver.url, encoding: Self.ndjson, retry: Self.fastRetry)
        let pipeline = try pipeline(sink, errors: errors, delay: .seconds(60))
        log(pipeline, count: 10)
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        log(pipeline, count: 10, from: 10)
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(receiver.requests().count == 2, "one request per batch, never retried")
        #expect(report.stats.dropped.sinkFailure == 20 && report.stats.written == 0 && report.stats.isBalanced)
        #expect(sink.stats.failures.rejected == 2 && sink.stats.retries == 0)
        #expect(sink.stats.droppedRecords.rejected == 20 && sink.stats.droppedBatches == 2)
        #expect(sink.stats.lastError?.contains("HTTP 400") == true)
        let reported = errors.all.filter { $0.kind == .writeFailed }
        #expect(reported.count == 2 && reported.allSatisfy { "\($0)".contains("refused") })
    }

    @Test func receiverDownThenUpTwiceKeepsTheBufferBoundedAndCountsDrops() async throws {
        let receiver = try HTTPReceiver()
        try await receiver.start()
        let sink = try HTTPSink(
            url: receiver.url, encoding: Self.ndjson,
            retry: RetryOptions(
                initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50), retryBudget: .seconds(120),
                maxPendingBatches: 4, overflow: .dropOldest))
        let pipeline = try pipeline(sink, batch: 10)
        var total = 0
        var outageDrops = 0
        var outages: [Range<Int>] = []
        for round in 0..<2 {
            log(pipeline, count: 50, from: total)
            total += 50
            #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
            receiver.stop()
            // A hundred records in batches of ten while the receiver is away; the sink holds four.
            let dropsBefore = sink.stats.droppedRecords.overflow
            log(pipeline, count: 100, from: total)
            outages.append(total..<(total + 100))
            total += 100
            // The flush hands every batch to the sink, then waits in vain for the receiver.
            #expect(await pipeline.flush(timeout: .seconds(2)) != .completed, "round \(round)")
            #expect(sink.stats.pendingBatches <= 4, "round \(round)")
            try await receiver.start()
            #expect(await pipeline.flush(timeout: .seconds(30)) == .completed, "round \(round)")
            // Ten or more batches met a buffer of four: at least six were dropped and counted.
            let dropped = sink.stats.droppedRecords.overflow - dropsBefore
            #expect(dropped >= 60 && dropped < 100, "round \(round): \(dropped)")
            outageDrops += dropped
        }
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(sink.stats.pendingHighWaterMark == 4, "the buffer filled up and stayed bounded")
        // Four batches is a small buffer: a burst can overflow it even while the receiver is up.
        let dropped = sink.stats.droppedRecords
        #expect(dropped.total == dropped.overflow && dropped.overflow >= outageDrops)
        #expect(report.stats.dropped.sinkFailure == dropped.total && report.stats.isBalanced, "drops counted exactly")
        #expect(report.stats.logged == total && report.stats.written == total - dropped.total)
        let seen = arrivals(receiver)
        #expect(seen.count == total - dropped.total && seen.values.allSatisfy { $0 == 1 }, "the rest exactly once")
        for outage in outages {
            // dropOldest: the newest batch of each outage survives.
            #expect(seen[outage.upperBound - 1] == 1)
        }
        #expect(sink.stats.failures.connection > 0)
    }

    @Test func shutdownDrainsInFlightBatchesWithinItsTimeout() async throws {
        let receiver = try HTTPReceiver(["--stall-first", "3", "--stall-seconds", "0.5"])
        try await receiver.start()
        let sink = try HTTPSink(url: receiver.url, encoding: Self.ndjson, timeout: .seconds(10))
        let pipeline = try pipeline(sink, batch: 20)
        log(pipeline, count: 200)
        let report = await pipeline.shutdown(timeout: .seconds(20))
        #expect(!report.timedOut && report.unfinishedSinks.isEmpty)
        #expect(report.stats.written == 200 && report.stats.inFlight == 0)
        #expect(arrivals(receiver).count == 200)
    }

    @Test func aTimedOutRequestIsRetried() async throws {
        let receiver = try HTTPReceiver(["--stall-first", "1", "--stall-seconds", "3"])
        try await receiver.start()
        let sink = try HTTPSink(
            url: receiver.url, encoding: Self.ndjson, timeout: .milliseconds(500), retry: Self.fastRetry)
        let pipeline = try pipeline(sink)
        log(pipeline, count: 10)
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.written == 10)
        #expect(sink.stats.failures.timeout >= 1)
        #expect(arrivals(receiver).count == 10, "at least once: the stalled request may count too")
    }

    @Test(.enabled(if: HTTPReceiver.otlpShouldRun, HTTPReceiver.otlpSkipMessage))
    func otlpBodyDecodesWithTheOfficialDefinitions() async throws {
        let python = try #require(HTTPReceiver.otlpPython, "CI sets SLUICE_OTLP_PYTHON")
        let receiver = try HTTPReceiver()
        try await receiver.start()
        let encoding = OTLPLogsEncoding(
            serviceName: "checkout", resourceAttributes: ["deployment.environment": "test"], includeSequence: true)
        let sink = try HTTPSink(url: receiver.url, encoding: encoding, gzip: true)
        let pipeline = try pipeline(sink)
        let api = pipeline.logger(label: "api")
        let db = pipeline.logger(label: "api.db")
        for level in LogLevel.allCases {
            api.log(level: level, "at \(level)", metadata: ["level": .string(level.name)])
        }
        db.warning(
            "typed \"quoted\"\nline",
            metadata: [
                "s": "text", "n": 9_007_199_254_740_993, "d": 2.5, "nan": .double(.nan), "b": true,
                "list": [1, "two"], "user": ["id": 7, "tags": ["a"]],
            ])
        _ = await pipeline.shutdown(timeout: .seconds(30))
        let bodies = receiver.requests().filter { $0.status == 200 }.map { request in
            let path = receiver.directory.appendingPathComponent("otlp-\(UUID().uuidString).json")
            try? request.body.write(to: path)
            return path.path
        }
        #expect(receiver.requests().allSatisfy { $0.headers["Content-Type"] == "application/json" })
        let output = try run(python, [HTTPReceiver.validator] + bodies)
        let records = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        #expect(records.count == 8)
        let expectedSeverity: [LogLevel: Int] = [
            .trace: 1, .debug: 5, .info: 9, .notice: 10, .warning: 13, .error: 17, .critical: 21,
        ]
        for record in records {
            let resource = record["resource"] as? [String: Any]
            #expect((resource?["service.name"] as? [String: Any])?["stringValue"] as? String == "checkout")
            #expect((resource?["deployment.environment"] as? [String: Any])?["stringValue"] as? String == "test")
            #expect((record["timeUnixNano"] as? Int ?? 0) > 1_700_000_000_000_000_000)
            let attributes = record["attributes"] as? [String: Any] ?? [:]
            #expect(attributes["sluice.sequence"] != nil)
            if let name = (attributes["level"] as? [String: Any])?["stringValue"] as? String,
                let level = LogLevel(name)
            {
                #expect(record["scope"] as? String == "api")
                #expect(record["severityNumber"] as? Int == expectedSeverity[level])
                #expect(record["severityText"] as? String == level.name.uppercased())
                #expect(record["body"] as? String == "at \(level)")
            }
        }
        let typed = try #require(records.first { $0["scope"] as? String == "api.db" })
        #expect(typed["body"] as? String == "typed \"quoted\"\nline")
        let attributes = typed["attributes"] as? [String: [String: Any]] ?? [:]
        #expect(attributes["s"]?["stringValue"] as? String == "text")
        #expect(attributes["n"]?["intValue"] as? String == "9007199254740993", "64-bit integers survive")
        #expect(attributes["d"]?["doubleValue"] as? Double == 2.5)
        #expect(attributes["nan"]?["doubleValue"] as? String == "NaN")
        #expect(attributes["b"]?["boolValue"] as? Bool == true)
        #expect(attributes["list"]?["arrayValue"] != nil && attributes["user"]?["kvlistValue"] != nil)
    }

    @Test func invalidConfigurationIsAClearError() {
        #expect(throws: SluiceError.self) { try HTTPSink(url: "ftp://example.com/") }
        #expect(throws: SluiceError.self) { try HTTPSink(url: "not a url") }
        #expect(throws: SluiceError.self) {
            try HTTPSink(url: "http://127.0.0.1:1/", headers: ["X-Bad\r\nInjected": "1"])
        }
        #expect(throws: SluiceError.self) { try HTTPSink(url: "http://127.0.0.1:1/", timeout: .zero) }
        #expect(throws: SluiceError.self) {
            try HTTPSink(url: "http://127.0.0.1:1/", retry: RetryOptions(maxPendingBatches: 0))
        }
    }

    @Test func retryAfterAcceptsSecondsAndHTTPDates() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse(" 0 ", now: now) == .zero)
        #expect(RetryAfter.parse("Fri, 15 Jan 2027 08:00:30 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.parse("soon", now: now) == nil)
    }
}
