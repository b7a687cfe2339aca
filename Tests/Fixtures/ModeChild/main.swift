// sluice-mode-child: a process the tests start to check what only a whole process can show.
//
//     SluiceModeChild exit-return <records> <path>    logs, then returns from main without a shutdown
//     SluiceModeChild exit-call <records> <path>      logs, then calls exit(0) without a shutdown
//     SluiceModeChild no-drain <records> <path>       as exit-return, with drainAtExit: false
//     SluiceModeChild thread-limit <records> <directory>
//         lowers its thread limit to nothing (as user nobody when started as root), then logs
//     SluiceModeChild threads <mode> <records> <path>
//         logs in a mode (dedicated, synchronous, cooperative) and prints its threads named sluice-*
//
// It prints `key=value` lines the tests read. No Foundation, so that nothing starts a thread the
// test does not expect.

import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 4, let records = Int(arguments[arguments.count - 2]) else {
    print("usage: SluiceModeChild exit-return|exit-call|no-drain|thread-limit|threads [mode] <records> <path>")
    exit(2)
}
let scenario = arguments[1]
let target = arguments[arguments.count - 1]

/// One line on standard output, written at once (the test may read it while this process runs).
@Sendable func say(_ line: String) {
    let text = line + "\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count - 1) }
}

/// The names of this process's threads that start with "sluice".
func sluiceThreads() -> [String] {
    guard let tasks = opendir("/proc/self/task") else { return [] }
    defer { closedir(tasks) }
    var names: [String] = []
    while let entry = readdir(tasks) {
        let id = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard id.first?.isNumber == true, let file = fopen("/proc/self/task/\(id)/comm", "r") else { continue }
        var buffer = [CChar](repeating: 0, count: 64)
        if fgets(&buffer, 64, file) != nil {
            let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                .trimmingSuffix()
            if name.hasPrefix("sluice") {
                names.append(name)
            }
        }
        fclose(file)
    }
    return names.sorted()
}

extension String {
    func trimmingSuffix() -> String {
        var copy = self
        while copy.last == "\n" {
            copy.removeLast()
        }
        return copy
    }
}

func logRecords(_ pipeline: LogPipeline) {
    let log = pipeline.logger(label: "child")
    for index in 0..<records {
        log.info("record", metadata: ["index": .integer(index)])
    }
}

let errors = InternalErrorHandler.custom { error in
    say("internal-error=\(error.kind): \(error.message)")
}

do {
    switch scenario {
    case "exit-return", "exit-call", "no-drain":
        let pipeline = try LogPipeline(
            sinks: [try FileSink(path: target, format: JSONFormat(), durability: .noSync)], level: .info,
            levelEnvironmentVariable: nil, batching: BatchingOptions(maxRecords: 512, maxDelay: .seconds(60)),
            queue: QueueOptions(overflow: .block), drainAtExit: scenario != "no-drain", onInternalError: errors)
        logRecords(pipeline)
        say("logged=\(records)")
        if scenario == "exit-call" {
            exit(0)
        }
    case "thread-limit":
        if geteuid() == 0 {
            // Root ignores RLIMIT_NPROC: become nobody first (the test made the directory theirs).
            guard setgid(65_534) == 0, setuid(65_534) == 0 else {
                say("setup-failed=cannot become nobody: errno \(errno)")
                exit(3)
            }
        }
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        guard setrlimit(__rlimit_resource_t(__RLIMIT_NPROC.rawValue), &limit) == 0 else {
            say("setup-failed=setrlimit: errno \(errno)")
            exit(3)
        }
        let pipeline = try LogPipeline(
            sinks: [try FileSink(path: "\(target)/app.log", format: JSONFormat())], level: .info,
            levelEnvironmentVariable: nil, onInternalError: errors)
        say("mode=\(pipeline.mode)")
        logRecords(pipeline)
        say("logged=\(records)")
        say("threads=\(sluiceThreads().count)")
        let report = pipeline.shutdownBlocking(timeout: .seconds(10))
        say("written=\(report.written) dropped=\(report.dropped.total) timedOut=\(report.timedOut)")
    case "threads":
        let mode: ExecutionMode =
            switch arguments[2] {
            case "synchronous": .synchronous
            case "cooperative": .cooperative
            default: .dedicatedThreads
            }
        let pipeline = try LogPipeline(
            sinks: [try FileSink(path: target, format: JSONFormat())], level: .info, levelEnvironmentVariable: nil,
            mode: mode, onInternalError: errors)
        logRecords(pipeline)
        let flushed = pipeline.flushBlocking(timeout: .seconds(30))
        say("flushed=\(flushed)")
        say("threads=\(sluiceThreads().joined(separator: ","))")
        let report = pipeline.shutdownBlocking(timeout: .seconds(30))
        say("written=\(report.written) dropped=\(report.dropped.total) timedOut=\(report.timedOut)")
    default:
        say("unknown scenario \(scenario)")
        exit(2)
    }
} catch {
    say("error=\(error)")
    exit(1)
}
