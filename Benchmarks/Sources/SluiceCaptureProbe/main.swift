// sluice-capture-probe: the cost of writing one captured line through the raw-line API and through
// a structured call, for callgrind (exact, load-independent instruction counts):
//
//     valgrind --tool=callgrind .build/release/sluice-capture-probe raw 200000
//     valgrind --tool=callgrind .build/release/sluice-capture-probe structured 200000
//     valgrind --tool=callgrind .build/release/sluice-capture-probe raw 0          # the fixed cost
//
// Each mode writes the same 80-byte line `count` times from one thread into a pipeline whose sink
// formats it as text and discards the bytes; (total - fixed cost) / count is the cost of a line,
// end to end (call, queue, collector, formatting, release).

import Dispatch
import Sluice

/// Formats each batch as text, as a file sink would, and drops the bytes.
actor DiscardingSink: LogSink {
    nonisolated let name = "discard"
    nonisolated let level = LogLevel.trace
    private var output = LogOutput()
    private(set) var bytes = 0

    func write(_ records: [LogRecord]) async throws {
        var next = 0
        while next < records.count {
            output.removeAll()
            next = TextFormat().write(records, from: next, to: &output, byteLimit: 64 * 1024)
            bytes += output.count
        }
    }
}

let arguments = CommandLine.arguments.dropFirst()
let mode = arguments.first ?? "raw"
let count = Int(arguments.dropFirst().first ?? "200000") ?? 200_000
let line = Array("GET /api/v1/items/0001234 200 12ms user=u-42 request_id=00000000deadbeef bytes=512".utf8)

let sink = DiscardingSink()
let pipeline = try LogPipeline(
    sinks: [sink], level: .trace, levelEnvironmentVariable: nil, queue: QueueOptions(overflow: .block))
let raw = pipeline.rawLineLogger(label: "bench", stream: "stdout")
let structured = pipeline.logger(label: "bench")

line.withUnsafeBytes { bytes in
    switch mode {
    case "raw":
        for _ in 0..<count {
            raw.write(bytes)
        }
    case "structured":
        for _ in 0..<count {
            structured.info(String(decoding: bytes, as: UTF8.self), metadata: ["stream": "stdout"])
        }
    default:
        print("usage: sluice-capture-probe raw|structured [count]")
    }
}
// No top-level `await`: an async main thread sleeps in sigsuspend, which valgrind cannot follow.
let done = DispatchSemaphore(value: 0)
Task.detached {
    let report = await pipeline.shutdown(timeout: .seconds(600))
    print("\(mode): \(report.written) lines written, \(await sink.bytes) bytes formatted")
    done.signal()
}
done.wait()
