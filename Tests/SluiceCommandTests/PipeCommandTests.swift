import Foundation
import Testing

/// `sluice pipe` fed by the test, and the network outputs of both commands.
@Suite(.serialized) struct PipeCommandTests {
    let directory: URL

    init() throws {
        directory = try makeTemporaryDirectory()
    }

    func log(_ name: String) -> String {
        directory.appendingPathComponent("\(name).log").path
    }

    @Test func aClosedStandardInputDrainsAndExitsZero() async throws {
        let result = try await SluiceRun(
            ["pipe", "--dir", directory.path, "--name", "empty"], standardInput: FileHandle.nullDevice
        ).finish()
        #expect(result.status == 0)
        #expect(result.error.contains("empty: 0 lines"), "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: log("empty")), "no line, no file")
    }

    @Test func everyInputLineIsWrittenInOrderWhenTheInputEnds() async throws {
        let run = try SluiceRun([
            "pipe", "--dir", directory.path, "--name", "batch", "--format", "json", "--level", "notice",
        ])
        let count = 50_000
        let input = (0..<count).map { "input line \($0)\n" }.joined() + "no newline at the end"
        let writer = run.input.fileHandleForWriting
        try await offThePool {
            writer.write(Data(input.utf8))
            try writer.close()
        }
        let result = try await run.finish()
        #expect(result.status == 0, "\(result.error)")
        let lines = try logLines(log("batch"))
        #expect(lines.map(\.message) == (0..<count).map { "input line \($0)" } + ["no newline at the end"])
        #expect(lines.allSatisfy { $0.stream == "stdin" && $0.level == "notice" && $0.label == "batch" })
    }

    @Test func sigtermStopsReadingWritesWhatWasReadAndExitsZero() async throws {
        let run = try SluiceRun(["pipe", "--dir", directory.path, "--name", "stopped", "--format", "json"])
        run.input.fileHandleForWriting.write(Data("first\nsecond\nhalf a li".utf8))
        // At least: after --idle (100 ms) the partial line is written too, and a busy machine may
        // look only after that.
        try await waitUntil("the first lines") { try logLines(log("stopped")).count >= 2 }
        run.signal(SIGTERM)
        let result = try await run.finish()
        #expect(result.status == 0)
        #expect(try logLines(log("stopped")).map(\.message) == ["first", "second", "half a li"])
    }

    @Test func withoutAnOutputRecordsGoToStandardOutput() async throws {
        let run = try SluiceRun(["pipe", "--name", "console", "--format", "logfmt", "--quiet"])
        let writer = run.input.fileHandleForWriting
        writer.write(Data("hello\nbell \u{7} and \u{1B}[2J\n".utf8))
        try writer.close()
        let result = try await run.finish()
        #expect(result.status == 0)
        let text = String(decoding: result.output, as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix(#"level=info label=console msg=hello stream=stdin"#) == true, "\(text)")
        #expect(lines.last?.hasSuffix(#"msg="bell \u0007 and \u001b[2J" stream=stdin"#) == true, "\(text)")
        #expect(result.error.isEmpty)
    }

    @Test func syslogOverUDPReceivesEveryLine() async throws {
        let receiver = try UDPReceiver()
        let run = try SluiceRun(["pipe", "--name", "shipped", "--syslog", "udp://127.0.0.1:\(receiver.port)"])
        let writer = run.input.fileHandleForWriting
        writer.write(Data((0..<20).map { "datagram \($0)\n" }.joined().utf8))
        try writer.close()
        let result = try await run.finish()
        #expect(result.status == 0, "\(result.error)")
        let messages = try await offThePool { receiver.receive(count: 20) }
        #expect(messages.count == 20)
        for (index, message) in messages.enumerated() {
            // RFC 5424: <PRI>1 TIME HOST APP PROCID MSGID [SD] MSG; info of facility user = 14.
            #expect(message.hasPrefix("<14>1 "), "\(message)")
            #expect(message.contains(" shipped "), "APP-NAME is the name: \(message)")
            #expect(message.contains(#"[sluice@32473 stream="stdin"]"#), "\(message)")
            #expect(message.hasSuffix("datagram \(index)"), "\(message)")
        }
    }

    @Test func httpWithOTLPPostsEveryLine() async throws {
        let receiver = try HTTPReceiverProcess()
        defer { receiver.stop() }
        let port = try await receiver.start()
        let run = try SluiceRun([
            "run", "--name", "otlp-app", "--http", "http://127.0.0.1:\(port)/v1/logs", "--format", "otlp", "--quiet",
            "--", "/bin/sh", "-c", "echo one; echo two >&2",
        ])
        let result = try await run.finish()
        #expect(result.status == 0)
        #expect(result.output.isEmpty, "with an output, nothing goes to standard output")
        let bodies = try receiver.bodies()
        let text = bodies.map { String(decoding: $0, as: UTF8.self) }.joined()
        let document = try #require(bodies.first.flatMap { try? JSONSerialization.jsonObject(with: $0) })
        #expect(document is [String: Any], "OTLP/JSON bodies")
        #expect(text.contains(#""stringValue":"otlp-app""#), "service.name: \(text)")
        for message in ["one", "two", "started"] {
            #expect(text.contains(#""body":{"stringValue":"\#(message)"}"#), "\(message) in \(text)")
        }
    }
}

/// A UDP socket on 127.0.0.1 standing in for a syslog receiver.
final class UDPReceiver: Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard descriptor >= 0, bound else { throw TestFailure("cannot bind a UDP socket") }
        port = Int(UInt16(bigEndian: address.sin_port))
        // A receive timeout guards against a hang if datagrams never come.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(descriptor)
    }

    func receive(count: Int) -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while messages.count < count {
            let n = recv(descriptor, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
        }
        return messages
    }
}

/// The Python HTTP receiver of the library's tests (Tests/SluiceTests/Receivers), started here.
final class HTTPReceiverProcess: @unchecked Sendable {
    // @unchecked Sendable is safe: `process` is set once in `start()` before any concurrent use, and
    // the rest are immutable.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SluiceTests/Receivers/http_receiver.py").path
    let directory: URL
    private var process: Process?

    init() throws {
        directory = try makeTemporaryDirectory()
    }

    func start() async throws -> Int {
        let portFile = directory.appendingPathComponent("port").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, "--dir", directory.path, "--port-file", portFile]
        try process.run()
        self.process = process
        var port = 0
        try await waitUntil("the HTTP receiver to listen") {
            port = Int((try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "") ?? 0
            return port > 0 || !process.isRunning
        }
        guard port > 0 else { throw TestFailure("the HTTP receiver did not start") }
        return port
    }

    /// The bodies received, in arrival order.
    func bodies() throws -> [Data] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".body") }.sorted()
            .map { try Data(contentsOf: directory.appendingPathComponent($0)) }
    }

    /// SIGKILL: a process started from a pool thread inherits its blocked signal mask, SIGTERM
    /// included.
    func stop() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
