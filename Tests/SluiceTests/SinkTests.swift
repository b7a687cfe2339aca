import Foundation
import Sluice
import SluiceTesting
import Testing

/// Reads whatever is available from a non-blocking descriptor.
func readAvailable(_ descriptor: Int32) -> String {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = read(descriptor, &buffer, buffer.count)
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

func makePipe() -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    precondition(pipe(&fds) == 0)
    _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
    return (fds[0], fds[1])
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    // A test that sets umask 000 may run at the same time; file sinks refuse world-writable directories.
    chmod(url.path, 0o755)
    return url
}

@Suite struct ConsoleSinkTests {
    static let timestamp = LogTimestamp(nanosecondsSinceEpoch: 1_795_435_200_000_000_000)

    func records(_ levels: [LogLevel]) -> [LogRecord] {
        levels.enumerated().map { LogRecord(timestamp: Self.timestamp, level: $1, label: "c", message: "m\($0)") }
    }

    @Test func writesFormattedLinesToStandardOutput() async throws {
        let out = makePipe()
        defer {
            close(out.read)
            close(out.write)
        }
        let sink = ConsoleSink(
            level: .info, format: .logfmt, stderrLevel: nil, colors: .never, name: "console", standardOutput: out.write,
            standardError: out.write)
        try await sink.write(records([.info, .error]))
        let expected = """
            ts=2026-11-23T12:00:00.000000Z level=info label=c msg=m0
            ts=2026-11-23T12:00:00.000000Z level=error label=c msg=m1

            """
        #expect(readAvailable(out.read) == expected)
        #expect(sink.bytesWritten == expected.utf8.count)
    }

    @Test func severeRecordsCanGoToStandardErrorInOrder() async throws {
        let out = makePipe()
        let err = makePipe()
        defer { [out.read, out.write, err.read, err.write].forEach { close($0) } }
        let sink = ConsoleSink(
            level: .trace, format: .text, stderrLevel: .warning, colors: .never, name: "console",
            standardOutput: out.write, standardError: err.write)
        try await sink.write(records([.info, .warning, .debug, .error, .critical, .info]))
        let stdout = readAvailable(out.read).split(separator: "\n").map { String($0.suffix(2)) }
        let stderr = readAvailable(err.read).split(separator: "\n").map { String($0.suffix(2)) }
        #expect(stdout == ["m0", "m2", "m5"])
        #expect(stderr == ["m1", "m3", "m4"])
    }

    @Test func coloursOnlyWhenAllowed() async throws {
        let out = makePipe()
        defer {
            close(out.read)
            close(out.write)
        }
        let coloured = ConsoleSink(
            level: .info, format: .text, stderrLevel: nil, colors: .always, name: "c", standardOutput: out.write,
            standardError: out.write)
        try await coloured.write(records([.error]))
        #expect(readAvailable(out.read).contains("\u{1B}[31mERROR"))
        let plain = ConsoleSink(
            level: .info, format: .text, stderrLevel: nil, colors: .auto, name: "c", standardOutput: out.write,
            standardError: out.write)
        try await plain.write(records([.error]))
        #expect(!readAvailable(out.read).contains("\u{1B}"), "a pipe is not a terminal")
    }

    @Test(arguments: [
        (ColorMode.auto, true, [String: String](), true),
        (.auto, false, [:], false),
        (.auto, true, ["NO_COLOR": "1"], false),
        (.auto, true, ["NO_COLOR": ""], true),
        (.auto, false, ["FORCE_COLOR": "1"], true),
        (.auto, true, ["FORCE_COLOR": "0"], false),
        (.auto, false, ["FORCE_COLOR": "true", "NO_COLOR": "1"], true),
        (.auto, true, ["TERM": "dumb"], false),
        (.always, false, ["NO_COLOR": "1"], true),
        (.never, true, ["FORCE_COLOR": "1"], false),
    ])
    func colourDecisionHonoursTerminalNoColorAndForceColor(
        mode: ColorMode, isTerminal: Bool, environment: [String: String], expected: Bool
    ) {
        #expect(mode.resolve(isTerminal: isTerminal) { environment[$0] } == expected)
    }

    @Test func aDescriptorThatCannotBeWrittenIsAClearError() async throws {
        // A pipe's read end refuses writes (EBADF). A closed descriptor's number would do the same,
        // but tests running in parallel may reuse that number for their own pipes and sockets.
        let out = makePipe()
        defer {
            close(out.read)
            close(out.write)
        }
        let sink = ConsoleSink(
            level: .info, format: .text, stderrLevel: nil, colors: .never, name: "c", standardOutput: out.read,
            standardError: out.read)
        await #expect(throws: SluiceError.self) { try await sink.write(records([.info])) }
    }
}

@Suite(.serialized) struct FileSinkTests {
    @Test func writesJSONLinesThroughThePipelineAndCreatesParentDirectories() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nested/deeper/app.log").path
        let file = try FileSink(path: path, level: .debug, format: JSONFormat(includeSequence: true))
        let pipeline = try LogPipeline(
            sinks: [file], level: .trace, levelEnvironmentVariable: nil, onInternalError: .ignore)
        let log = pipeline.logger(label: "file")
        for i in 0..<5_000 {
            log.log(level: i % 2 == 0 ? .debug : .trace, "line \(i)", metadata: ["i": .integer(i)])
        }
        let report = await pipeline.shutdown()
        #expect(!report.timedOut)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        let objects = try lines.dropLast().map { try FormatTests.parseJSON(String($0)) }
        #expect(objects.count == 2_500)
        #expect(objects.map { $0["message"] as? String } == (0..<2_500).map { "line \($0 * 2)" })
        #expect(objects.allSatisfy { $0["level"] as? String == "debug" })
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(report.stats.sinks[0].bytes == size)
        let parentMode =
            try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("nested").path)[
                .posixPermissions] as? Int
        #expect(parentMode.map { $0 & 0o777 } == 0o750 & ~Int(currentUmask()))
    }

    @Test func largeBatchesAreWrittenInChunksWithoutSplittingALine() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("big.log").path
        let sink = try FileSink(path: path, format: JSONFormat(maxMessageBytes: 1 << 20))
        let messages = (0..<30).map {
            String(repeating: Character(UnicodeScalar(UInt8(65 + $0 % 26))), count: 100_000 + $0)
        }
        try await sink.write(messages.map { LogRecord(level: .info, label: "big", message: $0) })
        try await sink.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 30)
        #expect(try lines.map { try FormatTests.parseJSON(String($0))["message"] as? String } == messages)
    }

    @Test(arguments: [mode_t(0o000), 0o077, 0o022])
    func newFilesGetMode0640WhateverTheUmask(umaskValue: mode_t) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let previous = umask(umaskValue)
        defer { umask(previous) }
        let sink = try FileSink(path: path)
        try await sink.close()
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o640)
    }

    @Test func existingFilesAreAppendedToAndKeepTheirMode() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        try "existing\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        let sink = try FileSink(path: path, format: .logfmt)
        try await sink.write([LogRecord(level: .info, label: "a", message: "appended")])
        try await sink.close()
        let content = try String(contentsOfFile: path, encoding: .utf8)
        #expect(content.hasPrefix("existing\nts="))
        #expect(content.hasSuffix("msg=appended\n"))
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test func unopenablePathsThrowErrorsThatNameThePathAndTheCause() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let regularFile = directory.appendingPathComponent("plain")
        try "x".write(to: regularFile, atomically: false, encoding: .utf8)
        let subdirectory = directory.appendingPathComponent("subdirectory")
        try FileManager.default.createDirectory(at: subdirectory, withIntermediateDirectories: false)
        let cases: [(path: String, phrase: String)] = [
            (regularFile.path + "/sub/app.log", "a file with that name exists"),
            (subdirectory.path, "EISDIR"),
            ("", "path is empty"),
        ]
        for (path, phrase) in cases {
            do {
                _ = try FileSink(path: path)
                Issue.record("expected FileSink(path: \(path)) to throw")
            } catch {
                #expect(error.code == .fileOpenFailed)
                #expect(error.message.contains(phrase), "\(error.message)")
                if !path.isEmpty {
                    #expect(error.message.contains("'"), "names the path: \(error.message)")
                }
            }
        }
    }

    @Test func writingAfterCloseIsAnErrorNotACrash() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sink = try FileSink(path: directory.appendingPathComponent("a.log").path)
        try await sink.close()
        try await sink.close()
        await #expect(throws: SluiceError.self) {
            try await sink.write([LogRecord(level: .info, label: "a", message: "x")])
        }
    }
}

func currentUmask() -> mode_t {
    let value = umask(0)
    umask(value)
    return value
}

@Suite struct HandlerSinkTests {
    @Test func callsTheHandlerForRecordsAtOrAboveItsLevel() async throws {
        let seen = LockedValue([String]())
        let alerts = HandlerSink(level: .error, name: "alerts") { record in
            seen.withLock { $0.append(record.message) }
        }
        let memory = MemorySink()
        let pipeline = try LogPipeline(sinks: [alerts, memory], level: .trace, levelEnvironmentVariable: nil)
        let log = pipeline.logger(label: "h")
        log.info("fine")
        log.error("bad")
        log.critical("worse")
        await pipeline.shutdown()
        #expect(seen.withLock { $0 } == ["bad", "worse"])
        #expect(memory.records.count == 3)
        #expect(pipeline.stats.sinks[0].written == 2)
    }

    @Test func aThrowingHandlerStillSeesTheWholeBatch() async throws {
        struct Boom: Error {}
        let seen = LockedValue(0)
        let sink = HandlerSink(level: .trace) { _ in
            seen.withLock { $0 += 1 }
            throw Boom()
        }
        await #expect(throws: Boom.self) {
            try await sink.write([
                LogRecord(level: .error, label: "a", message: "1"), LogRecord(level: .error, label: "a", message: "2"),
            ])
        }
        #expect(seen.withLock { $0 } == 2)
    }
}
