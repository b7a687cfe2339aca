import Foundation
import Sluice
import SluiceTesting
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Real signals sent to the test process. Serialized: signal dispositions are process-wide. The
/// signals used here (SIGUSR1, SIGUSR2, SIGHUP) are ones nothing else in the test process handles.
@Suite(.serialized, .timeLimit(.minutes(2))) struct SignalDrainTests {
    private func pipeline(_ sink: MemorySink) throws -> LogPipeline {
        try LogPipeline(
            sinks: [sink],
            level: .trace,
            levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 64, maxDelay: .milliseconds(5)),
            queue: QueueOptions(capacity: 4_096, overflow: .block),
            shutdownTimeout: .seconds(30),
            onInternalError: .ignore
        )
    }

    @Test func aSignalDrainsThePipelineThenHandsTheReportToTheApp() async throws {
        let sink = MemorySink()
        let pipeline = try pipeline(sink)
        let log = pipeline.logger(label: "app")
        let delivered = Promise<(Int32, ShutdownReport)>()
        let handling = try pipeline.drainOnSignals([SIGUSR1, SIGUSR2]) { signal, report in
            delivered.fulfill((signal, report))
        }
        defer { handling.cancel() }
        #expect(handling.signals == [SIGUSR1, SIGUSR2])

        for number in 0..<2_000 {
            log.info("record \(number)")
        }
        kill(getpid(), SIGUSR2)
        let (signal, report) = await delivered.wait()
        #expect(signal == SIGUSR2)
        #expect(!report.timedOut)
        #expect(report.stats.logged == 2_000)
        #expect(report.stats.written == 2_000)
        #expect(report.stats.inFlight == 0)
        #expect(sink.messages.count == 2_000)
        #expect(sink.isClosed)
        #expect(pipeline.stats.state == .stopped)

        log.info("after the shutdown")
        #expect(pipeline.stats.dropped.afterShutdown == 1 && pipeline.stats.dropped.total == 0)
    }

    @Test func hangupRunsTheHookEveryTimeAndDoesNotShutDown() async throws {
        let sink = MemorySink()
        let pipeline = try pipeline(sink)
        let hangups = LockedValue(0)
        let first = Promise<Void>()
        let second = Promise<Void>()
        let handling = try pipeline.drainOnSignals([SIGUSR1]) { _, _ in
        } onHangup: {
            let count = hangups.withLock { count in
                count += 1
                return count
            }
            (count == 1 ? first : second).fulfill(())
        }
        defer { handling.cancel() }
        #expect(handling.signals == [SIGUSR1, SIGHUP])

        // One at a time: two pending deliveries of one signal may coalesce into one.
        kill(getpid(), SIGHUP)
        await first.wait()
        kill(getpid(), SIGHUP)
        await second.wait()
        #expect(hangups.withLock { $0 } == 2)
        #expect(pipeline.stats.state == .running)
        pipeline.logger(label: "app").info("still logging")
        await pipeline.flush()
        #expect(sink.messages == ["still logging"])
        await pipeline.shutdown()
    }

    @Test func hangupCanReopenFilesAfterLogrotateMovedThem() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let pipeline = try LogPipeline(
            sinks: [try FileSink(path: path, format: .logfmt)],
            level: .trace,
            levelEnvironmentVariable: nil,
            shutdownTimeout: .seconds(30),
            onInternalError: .ignore
        )
        let reopened = Promise<FlushResult>()
        let handling = try pipeline.drainOnSignals([SIGUSR1]) { _, _ in
        } onHangup: {
            reopened.fulfill(await pipeline.reopenFiles())
        }
        defer { handling.cancel() }

        pipeline.logger(label: "app").info("before rotation")
        #expect(await pipeline.flush() == .completed)
        #expect(rename(path, path + ".1") == 0)  // what logrotate does
        kill(getpid(), SIGHUP)
        #expect(await reopened.wait() == .completed)
        // Reopened by the signal, not by the next batch: the file is back before anything is logged.
        #expect(FileManager.default.fileExists(atPath: path))

        pipeline.logger(label: "app").info("after rotation")
        await pipeline.shutdown()
        #expect(try String(contentsOfFile: path + ".1", encoding: .utf8).contains("msg=\"before rotation\""))
        let current = try String(contentsOfFile: path, encoding: .utf8)
        #expect(current.contains("msg=\"after rotation\"") && !current.contains("before rotation"))
    }

    @Test func badSignalListsAreRejectedWithAnActionableError() throws {
        let pipeline = try pipeline(MemorySink())
        let cases: [([Int32], Bool, String)] = [
            ([], false, "at least one signal"),
            ([SIGKILL], false, "cannot be caught"),
            ([SIGTERM, SIGSTOP], false, "cannot be caught"),
            ([0], false, "not a signal number"),
            ([SIGHUP], true, "pick one"),
        ]
        for (signals, hangup, phrase) in cases {
            do throws(SluiceError) {
                let hook: (@Sendable () async -> Void)? = hangup ? { @Sendable in } : nil
                let handling = try pipeline.drainOnSignals(signals, afterShutdown: { _, _ in }, onHangup: hook)
                handling.cancel()
                Issue.record("expected an error mentioning '\(phrase)' for \(signals)")
            } catch {
                #expect(error.code == .invalidConfiguration)
                #expect(error.message.contains(phrase), "\(error.message)")
            }
        }
    }
}
