// sluice-probe: one S1 or S2 run through Sluice, without sluice-bench's malloc-counting hook, so it
// can run under another allocator or a profiler:
//
//     LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 .build/release/sluice-probe S1
//     perf record -g .build/release/sluice-probe S2
//
//     valgrind --tool=callgrind .build/release/sluice-probe F 100000   # formatters only, one thread
//
// Prints records/s; the file goes to a private temporary directory and is removed.

import Foundation
@_spi(Benchmarks) import Sluice

let scenario = CommandLine.arguments.dropFirst().first ?? "S1"

/// Resident and peak resident memory of this process, from /proc/self/status.
func residentMemory() -> String {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "?" }
    return status.split(separator: "\n").filter { $0.hasPrefix("VmRSS") || $0.hasPrefix("VmHWM") }
        .map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? "?" }
        .joined(separator: " kB / ") + " kB (RSS / peak)"
}
if scenario == "M2" {
    print("start: \(residentMemory())")
    let directory = NSTemporaryDirectory() + "sluice-probe-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let sink = try FileSink(path: "\(directory)/probe.log", format: TextFormat())
    print("file sink: \(residentMemory())")
    let handler = HandlerSink(level: .trace) { _ in }
    let pipeline = try LogPipeline(sinks: [handler], level: .info, levelEnvironmentVariable: nil)
    print("pipeline with a handler sink: \(residentMemory())")
    let pipeline2 = try LogPipeline(sinks: [sink], level: .info, levelEnvironmentVariable: nil)
    print("second pipeline with the file sink: \(residentMemory())")
    await pipeline.shutdown()
    await pipeline2.shutdown()
    try? FileManager.default.removeItem(atPath: directory)
    exit(0)
}
if scenario == "M" {
    print("start: \(residentMemory())")
    let directory = NSTemporaryDirectory() + "sluice-probe-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let pipeline = try LogPipeline(
        sinks: [try FileSink(path: "\(directory)/probe.log", format: TextFormat())], level: .info,
        levelEnvironmentVariable: nil, queue: QueueOptions(overflow: .block))
    print("pipeline created: \(residentMemory())")
    let log = pipeline.logger(label: "bench")
    for index in 0..<1_000 {
        log.info("request handled", metadata: ["request_id": "\(index)", "status": 200, "path": "/api/v1/items"])
    }
    await pipeline.flush()
    print("after 1,000 records: \(residentMemory())")
    for index in 0..<200_000 {
        log.info("request handled", metadata: ["request_id": "\(index)", "status": 200, "path": "/api/v1/items"])
    }
    await pipeline.flush()
    print("after 200,000 records: \(residentMemory())")
    await pipeline.shutdown()
    print("after shutdown: \(residentMemory())")
    try? FileManager.default.removeItem(atPath: directory)
    exit(0)
}

if scenario == "F" {
    // Each built-in format over a warm 512-record batch, on this thread only (no pipeline, no other
    // threads), so instruction counts under callgrind are exact and repeatable.
    let count = Int(CommandLine.arguments.dropFirst(2).first ?? "100000") ?? 100_000
    let batch = (0..<512).map { index in
        LogRecord(
            level: .info, label: "bench", message: "request handled",
            metadata: [
                "request_id": .string(String(index + 1 << 40, radix: 16)), "status": 200, "path": "/api/v1/items",
            ]
        )
    }
    let encoded = EncodedRecordBatch(batch)
    var output = LogOutput()
    var bytes = 0
    let formats = CommandLine.arguments.dropFirst(3).first.map { [$0] } ?? ["text", "logfmt", "json"]
    for name in formats {
        let format: any LogFormat =
            switch name {
            case "json": JSONFormat()
            case "logfmt": LogfmtFormat()
            default: TextFormat()
            }
        for _ in 0..<max(1, count / batch.count) {
            bytes += encoded.format(with: format, into: &output)
        }
    }
    print("F: formatted \(count) records with each of \(formats.joined(separator: ", ")) (\(bytes) bytes)")
    exit(0)
}
/// The stages a probe runs: `none`; `redaction` (the default redaction); `s6` (the default
/// redaction, a rate limit and a sampler that remove nothing from the workload, as in scenario S6);
/// `patterns` (the default redaction and every built-in pattern, messages included); `rewrite`
/// (every record redacted); `transformer` (an identity transformer).
func probeStages(_ name: String?) -> StageOptions {
    switch name {
    case "redaction": StageOptions()
    case "s6":
        StageOptions(
            sampling: [SamplingRule(label: "bench", keep: .oneIn(1))],
            rateLimit: .perCallSite(100_000_000, per: .seconds(1)))
    case "patterns":
        StageOptions(redaction: Redaction.default.addingPatterns(RedactionPattern.builtIn, inMessages: true))
    // Every workload record rewritten: its `status` is redacted.
    case "rewrite": StageOptions(redaction: Redaction.default.addingKeys(["status"]))
    // Every workload record decoded for a transformer and encoded again.
    case "transformer": StageOptions(transformers: [LogTransformer("identity") { $0 }])
    default: .none
    }
}

if scenario == "P" {
    // The log call and the collector's take on one thread, for callgrind: N workload records logged
    // in rounds of 512, each round taken (and with a format name, formatted) like a batch, with the
    // stages named by the fourth argument (none, redaction, s6, patterns) where the collector runs
    // them.
    //
    //     valgrind --tool=callgrind .build/release/sluice-probe P 100000 text s6
    let count = Int(CommandLine.arguments.dropFirst(2).first ?? "100000") ?? 100_000
    let formatName = CommandLine.arguments.dropFirst(3).first
    let format: (any LogFormat)? =
        switch formatName {
        case "text": TextFormat()
        case "json": JSONFormat()
        default: nil
        }
    let pipeline = SingleThreadedPipeline(stages: probeStages(CommandLine.arguments.dropFirst(4).first))
    let log = pipeline.logger(label: "bench")
    var output = LogOutput()
    var taken = 0
    for round in 0..<(count / 512) {
        for index in 0..<512 {
            let id = UInt64(round * 512 + index) | 1 << 40
            log.info(
                "request handled",
                metadata: [
                    "request_id": .string(
                        String(unsafeUninitializedCapacity: 16) { buffer in
                            let digits: StaticString = "0123456789abcdef"
                            for position in 0..<16 {
                                buffer[position] = digits.utf8Start[Int((id >> UInt64((15 - position) * 4)) & 0xF)]
                            }
                            return 16
                        }),
                    "status": 200,
                    "path": "/api/v1/items",
                ]
            )
        }
        taken += pipeline.drain(formattingWith: format, into: &output)
    }
    print("P: logged and took \(taken) records")
    exit(0)
}
if scenario == "L" {
    // Calls the stages leave out at the call, on one thread, for callgrind: N calls from one call
    // site over its rate limit, then N calls a sampler leaves out, then N calls below the level.
    //
    //     valgrind --tool=callgrind --toggle-collect='*limitedCalls*' .build/release/sluice-probe L 1000000
    let count = Int(CommandLine.arguments.dropFirst(2).first ?? "1000000") ?? 1_000_000
    let limited = SingleThreadedPipeline(
        stages: StageOptions(redaction: .none, rateLimit: .perCallSite(1, per: .seconds(3_600))))
    let sampled = SingleThreadedPipeline(
        stages: StageOptions(redaction: .none, sampling: [SamplingRule(label: "bench", keep: .probability(0))]))
    var output = LogOutput()
    func nanoseconds(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        body()
        let elapsed = start.duration(to: .now)
        return (Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9)
            / Double(count)
    }
    let limitedLogger = limited.logger(label: "bench")
    let sampledLogger = sampled.logger(label: "bench")
    var quiet = limited.logger(label: "bench")
    quiet.level = .info
    let limitedCost = nanoseconds { limitedCalls(limitedLogger, count) }
    let sampledCost = nanoseconds { sampledOutCalls(sampledLogger, count) }
    let disabledCost = nanoseconds { disabledCalls(quiet, count) }
    let kept = limited.drain(into: &output) + sampled.drain(into: &output)
    print(
        String(
            format:
                "L: per call: rate limited %.2f ns, sampled out %.2f ns, below the level %.2f ns (%d calls each; %d kept)",
            limitedCost, sampledCost, disabledCost, count, kept))
    exit(0)
}
let producers = scenario == "S2" ? 100 : 1
let total = Int(CommandLine.arguments.dropFirst(2).first ?? "1000000") ?? 1_000_000
let directory = NSTemporaryDirectory() + "sluice-probe-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

let pipeline = try LogPipeline(
    sinks: [try FileSink(path: "\(directory)/probe.log", format: TextFormat())],
    level: .info,
    levelEnvironmentVariable: nil,
    queue: QueueOptions(overflow: .block)
)
let log = pipeline.logger(label: "bench")
let perProducer = total / producers
let start = ContinuousClock.now
await withTaskGroup(of: Void.self) { group in
    for producer in 0..<producers {
        group.addTask {
            for index in 0..<perProducer {
                let id = String(UInt64(producer) << 40 | UInt64(index), radix: 16)
                log.info(
                    "request handled",
                    metadata: [
                        "request_id": "\(String(repeating: "0", count: 16 - id.utf8.count))\(id)",
                        "status": 200,
                        "path": "/api/v1/items",
                    ]
                )
            }
        }
    }
}
let report = await pipeline.shutdown(timeout: .seconds(600))
let seconds =
    Double(start.duration(to: .now).components.attoseconds) / 1e18
    + Double(start.duration(to: .now).components.seconds)
print(
    "\(scenario): \(String(format: "%.2f", Double(report.written) / seconds / 1e6)) M records/s, written \(report.written), dropped \(report.dropped.total)"
)

@inline(never)
func limitedCalls(_ log: SluiceLogger, _ count: Int) {
    for index in 0..<count {
        log.info("request handled", metadata: ["request_id": .string(String(index)), "status": 200])
    }
}

@inline(never)
func sampledOutCalls(_ log: SluiceLogger, _ count: Int) {
    for index in 0..<count {
        log.info("request handled", metadata: ["request_id": .string(String(index)), "status": 200])
    }
}

@inline(never)
func disabledCalls(_ log: SluiceLogger, _ count: Int) {
    for index in 0..<count {
        log.trace("request handled", metadata: ["request_id": .string(String(index)), "status": 200])
    }
}
