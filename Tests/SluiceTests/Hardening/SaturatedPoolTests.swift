import Foundation
import Sluice
import Testing

/// Sluice keeps working while every thread of Swift's cooperative pool is blocked (producers parked
/// under `block`, or a program doing blocking work on the pool).
@Suite(.serialized) struct SaturatedPoolTests {
    /// Blocks every thread of the cooperative pool, runs `body` on a plain thread, then unblocks.
    /// Many more blocking jobs than threads are queued, at every priority, as parked `block`
    /// producers would be, so a thread the pool adds when it notices the starvation blocks too.
    func withSaturatedPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        let width = ProcessInfo.processInfo.activeProcessorCount
        let priorities: [TaskPriority] = [.high, .medium, .low]
        let blockers = priorities.count * (width + 32)
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        for index in 0..<blockers {
            Task.detached(priority: priorities[index % priorities.count]) {
                started.signal()
                release.wait()
            }
        }
        return await withCheckedContinuation { continuation in
            Thread {
                for _ in 0..<width {
                    started.wait()
                }
                let result = body()
                for _ in 0..<blockers {
                    release.signal()
                }
                continuation.resume(returning: result)
            }.start()
        }
    }

    /// A retry's backoff used `Task.sleep`, whose wake-up is a job on the pool: with the pool
    /// saturated it waited until the pool noticed and added a thread, about a second here (longer
    /// while more producers keep parking). On the sink's own timer thread it takes the backoff.
    @Test func fileRetryBackoffDoesNotNeedTheCooperativePool() async throws {
        let sink = try FileSink(
            path: "/dev/full", format: .json, durability: .noSync,
            failure: FailurePolicy(
                attempts: 3, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(10), jitter: 0,
                openCircuitAfter: 100))
        let pipeline = try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 1, maxDelay: .milliseconds(1)), onInternalError: .ignore)
        let (gaveUp, took) = await withSaturatedPool {
            let start = ContinuousClock.now
            pipeline.logger(label: "full").info("no space")
            // A generous deadline only guards against a hang.
            while sink.stats.recordsGivenUp < 1 && start.duration(to: .now) < .seconds(10) {
                usleep(1_000)
            }
            return (sink.stats.recordsGivenUp, start.duration(to: .now))
        }
        #expect(gaveUp == 1)
        #expect(sink.stats.writeErrors == 3)
        // Two 10 ms backoffs; the wake-up that waited for the pool took about a second on its own.
        #expect(took < .milliseconds(500), "the retry backoff waited for the blocked pool: \(took)")
        await pipeline.shutdown()
    }
}
