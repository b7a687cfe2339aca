import Foundation
import Sluice
import SluiceHTTP
import Testing

/// HTTPSink against a hostile or misconfigured receiver (the Python receiver in `Receivers/`).
@Suite(.serialized) struct HTTPHardeningTests {
    static let fastRetry = RetryOptions(
        initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50), retryBudget: .seconds(60))

    func pipeline(_ sink: HTTPSink, errors: ErrorCollector) throws -> LogPipeline {
        try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 10, maxDelay: .seconds(60)), onInternalError: errors.handler)
    }

    func log(_ pipeline: LogPipeline, count: Int) {
        let log = pipeline.logger(label: "api")
        for i in 0..<count {
            log.info("record \(i)")
        }
    }

    @Test(arguments: [302, 307])
    func aRedirectIsRefusedCountedAndNotFollowed(status: Int) async throws {
        let receiver = try HTTPReceiver(["--redirect", String(status)])
        try await receiver.start()
        let errors = ErrorCollector()
        let sink = try HTTPSink(
            url: receiver.url, headers: ["Authorization": "Bearer secret-token"], retry: Self.fastRetry)
        let pipeline = try pipeline(sink, errors: errors)
        log(pipeline, count: 20)
        let report = await pipeline.shutdown(timeout: .seconds(30))
        // Following a 302 would have sent a bodiless GET to the login page and counted its 200 as
        // delivery; following either would have carried the token to whatever host Location names.
        #expect(report.stats.written == 0 && report.stats.dropped.sinkFailure == 20)
        let requests = receiver.requests()
        #expect(requests.map(\.path) == ["/v1/logs", "/v1/logs"], "nothing reached /landing: \(requests.map(\.path))")
        #expect(requests.allSatisfy { $0.status == status })
        #expect(sink.stats.droppedRecords.rejected == 20 && sink.stats.retries == 0)
        let messages = errors.all.filter { $0.kind == .writeFailed }.map(\.message)
        #expect(
            messages.contains { $0.contains("HTTP \(status) redirects to http://127.0.0.1:\(receiver.port)/landing") })
        #expect(messages.contains { $0.contains("does not follow redirects") })
    }

    @Test func onlyTheStartOfAHugeAnswerIsRead() async throws {
        let size = 200_000_000
        let receiver = try HTTPReceiver(["--answer-bytes", String(size)])
        try await receiver.start()
        let errors = ErrorCollector()
        let sink = try HTTPSink(url: receiver.url, retry: Self.fastRetry)
        let pipeline = try pipeline(sink, errors: errors)
        log(pipeline, count: 10)
        let report = await pipeline.shutdown(timeout: .seconds(60))
        #expect(report.stats.dropped.sinkFailure == 10)
        // The receiver records the answer once its writes end (the sink hung up, or it was all sent).
        let answers = { (try? FileManager.default.contentsOfDirectory(atPath: receiver.directory.path)) ?? [] }
        #expect(await pollUntil { answers().contains { $0.hasSuffix("-400.json") } })
        let metas = answers().filter { $0.hasSuffix("-400.json") }
        #expect(metas.count == 1)
        for name in metas {
            let data = try Data(contentsOf: receiver.directory.appendingPathComponent(name))
            let meta = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            let answered = meta?["answered_bytes"] as? Int ?? size
            // The sink reads 64 KiB and hangs up; what the kernel's buffers took is all the rest.
            #expect(answered < size / 4, "the sink took \(answered) of \(size) bytes")
        }
        let message = errors.all.first { $0.kind == .writeFailed }?.message ?? ""
        #expect(message.contains("HTTP 400: eeee") && message.utf8.count < 1_000)
    }

    @Test func aBodyZlibFailedToCompressGoesPlainWithoutTheGzipHeader() async throws {
        let receiver = try HTTPReceiver()
        try await receiver.start()
        let sink = try HTTPSink(
            url: receiver.url, level: .trace, encoding: NDJSONEncoding(), headers: [:], gzip: true,
            timeout: .seconds(10), maxBatchBytes: 1 << 20, retry: Self.fastRetry, name: nil, compress: { _ in nil })
        let pipeline = try pipeline(sink, errors: ErrorCollector())
        log(pipeline, count: 10)
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.written == 10)
        let requests = receiver.requests()
        #expect(requests.count == 1)
        #expect(requests.allSatisfy { $0.headers["Content-Encoding"] == nil }, "\(requests.map(\.headers))")
        #expect(receiver.acceptedLines().count == 10)
    }

    @Test func urlCredentialsNeverAppearInNamesErrorsOrStats() async throws {
        let receiver = try HTTPReceiver(["--reject"])
        try await receiver.start()
        let errors = ErrorCollector()
        let url = "http://user:hunter2@127.0.0.1:\(receiver.port)/v1/logs?api_key=topsecret&tenant=a#frag"
        let sink = try HTTPSink(url: url, retry: Self.fastRetry)
        #expect(sink.name == "http:http://***@127.0.0.1:\(receiver.port)/v1/logs?***")
        let pipeline = try pipeline(sink, errors: errors)
        log(pipeline, count: 10)
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.dropped.sinkFailure == 10)
        var texts = errors.all.map(\.description) + [sink.name, sink.stats.lastError ?? ""]
        texts += report.stats.sinks.map { "\($0.name) \($0.lastError ?? "")" }
        #expect(!texts.isEmpty)
        for text in texts {
            #expect(!text.contains("hunter2") && !text.contains("topsecret"), "\(text)")
        }
        let invalid = #expect(throws: SluiceError.self) { try HTTPSink(url: "ftp://me:hunter2@host/x?key=topsecret") }
        #expect(invalid.map { !$0.message.contains("hunter2") && !$0.message.contains("topsecret") } == true)
    }

    @Test func aReceiversErrorBodyIsEscapedOntoOneLine() async throws {
        let receiver = try HTTPReceiver(["--error-body", "\\x1b]0;owned\\x07\\n\\u202egnp.exe\\x9b2J"])
        try await receiver.start()
        let errors = ErrorCollector()
        let sink = try HTTPSink(url: receiver.url, retry: Self.fastRetry)
        let pipeline = try pipeline(sink, errors: errors)
        log(pipeline, count: 10)
        _ = await pipeline.shutdown(timeout: .seconds(30))
        let message = errors.all.first { $0.kind == .writeFailed }?.message ?? ""
        #expect(message.contains("\\x1b]0;owned\\x07\\n\\u202egnp.exe\\u009b2J"), "\(message)")
        #expect(
            !message.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}" }
        )
    }
}
