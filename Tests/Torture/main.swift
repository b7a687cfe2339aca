// sluice-torture: runs a pipeline with every kind of sink for a while, injecting faults from a
// seeded schedule, and checks after every fault that every record is accounted for.
//
//     swift run sluice-torture [--seconds 30] [--seed N] [--producers 100] [--overflow block|dropOldest]
//                              [--http-receiver Tests/SluiceTests/Receivers/http_receiver.py]
//
// Faults: sinks that throw, hang past the stall timeout and recover; a full file system (a tmpfs,
// when run as root) that frees up; failed fdatasyncs; syslog and HTTP receivers killed and restarted;
// a console whose reader stops; the live file moved away; reopenFiles() storms; flushes with random
// timeouts; and the shutdown at a random moment while 100 producers log in bursts. It prints the
// figures and exits 1 if any check failed.

import Dispatch
import Foundation
import Sluice
import SluiceHTTP

#if canImport(Glibc)
import Glibc
#endif

// MARK: Options

struct Options {
    var seconds = 30.0
    var seed = UInt64(UInt32.random(in: 0...UInt32.max))
    var producers = 100
    var overflow = OverflowPolicy.block
    var httpScript = "Tests/SluiceTests/Receivers/http_receiver.py"
}
let options = {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
        switch argument {
        case "--seconds": options.seconds = Double(arguments.popFirst() ?? "") ?? options.seconds
        case "--seed": options.seed = UInt64(arguments.popFirst() ?? "") ?? options.seed
        case "--producers": options.producers = Int(arguments.popFirst() ?? "") ?? options.producers
        case "--overflow": options.overflow = arguments.popFirst() == "dropOldest" ? .dropOldest : .block
        case "--http-receiver": options.httpScript = arguments.popFirst() ?? options.httpScript
        default:
            print(
                "usage: sluice-torture [--seconds S] [--seed N] [--producers N] [--overflow block|dropOldest]"
            )
            exit(2)
        }
    }
    return options
}()
let seconds = options.seconds
let seed = options.seed
let producerCount = options.producers
let overflow = options.overflow
let httpScript = options.httpScript
signal(SIGPIPE, SIG_DFL)  // Sluice must never raise it; if it did, the run dies here.
print("sluice-torture: seed \(seed), \(seconds) s, \(producerCount) producers, overflow \(overflow)")

// MARK: Set-up

let base = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-torture-\(getpid())").path
let disk = base + "/disk"
try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
chmod(base, 0o700)
chmod(disk, 0o750)
func run(_ arguments: [String]) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return -1 }
    process.waitUntilExit()
    return process.terminationStatus
}
let tmpfs = getuid() == 0 && run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0750", "tmpfs", disk]) == 0
defer {
    if tmpfs {
        _ = run(["umount", "-l", disk])
    }
    try? FileManager.default.removeItem(atPath: base)
}
if !tmpfs {
    print("  (not root or no tmpfs: the full-disk fault is skipped)")
}

let faults = LockedValue([String: Int]())
func count(_ fault: String) {
    faults.withLock { $0[fault, default: 0] += 1 }
}

let witness = WitnessSink()
let faulty = FaultySink()
let drain = PipeDrain()
let console = ConsoleSink(
    level: .info, format: LogfmtFormat(), stderrLevel: nil, colors: .never, name: "console",
    standardOutput: drain.writeEnd, standardError: drain.writeEnd)
let file = try FileSink(
    path: disk + "/app.log", format: JSONFormat(includeSequence: true),
    rotation: RotationPolicy(trigger: .size(bytes: 256 * 1024), keep: .files(4), compression: .gzip),
    durability: .fsyncEveryBatch,
    failure: FailurePolicy(
        attempts: 3, initialBackoff: .milliseconds(5), maxBackoff: .milliseconds(50), probeAfter: .milliseconds(200)))
let labels = try LabelFileSink(
    directory: disk + "/labels", level: .notice, format: LogfmtFormat(),
    rotation: RotationPolicy(
        trigger: .size(bytes: 128 * 1024), keep: [.files(2), .bytes(2 << 20)], compression: .gzip),
    durability: .flushEvery(.milliseconds(50)), maxOpenFiles: 4)
let syslogReceiver = try SyslogReceiver()
let networkRetry = RetryOptions(
    initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(200), retryBudget: .seconds(5), maxPendingBatches: 8)
let syslog = try SyslogSink(
    transport: .tcp(host: "127.0.0.1", port: syslogReceiver.port), level: .info, timeout: .milliseconds(500),
    retry: networkRetry)
let httpReceiver = HTTPReceiverProcess(script: httpScript, directory: base + "/http")
let http: HTTPSink? = try httpReceiver.map { receiver in
    try HTTPSink(
        url: "http://127.0.0.1:\(receiver.port)/v1/logs", level: .warning, timeout: .seconds(2), retry: networkRetry)
}
if http == nil {
    print("  (no python3 or no \(httpScript): the HTTP sink is skipped)")
}
let sinks: [any LogSink] = [witness, faulty, console, file, labels, syslog] + (http.map { [$0] } ?? [])
let errors = LockedValue([String: Int]())
let pipeline = try LogPipeline(
    sinks: sinks, level: .trace, levelEnvironmentVariable: nil,
    batching: BatchingOptions(maxRecords: 256, maxDelay: .milliseconds(5)),
    queue: QueueOptions(capacity: 8_192, overflow: overflow),
    delivery: DeliveryOptions(inboxCapacity: 4, stallTimeout: .seconds(1)),
    onInternalError: .custom { error in errors.withLock { $0["\(error.kind)", default: 0] += 1 } })

// MARK: Checks

let checks = LockedValue((performed: 0, violations: [String]()))
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    let text = condition ? nil : message()
    checks.withLock { checks in
        checks.performed += 1
        if let text {
            checks.violations.append(text)
        }
    }
}
/// The identity holds in every snapshot, producers waiting under `block` included (they count as
/// in flight from the moment they log).
func checkAccounting(after fault: String) {
    let stats = pipeline.stats
    // With the processing stages: logged + generated == written + dropped + filtered + in flight.
    check(
        stats.isBalanced,
        "after \(fault): logged \(stats.logged) + generated \(stats.generated) != written \(stats.written) + dropped \(stats.dropped.total) + filtered \(stats.filtered.total) + in flight \(stats.inFlight)"
    )
    if overflow == .block {
        check(
            stats.dropped.overflow == 0,
            "after \(fault): \(stats.dropped.overflow) records dropped for overflow under block")
    }
    for sink in stats.sinks {
        check(
            sink.written + sink.dropped.total <= stats.logged,
            "after \(fault): sink \(sink.name) counts more than was logged")
    }
}

// MARK: Producers

let stopProducers = LockedValue(false)
let producers = (0..<producerCount).map { index in
    Task.detached {
        let log = pipeline.logger(label: "producer.\(index % 7)", metadata: ["producer": .integer(index)])
        var random = SeededRandom(seed: seed &+ UInt64(index))
        var n = 0
        while !stopProducers.withLock({ $0 }) {
            for _ in 0..<(1 + random.below(200)) {
                n += 1
                let level = LogLevel.allCases[random.below(LogLevel.allCases.count)]
                log.log(
                    level: level, "burst record \(n)", metadata: ["n": .integer(n), "text": "a \"quoted\" line\nbreak"])
            }
            try? await Task.sleep(for: random.milliseconds(0...20))
        }
    }
}

// MARK: The fault schedule, on a thread of its own (producers may park every pool thread)

let control = ThreadExecutor(name: "torture-control")
let end = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
let report: ShutdownReport = await Task(executorPreference: control) {
    var random = SeededRandom(seed: seed)
    // The shutdown comes at a random moment in the last fifth of the run, while producers log.
    let shutdownAt = end.advanced(by: .milliseconds(-Int64(seconds * 200 * Double(random.below(1000)) / 1000)))
    while ContinuousClock.now < shutdownAt {
        await control.sleep(until: ContinuousClock.now.advanced(by: random.milliseconds(20...250)))
        let kind = random.below(11)
        switch kind {
        case 0:
            faulty.failNext(1 + random.below(5))
            count("sink throws")
        case 1:
            // Past the one-second stall timeout half the time.
            faulty.hang(for: random.milliseconds(100...2_000))
            count("sink hangs")
        case 2 where tmpfs:
            count("disk full")
            let filler = disk + "/filler"
            let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            let chunk = [UInt8](repeating: 0x66, count: 1 << 20)
            while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
            close(fd)
            await control.sleep(until: ContinuousClock.now.advanced(by: random.milliseconds(100...1_500)))
            checkAccounting(after: "disk full")
            unlink(filler)
        case 3:
            FileFaults.failSyncs(1 + random.below(2), named: "app.log")
            count("fdatasync fails")
        case 4:
            syslogReceiver.kill()
            count("syslog receiver killed")
            await control.sleep(until: ContinuousClock.now.advanced(by: random.milliseconds(50...3_000)))
            checkAccounting(after: "syslog receiver down")
            syslogReceiver.restart()
        case 5 where httpReceiver != nil:
            httpReceiver?.kill()
            count("HTTP receiver killed")
            await control.sleep(until: ContinuousClock.now.advanced(by: random.milliseconds(50...3_000)))
            checkAccounting(after: "HTTP receiver down")
            httpReceiver?.start()
        case 6:
            count("reopenFiles storm")
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<(5 + random.below(20)) {
                    group.addTask(executorPreference: control) { _ = await pipeline.reopenFiles(timeout: .seconds(2)) }
                }
            }
        case 7:
            count("flush")
            _ = await pipeline.flush(timeout: random.milliseconds(1...3_000))
        case 8:
            count("console reader stops")
            drain.pause(true)
            await control.sleep(until: ContinuousClock.now.advanced(by: random.milliseconds(50...2_000)))
            checkAccounting(after: "console stalled")
            drain.pause(false)
        case 9:
            count("live file moved away")
            // As logrotate with a postrotate clean-up: moved, then gone (the sink still holds it open
            // until its next batch notices and opens a new file at the path).
            let moved = disk + "/app.log.moved"
            _ = rename(disk + "/app.log", moved)
            unlink(moved)
        default:
            count("burst pause")
        }
        checkAccounting(after: "fault \(kind)")
    }
    count("shutdown")
    let report = await pipeline.shutdown(timeout: .seconds(15))
    checkAccounting(after: "shutdown")
    return report
}.value
stopProducers.withLock { $0 = true }
for producer in producers {
    await producer.value
}
checkAccounting(after: "the producers stopped")

// MARK: Final checks

let stats = report.stats
func sink(_ name: String) -> SinkStats? { stats.sinks.first { $0.name == name } }
check(!report.timedOut || !report.unfinishedSinks.isEmpty, "a timed-out shutdown names its sinks")
check(stats.inFlight == 0, "\(stats.inFlight) records still in flight after shutdown")
check(stats.isBalanced, "the final report does not balance")
let seen = witness.summary
check(seen.duplicates == 0, "the witness got \(seen.duplicates) records twice")
if let witnessStats = sink("witness") {
    check(
        seen.received == witnessStats.written,
        "the witness got \(seen.received), the pipeline says \(witnessStats.written)")
    check(
        witnessStats.dropped.sinkFailure == 0, "a healthy sink had \(witnessStats.dropped.sinkFailure) records dropped")
    // What the witness did not get was dropped before any sink saw it (at shutdown, or overflow).
    check(
        stats.logged - witnessStats.written - witnessStats.dropped.total <= stats.dropped.shutdown
            + stats.dropped.overflow,
        "the witness lacks records nobody counted as dropped")
}
if let fileStats = sink("file:\(disk)/app.log") {
    // Lines on disk match records counted as written, except the first part of a batch a rotation
    // split before the batch was given up (documented: the pipeline counts the whole batch dropped).
    let lines = file.stats.linesWritten
    check(
        lines >= fileStats.written && lines - fileStats.written <= file.stats.recordsGivenUp,
        "the file sink wrote \(lines) lines for \(fileStats.written) records (\(file.stats.recordsGivenUp) given up)")
}
check(syslog.stats.pendingBatches == 0, "the syslog sink still holds batches")
if let http {
    check(http.stats.pendingBatches == 0, "the HTTP sink still holds batches")
}
if let httpReceiver, let httpStats = stats.sinks.first(where: { $0.name.hasPrefix("http:") }) {
    check(
        httpReceiver.acceptedLines >= httpStats.written,
        "the HTTP receiver accepted \(httpReceiver.acceptedLines) records, the sink counts \(httpStats.written) written"
    )
    httpReceiver.kill()
}
syslogReceiver.kill()

// MARK: Figures

let (performed, violations) = checks.withLock { ($0.performed, $0.violations) }
print("records: logged \(stats.logged), written (by every sink they were routed to) \(stats.written)")
print(
    "dropped: overflow \(stats.dropped.overflow), sinkFailure \(stats.dropped.sinkFailure), shutdown \(stats.dropped.shutdown)"
)
print(
    "shutdown: \(report.timedOut ? "timed out, unfinished: \(report.unfinishedSinks)" : "completed") in \(report.duration)"
)
print("witness: \(seen.received) received, \(seen.distinct) distinct, \(seen.duplicates) duplicates")
for sinkStats in stats.sinks {
    print(
        "  sink \(sinkStats.name): written \(sinkStats.written), dropped \(sinkStats.dropped.total) (sinkFailure \(sinkStats.dropped.sinkFailure), shutdown \(sinkStats.dropped.shutdown)), errors \(sinkStats.errors)"
    )
}
let fileStats = file.stats
print(
    "file: \(fileStats.linesWritten) lines, \(fileStats.rotations) rotations, \(fileStats.compressions) compressions, \(fileStats.syncFailures) failed syncs (batches rewritten), \(fileStats.writeErrors) write errors, \(fileStats.recordsGivenUp) records given up, \(fileStats.reopens) reopens"
)
print(
    "syslog: \(syslog.stats.recordsSent) sent, \(syslog.stats.retries) retries, receiver got \(syslogReceiver.frames) frames"
)
if let http {
    print(
        "http: \(http.stats.recordsSent) sent, \(http.stats.retries) retries, \(http.stats.droppedRecords.total) dropped"
    )
}
print(
    "faults: "
        + faults.withLock { $0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
print(
    "internal errors reported: "
        + errors.withLock { $0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
print("queue high-water mark \(stats.queueHighWaterMark) of \(stats.queueCapacity); console read \(drain.bytes) bytes")
print("checks: \(performed), violations: \(violations.count)")
for violation in violations.prefix(20) {
    print("  VIOLATION: \(violation)")
}
exit(violations.isEmpty ? 0 : 1)
