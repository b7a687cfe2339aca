import Foundation
import Sluice
import SluiceTesting
import Testing

@Suite struct RawLineLoggerTests {
    func makePipeline(_ memory: MemorySink, level: LogLevel = .trace) throws -> LogPipeline {
        try LogPipeline(sinks: [memory], level: level, levelEnvironmentVariable: nil)
    }

    @Test func linesBecomeRecordsWithTheLabelStreamAndLevel() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline(memory)
        let out = pipeline.rawLineLogger(label: "worker", stream: "stdout")
        let err = pipeline.rawLineLogger(label: "worker", stream: "stderr", level: .error, metadata: ["pid": 42])
        out.write("listening on :8080")
        Array("disk full".utf8).withUnsafeBytes { err.write($0) }
        out.write("override", level: .warning)
        await pipeline.shutdown()

        let records = memory.records
        #expect(records.map(\.message) == ["listening on :8080", "disk full", "override"])
        #expect(records.map(\.label) == ["worker", "worker", "worker"])
        #expect(records.map(\.level) == [.info, .error, .warning])
        #expect(records[0].metadata.keys == ["stream"])
        #expect(records[0].metadata["stream"] == "stdout")
        #expect(records[1].metadata.keys == ["stream", "pid"])
        #expect(records[1].metadata["stream"] == "stderr")
        #expect(records[1].metadata["pid"] == 42)
        #expect(pipeline.stats.logged == 3 && pipeline.stats.written == 3)
    }

    /// With a backtrace below the pipeline's level, a debug line is kept for the backtrace only (the
    /// sink takes every level, so only the stage keeps it out); and a level changed at runtime
    /// reaches a raw-line logger that already exists.
    @Test func linesBelowThePipelineLevelGoOnlyToABacktraceAndLevelsFollowChanges() async throws {
        let memory = MemorySink(level: .trace)
        let pipeline = try LogPipeline(
            sinks: [memory], level: .info, levelEnvironmentVariable: nil,
            stages: StageOptions(backtrace: Backtrace(level: .debug, capacity: 4)))
        let out = pipeline.rawLineLogger(label: "worker", stream: "stdout")
        out.write("step", level: .debug)
        out.write("too low", level: .trace)
        out.write("ready")
        await pipeline.flush()
        #expect(memory.records.map(\.message) == ["ready"])
        out.write("crashed", level: .error)
        await pipeline.flush()
        #expect(memory.records.map(\.message) == ["ready", "step", "crashed"])
        #expect(memory.records[1].metadata["backtrace"] == true)

        pipeline.setLevel(.error, for: "worker")
        out.write("quiet now", level: .warning)
        out.write("still loud", level: .error)
        let report = await pipeline.shutdown()
        // The warning is below the label's level now: held for the backtrace, written ahead of the error.
        #expect(memory.records.map(\.message) == ["ready", "step", "crashed", "quiet now", "still loud"])
        #expect(memory.records[3].metadata["backtrace"] == true)
        #expect(report.stats.isBalanced && report.stats.inFlight == 0, "\(report.stats)")
    }

    @Test func invalidUTF8BecomesVisibleEscapesAndValidTextIsKept() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline(memory)
        let out = pipeline.rawLineLogger(label: "bin", stream: "stdout")
        let lines: [[UInt8]] = [
            [0x61, 0xFF, 0x62],  // a stray byte
            Array("héllo ✓ 😀".utf8),  // valid multi-byte text stays as it is
            [0xC3],  // a sequence cut short
            [0xED, 0xA0, 0x80],  // an encoded surrogate
            [0xC0, 0xAF],  // an overlong slash
            [0x00, 0x1B, 0x5B, 0x32, 0x4A],  // NUL and ESC[2J are valid UTF-8: the formats escape them
            [],
        ]
        for line in lines {
            line.withUnsafeBytes { out.write($0) }
        }
        await pipeline.shutdown()
        #expect(
            memory.messages == [
                "a\\xffb", "héllo ✓ 😀", "\\xc3", "\\xed\\xa0\\x80", "\\xc0\\xaf", "\u{0}\u{1B}[2J", "",
            ])
        let text = memory.records.map { TextFormat().render($0) }
        #expect(text[5].hasSuffix("bin: \\x00\\x1b[2J stream=stdout"), "\(text[5])")
        let json = memory.records.map { JSONFormat().render($0) }
        #expect(json[0].contains(#""message":"a\\xffb""#), "\(json[0])")
    }

    @Test func aStructuredLineKeepsItsFieldsButNotAStreamOfItsOwn() async throws {
        let memory = MemorySink()
        let pipeline = try makePipeline(memory)
        let out = pipeline.rawLineLogger(label: "api", stream: "stdout")
        out.write(message: "signed in", level: .notice, metadata: ["user": 7, "stream": "forged"])
        await pipeline.shutdown()
        let record = try #require(memory.records.first)
        #expect(record.level == .notice)
        #expect(record.metadata.keys == ["stream", "user"])
        #expect(record.metadata["stream"] == "stdout")
        #expect(LogfmtFormat().render(record).hasSuffix("msg=\"signed in\" stream=stdout user=7"))
    }

    @Test func linesBelowTheLabelsLevelAreDiscardedAtTheCall() async throws {
        let memory = MemorySink()
        let pipeline = try LogPipeline(
            sinks: [memory], level: .info, labelLevels: ["quiet": .error], levelEnvironmentVariable: nil)
        let quiet = pipeline.rawLineLogger(label: "quiet", stream: "stdout")
        #expect(!quiet.isEnabled(.warning) && quiet.isEnabled(.error))
        quiet.write("dropped")
        quiet.write("kept", level: .error)
        await pipeline.shutdown()
        #expect(memory.messages == ["kept"])
        #expect(pipeline.stats.logged == 1, "a disabled line is not even counted as logged")
    }

    @Test func linesFromOneThreadKeepTheirOrderAcrossBatches() async throws {
        let memory = MemorySink()
        let pipeline = try LogPipeline(
            sinks: [memory], level: .trace, levelEnvironmentVariable: nil, batching: .init(maxRecords: 64),
            queue: .init(capacity: 256, overflow: .block))
        let out = pipeline.rawLineLogger(label: "seq", stream: "stdout")
        await onDedicatedThreads(1) { _ in
            for i in 0..<10_000 {
                out.write("line \(i)")
            }
        }
        await pipeline.shutdown()
        #expect(memory.messages == (0..<10_000).map { "line \($0)" })
    }
}

@Suite struct LabelFileStatsTests {
    @Test func countsLinesBytesAndRotationsPerLabel() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sink = try LabelFileSink(
            directory: directory.path, format: .logfmt, rotation: RotationPolicy(trigger: .size(bytes: 400)))
        let pipeline = try LogPipeline(sinks: [sink], level: .trace, levelEnvironmentVariable: nil)
        let billing = pipeline.rawLineLogger(label: "billing", stream: "stdout")
        let search = pipeline.rawLineLogger(label: "search", stream: "stderr")
        for i in 0..<30 {
            billing.write("invoice \(i) padding padding padding")
            if i % 10 == 0 {
                search.write("query \(i)")
            }
        }
        await pipeline.shutdown()

        let stats = sink.labelStats
        #expect(stats.map(\.label) == ["billing", "search"])
        let billingStats = try #require(sink.stats(forLabel: "billing"))
        let searchStats = try #require(sink.stats(forLabel: "search"))
        #expect(billingStats.fileName == "billing.log" && searchStats.fileName == "search.log")
        #expect(billingStats.linesWritten == 30 && searchStats.linesWritten == 3)
        #expect(billingStats.lastWrite != nil)
        #expect(billingStats.rotations > 0, "billing wrote more than 400 bytes")
        #expect(searchStats.rotations == 0, "search wrote less than 400 bytes")
        #expect(billingStats.linesWritten + searchStats.linesWritten == sink.stats.linesWritten)
        #expect(billingStats.bytesWritten + searchStats.bytesWritten == sink.stats.bytesWritten)
        #expect(billingStats.rotations + searchStats.rotations == sink.stats.rotations)
        // The bytes of each label are its files' bytes on disk.
        var billingBytes = 0
        for name in try directoryListing(directory) where name.hasPrefix("billing.") {
            billingBytes += try Data(contentsOf: directory.appendingPathComponent(name)).count
        }
        #expect(billingBytes == billingStats.bytesWritten)
        #expect(sink.stats(forLabel: "never-logged") == nil)
    }

    @Test func interleavedLabelsInOneBatchKeepTheirOrderInTheirOwnFiles() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sink = try LabelFileSink(directory: directory.path, format: .logfmt)
        let labels = ["a", "b", "a.b", "a", "c", "b", "a"]
        try await sink.write(labels.enumerated().map { record("\($0.offset)", label: $0.element) })
        try await sink.close()
        for label in Set(labels) {
            let content = try String(contentsOf: directory.appendingPathComponent("\(label).log"), encoding: .utf8)
            let expected = labels.enumerated().filter { $0.element == label }.map { "msg=\($0.offset)" }
            #expect(content.split(separator: "\n").map { String($0.split(separator: " ")[3]) } == expected, "\(label)")
            #expect(sink.stats(forLabel: label)?.linesWritten == expected.count)
        }
    }
}
