import Foundation
import Testing

/// The Python receiver in this folder, started by the test on 127.0.0.1.
final class HTTPReceiver: @unchecked Sendable {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "http_receiver.py"
    ).path
    static let validator = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "validate_otlp.py"
    ).path
    /// The virtualenv python with opentelemetry-proto, set by CI (`.ci/run`).
    static let otlpPython = ProcessInfo.processInfo.environment["SLUICE_OTLP_PYTHON"]
    static let otlpShouldRun = otlpPython != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    static let otlpSkipMessage: Comment =
        "set SLUICE_OTLP_PYTHON to a python with opentelemetry-proto: python3 -m venv .build-venv && .build-venv/bin/pip install opentelemetry-proto && export SLUICE_OTLP_PYTHON=$PWD/.build-venv/bin/python"

    let directory: URL
    private(set) var port = 0
    private var pid: pid_t?
    private var arguments: [String]

    init(_ options: [String] = []) throws {
        directory = URL(fileURLWithPath: "/tmp/sluice-http-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        arguments = options
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    var url: String { "http://127.0.0.1:\(port)/v1/logs" }

    /// Starts the receiver (on the same port when restarted) and waits until it listens.
    func start() async throws {
        let portFile = directory.appendingPathComponent("port-\(UUID().uuidString.prefix(4))").path
        var args = [Self.script, "--dir", directory.path, "--port-file", portFile] + arguments
        if port != 0 {
            args += ["--port", String(port)]
        }
        let pid = try spawn("/usr/bin/env", ["python3"] + args)
        self.pid = pid
        // Generous: an external process starting while the whole suite runs under ThreadSanitizer
        // on two cores took more than 30 s in CI.
        let deadline = ContinuousClock.now.advanced(by: .seconds(120))
        while ContinuousClock.now < deadline {
            guard isRunning(pid) else {
                self.pid = nil
                throw TestFailure("the HTTP receiver exited at start-up")
            }
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text),
                canConnect(port: port)
            {
                self.port = port
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("the HTTP receiver did not listen within 120 seconds")
    }

    func stop() {
        guard let pid else { return }
        self.pid = nil
        terminate(pid)
    }

    struct Request {
        var status: Int
        var body: Data
        var time: Double
        var headers: [String: String]
        var path: String
    }

    /// Every request received so far, in arrival order.
    func requests() -> [Request] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix("port") }.sorted().compactMap { name in
            let base = directory.appendingPathComponent(String(name.dropLast(5)))
            guard let meta = try? Data(contentsOf: base.appendingPathExtension("json")),
                let object = try? JSONSerialization.jsonObject(with: meta) as? [String: Any],
                let body = try? Data(contentsOf: base.appendingPathExtension("body")),
                let status = Int(name.dropLast(5).split(separator: "-").last ?? "")
            else { return nil }
            return Request(
                status: status, body: body, time: object["time"] as? Double ?? 0,
                headers: object["headers"] as? [String: String] ?? [:], path: object["path"] as? String ?? "")
        }
    }

    /// The JSON lines of every accepted (2xx) body.
    func acceptedLines() -> [[String: Any]] {
        requests().filter { $0.status == 200 }.flatMap { request in
            String(decoding: request.body, as: UTF8.self).split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }
}

/// Runs `executable` and returns its standard output.
func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self)
}
