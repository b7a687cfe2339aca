// sluice-crash-writer: logs as fast as it can to a file until it is killed. The tests start it as a
// child process, wait until the file has data, kill it with SIGKILL and check what is on disk.
//
//     SluiceCrashWriter <path> [rotate-bytes]

import Foundation
import Sluice

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: SluiceCrashWriter <path> [rotate-bytes]\n".utf8))
    exit(2)
}
let rotateBytes = arguments.count >= 3 ? Int(arguments[2]) : nil

do {
    let file = try FileSink(
        path: arguments[1],
        format: JSONFormat(includeSequence: true),
        rotation: rotateBytes.map { RotationPolicy(trigger: .size(bytes: $0)) } ?? .never,
        durability: .noSync
    )
    let pipeline = try LogPipeline(
        sinks: [file],
        level: .trace,
        levelEnvironmentVariable: nil,
        batching: BatchingOptions(maxRecords: 2_048, maxDelay: .milliseconds(5)),
        queue: QueueOptions(capacity: 65_536, overflow: .block)
    )
    let log = pipeline.logger(label: "crash")
    let padding = String(repeating: "x", count: 300)
    await withTaskGroup(of: Void.self) { group in
        for worker in 0..<2 {
            group.addTask {
                var i = 0
                while true {
                    log.info(
                        "record \(i) \(padding)",
                        metadata: ["worker": .integer(worker), "i": .integer(i), "text": "line\nbreak \"quoted\""])
                    i += 1
                }
            }
        }
    }
} catch {
    FileHandle.standardError.write(Data("SluiceCrashWriter: \(error)\n".utf8))
    exit(1)
}
