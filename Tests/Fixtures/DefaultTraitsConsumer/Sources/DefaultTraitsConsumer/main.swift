// A consumer of Sluice with its default traits: it must resolve no package at all (CI checks that)
// and still log, drain and count as usual.
import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let written = LockedCounter()
let pipeline = try LogPipeline(
    sinks: [HandlerSink(level: .trace, name: "count") { _ in written.increment() }],
    levelEnvironmentVariable: nil
)
let log = pipeline.logger(label: "consumer")
for number in 1...3 {
    log.info("record \(number)")
}
let report = await pipeline.shutdown()
guard report.stats.written == 3, written.value == 3 else {
    print("default-traits consumer: expected 3 records written, got \(report.stats.written)")
    exit(1)
}
print("default-traits consumer: 3 records written")
