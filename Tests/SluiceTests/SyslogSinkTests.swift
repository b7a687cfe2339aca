import Foundation
import Sluice
import Testing

/// SyslogSink against a real rsyslogd started by the test.
@Suite(.serialized, .enabled(if: Rsyslog.shouldRun, Rsyslog.skipMessage))
struct SyslogSinkTests {
    static let fastRetry = RetryOptions(
        initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(200), retryBudget: .seconds(60))

    func pipeline(_ sink: SyslogSink, errors: ErrorCollector = ErrorCollector()) throws -> LogPipeline {
        try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 128, maxDelay: .milliseconds(5)), onInternalError: errors.handler)
    }

    static let levels = LogLevel.allCases

    /// Logs `count` records numbered from `start` with levels cycling through all seven.
    func log(_ pipeline: LogPipeline, count: Int, from start: Int = 0) {
        let log = pipeline.logger(label: "orders.api")
        for i in start..<(start + count) {
            log.log(
                level: Self.levels[i % Self.levels.count], "record \(i)",
                metadata: ["i": .integer(i), "user": "u\"]\\\(i)"])
        }
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    func eventually(timeout: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !condition() {
            if ContinuousClock.now >= deadline {
                return false
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Checks every received line against what was logged; returns the sequence numbers seen.
    func verify(_ lines: [SyslogLine], appName: String) -> [Int: Int] {
        var seen: [Int: Int] = [:]
        for line in lines {
            guard let i = line.param("sluice@32473", "i").flatMap(Int.init) else {
                Issue.record("a line without its index: \(line.message)")
                continue
            }
            seen[i, default: 0] += 1
            let level = Self.levels[i % Self.levels.count]
            #expect(line.severity == SyslogEncoder.severity(level), "record \(i)")
            #expect(line.facility == SyslogFacility.local3.code.asInt)
            #expect(line.appName == appName)
            #expect(line.messageID == "orders.api")
            #expect(line.message == "record \(i)")
            #expect(line.param("sluice@32473", "user") == "u\"]\\\(i)")
            #expect(line.param("meta", "sequenceId") != nil)
        }
        return seen
    }

    @Test func udpDeliversEveryRecordWithSeverityAppNameAndStructuredData() async throws {
        let rsyslog = try Rsyslog()
        try await rsyslog.start()
        let sink = try SyslogSink(
            transport: .udp(host: "127.0.0.1", port: rsyslog.udpPort), facility: .local3, appName: "udp-test",
            includeSequence: true)
        let pipeline = try pipeline(sink)
        // UDP has no flow control: a burst larger than rsyslog's socket buffer would be lost while
        // it is descheduled, so send in steps and let each arrive.
        for step in 0..<6 {
            log(pipeline, count: 50, from: step * 50)
            #expect(await pipeline.flush(timeout: .seconds(10)) == .completed)
            _ = try await rsyslog.messages(from: "udp-test", atLeast: (step + 1) * 50)
        }
        let report = await pipeline.shutdown(timeout: .seconds(10))
        #expect(report.stats.written == 300)
        let seen = verify(try await rsyslog.messages(from: "udp-test", atLeast: 300), appName: "udp-test")
        #expect(seen.count == 300, "missing: \(Set(0..<300).subtracting(seen.keys).sorted().prefix(10))")
        #expect(seen.values.allSatisfy { $0 == 1 }, "every record exactly once")
        #expect(sink.stats.recordsSent == 300)
    }

    @Test func tcpDeliversEveryRecordExactlyOnce() async throws {
        let rsyslog = try Rsyslog()
        try await rsyslog.start()
        let sink = try SyslogSink(
            transport: .tcp(host: "127.0.0.1", port: rsyslog.tcpPort), facility: .local3, appName: "tcp-test",
            includeSequence: true)
        let pipeline = try pipeline(sink)
        log(pipeline, count: 5000)
        let report = await pipeline.shutdown(timeout: .seconds(20))
        #expect(report.stats.written == 5000 && report.stats.dropped.total == 0)
        let lines = try await rsyslog.messages(from: "tcp-test", atLeast: 5000)
        let seen = verify(lines, appName: "tcp-test")
        #expect(seen.count == 5000 && seen.values.allSatisfy { $0 == 1 }, "every record exactly once")
        let sequences = Set(lines.compactMap { $0.param("meta", "sequenceId") })
        #expect(sequences.count == 5000)
        #expect(sink.stats.batchesSent == sink.stats.requestsSent && sink.stats.failures.total == 0)
    }

    @Test func tcpReceiverRestartLosesAtMostWhatTheSinkCounted() async throws {
        let rsyslog = try Rsyslog()
        try await rsyslog.start()
        let errors = ErrorCollector()
        let sink = try SyslogSink(
            transport: .tcp(host: "127.0.0.1", port: rsyslog.tcpPort), facility: .local3, appName: "restart",
            includeSequence: true, retry: Self.fastRetry)
        let pipeline = try pipeline(sink, errors: errors)
        var total = 0
        for round in 0..<2 {
            log(pipeline, count: 200, from: total)
            total += 200
            #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
            _ = try await rsyslog.messages(from: "restart", atLeast: total)
            // The receiver goes away with our connection open; records keep coming meanwhile.
            rsyslog.stop()
            let failuresBefore = sink.stats.failures.connection
            log(pipeline, count: 200, from: total)
            total += 200
            // Start the receiver again only once the sink has tried and failed to reach it: on a
            // loaded machine the sink could otherwise first write after the restart and simply
            // reconnect, and the outage this test is about would not have happened.
            let noticed = await eventually { sink.stats.failures.connection > failuresBefore }
            #expect(noticed, "round \(round): the sink noticed the receiver was away")
            try await rsyslog.start()
            #expect(await pipeline.flush(timeout: .seconds(30)) == .completed, "round \(round)")
        }
        log(pipeline, count: 200, from: total)
        total += 200
        let report = await pipeline.shutdown(timeout: .seconds(30))
        let lines = try await rsyslog.messages(from: "restart", atLeast: total - report.stats.dropped.total)
        let seen = verify(lines, appName: "restart")
        let missing = total - seen.count
        #expect(missing <= report.stats.dropped.sinkFailure, "lost \(missing), counted \(report.stats.dropped)")
        #expect(report.stats.isBalanced && report.stats.logged == total)
        #expect(seen.values.allSatisfy { $0 == 1 }, "no record twice")
        #expect(errors.all.contains { $0.kind == .deliveryRetrying }, "the first failure was reported")
    }

    @Test func unixSocketDeliversToImuxsock() async throws {
        let rsyslog = try Rsyslog()
        try await rsyslog.start()
        let sink = try SyslogSink(
            transport: .unix(path: rsyslog.socketPath), format: .rfc3164, facility: .local3, appName: "unix-test")
        let pipeline = try pipeline(sink)
        let log = pipeline.logger(label: "local")
        for i in 0..<50 {
            log.error("local \(i)", metadata: ["i": .integer(i)])
        }
        let report = await pipeline.shutdown(timeout: .seconds(10))
        #expect(report.stats.written == 50)
        let lines = try await rsyslog.messages(from: "unix-test", atLeast: 50)
        #expect(lines.count == 50)
        #expect(lines.allSatisfy { $0.severity == 3 && $0.facility == 19 && $0.procID == String(getpid()) })
        #expect(
            Set(lines.map { $0.message.trimmingCharacters(in: .whitespaces) })
                == Set((0..<50).map { "local \($0) i=\($0)" }))
    }

    @Test(arguments: ["udp", "tcp"])
    func crAndLfCannotForgeASecondRecord(transport: String) async throws {
        let rsyslog = try Rsyslog()
        try await rsyslog.start()
        let target: SyslogTransport =
            transport == "udp"
            ? .udp(host: "127.0.0.1", port: rsyslog.udpPort) : .tcp(host: "127.0.0.1", port: rsyslog.tcpPort)
        let sink = try SyslogSink(transport: target, facility: .local3, appName: "forge-\(transport)")
        let pipeline = try pipeline(sink)
        let log = pipeline.logger(label: "x")
        let forged = "<13>1 2026-01-01T00:00:00Z evilhost forged 1 - - injected"
        for i in 0..<20 {
            log.info(
                "first\(i)\n\(forged)\r\n\(forged)", metadata: ["i": .integer(i), "v": "a\n\(forged)"])
        }
        // A 5424 frame inside a message over TCP must not be taken as a frame either.
        log.info("7 <13>1 x\n12 <13>1 forged")
        _ = await pipeline.shutdown(timeout: .seconds(10))
        let lines = try await rsyslog.messages(from: "forge-\(transport)", atLeast: 21)
        #expect(lines.count == 21)
        let all = rsyslog.lines().compactMap(SyslogLine.init)
        #expect(!all.contains { $0.appName == "forged" || $0.hostname == "evilhost" }, "no forged record")
        #expect(lines.filter { $0.message.hasPrefix("first") }.allSatisfy { $0.message.contains(#"\n<13>1"#) })
    }

    @Test func hostileStructuredDataIsParsedBackByRsyslog() async throws {
        let rsyslog = try Rsyslog()
        try await rsyslog.start()
        let sink = try SyslogSink(transport: .tcp(host: "127.0.0.1", port: rsyslog.tcpPort), appName: "hostile")
        let pipeline = try pipeline(sink)
        let hostile: LogMetadata = [
            "a]b": "v]\"\\", "sp ace=eq\"q": "x y", "": "empty", "ключ": "значение", "nl": "one\ntwo]",
            String(repeating: "k", count: 40): "long", "nested": ["x": ["]", "\""]],
        ]
        pipeline.logger(label: "x").info("m", metadata: hostile)
        _ = await pipeline.shutdown(timeout: .seconds(10))
        let line = try #require(try await rsyslog.messages(from: "hostile", atLeast: 1).first)
        // rsyslog accepted the structured data as RFC 5424 and hands back the exact values, under
        // names that keep distinct keys apart (percent-encoded, long ones cut and hashed).
        #expect(line.param("sluice@32473", "a%5Db") == "v]\"\\")
        #expect(line.param("sluice@32473", "sp%20ace%3Deq%22q") == "x y")
        #expect(line.param("sluice@32473", "%") == "empty")
        #expect(line.param("sluice@32473", "%D0%BA%D0%BB%D1%8E%D1%87") == "значение")
        #expect(line.param("sluice@32473", "nl") == #"one\ntwo]"#)
        #expect(line.param("sluice@32473", "kkkkkkkkkkkkkkkkkk%~05742E85CDBD") == "long")
        #expect(line.param("sluice@32473", "nested") == #"{"x":["]","\""]}"#)
        #expect(line.message == "m")
    }

    @Test func oversizedUDPMessagesArriveTruncatedWithAMarker() async throws {
        let rsyslog = try Rsyslog()
        try await rsyslog.start()
        let sink = try SyslogSink(
            transport: .udp(host: "127.0.0.1", port: rsyslog.udpPort), appName: "big", maxMessageBytes: 1024)
        let pipeline = try pipeline(sink)
        pipeline.logger(label: "x").info("\(String(repeating: "y", count: 100_000))")
        _ = await pipeline.shutdown(timeout: .seconds(10))
        let lines = try await rsyslog.messages(from: "big", atLeast: 1)
        #expect(lines.count == 1)
        #expect(lines.first?.message.hasSuffix("…[truncated, 100000 bytes]") == true)
    }

    @Test func aReceiverThatNeverComesBackIsCountedNotWaitedForeverAtShutdown() async throws {
        let port = try freePort(type: SOCK_STREAM)
        let errors = ErrorCollector()
        let sink = try SyslogSink(
            transport: .tcp(host: "127.0.0.1", port: port), appName: "gone",
            retry: RetryOptions(
                initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50), retryBudget: .seconds(600)))
        let pipeline = try pipeline(sink, errors: errors)
        log(pipeline, count: 100)
        let started = ContinuousClock.now
        let report = await pipeline.shutdown(timeout: .seconds(1))
        #expect(started.duration(to: .now) < .seconds(20), "bounded by the shutdown timeout")
        #expect(report.timedOut)
        #expect(report.stats.dropped.shutdown == 100 && report.stats.inFlight == 0 && report.stats.isBalanced)
        #expect(sink.stats.failures.connection > 0)
    }
}

extension UInt8 {
    var asInt: Int { Int(self) }
}
