import Foundation
import Sluice
import SluiceTesting
import Testing

/// Fast retries and an immediate probe, so failure tests run in milliseconds without sleeping.
private let fastFailure = FailurePolicy(
    attempts: 2, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(2), jitter: 0.2, openCircuitAfter: 2,
    probeAfter: .zero, maxProbeInterval: .zero)

@Suite struct FileFailureTests {
    @Test func devFullCountsEveryRecordAsDroppedAndFeedsTheFallback() async throws {
        let fallback = MemorySink(name: "fallback")
        let file = try FileSink(
            path: "/dev/full", format: .json, failure: fastFailure, fallback: fallback, name: "full")
        let errors = ErrorCollector()
        let pipeline = try LogPipeline(
            sinks: [file], level: .trace, levelEnvironmentVariable: nil, onInternalError: errors.handler)
        let log = pipeline.logger(label: "full")
        for round in 0..<10 {
            for i in 0..<100 {
                log.info("round \(round) record \(i)")
            }
            await pipeline.flush(timeout: .seconds(30))
        }
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(!report.timedOut)
        #expect(report.stats.logged == 1_000)
        #expect(report.stats.written == 0)
        #expect(report.stats.dropped.sinkFailure == 1_000)
        #expect(report.stats.isBalanced)
        #expect(!errors.all.isEmpty)
        #expect(errors.all.allSatisfy { $0.kind == .writeFailed && $0.sinkName == "full" })
        #expect(errors.all.contains { $0.message.contains("ENOSPC") })
        #expect(errors.all.contains { $0.message.contains("circuit breaker") })
        #expect(fallback.records.count == 1_000)
        #expect(fallback.messages.first == "round 0 record 0")
        let stats = file.stats
        #expect(stats.writeErrors >= 2)
        #expect(stats.recordsGivenUp == 1_000)
        #expect(stats.fallbackRecords == 1_000)
        #expect(stats.lastError?.contains("ENOSPC") == true)
        #expect(stats.linesWritten == 0 && stats.bytesWritten == 0)
    }

    @Test func anOpenCircuitDropsWithoutTouchingTheDiskUntilTheProbe() async throws {
        let file = try FileSink(
            path: "/dev/full", format: .json,
            failure: FailurePolicy(attempts: 1, jitter: 0, openCircuitAfter: 1, probeAfter: .seconds(3_600)))
        let batch = [record("x")]
        await #expect(throws: SluiceError.self) { try await file.write(batch) }
        #expect(file.stats.circuitState == .open)
        let errorsBefore = file.stats.writeErrors
        for _ in 0..<100 {
            await #expect(throws: SluiceError.self) { try await file.write(batch) }
        }
        #expect(file.stats.writeErrors == errorsBefore, "no write was attempted while the circuit is open")
        #expect(file.stats.recordsGivenUp == 101)
        do {
            try await file.write(batch)
        } catch {
            #expect(error.message.contains("circuit breaker is open"))
        }
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root; skipped"))
    func aFullTmpfsDropsCleanlyAndRecoversOnceSpaceIsFreed() async throws {
        let mountPoint = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        let mounted = try await runProgram(
            "/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", mountPoint.path])
        guard mounted.status == 0 else {
            print("skipping the tmpfs test: mount -t tmpfs failed (status \(mounted.status)); it needs CAP_SYS_ADMIN")
            return
        }
        defer { _ = try? runProgramBlocking("/usr/bin/env", ["umount", "-l", mountPoint.path]) }
        let path = mountPoint.appendingPathComponent("app.log").path
        let errors = ErrorCollector()
        let file = try FileSink(path: path, format: JSONFormat(includeSequence: true), failure: fastFailure)
        let pipeline = try LogPipeline(
            sinks: [file], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 64, maxDelay: .milliseconds(1)), onInternalError: errors.handler)
        let log = pipeline.logger(label: "tmpfs")
        let padding = String(repeating: "p", count: 150)
        for i in 0..<200 {
            log.info("before \(i) \(padding)")
        }
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        #expect(pipeline.stats.written == 200)

        // Fill the file system, then free two pages so that the next batch fits only in part.
        let filler = mountPoint.appendingPathComponent("filler").path
        let fd = open(filler, O_WRONLY | O_CREAT, 0o600)
        let block = [UInt8](repeating: 0x41, count: 4_096)
        while write(fd, block, block.count) > 0 {}
        ftruncate(fd, lseek(fd, 0, SEEK_CUR) - 8_192)
        close(fd)

        for i in 0..<2_000 {
            log.info("during \(i) \(padding)")
        }
        await pipeline.flush(timeout: .seconds(30))
        let full = pipeline.stats
        #expect(full.dropped.sinkFailure > 0, "the full disk must cost records")
        #expect(full.isBalanced)
        #expect(errors.all.contains { $0.message.contains("ENOSPC") })
        let whileFull = wholeJSONLines(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(whileFull.ok, "\(whileFull.problem ?? "")")

        // Space returns: the next batch probes the disk and writing resumes.
        unlink(filler)
        for i in 0..<100 {
            log.info("after \(i)")
        }
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.written == full.written + 100)
        #expect(report.stats.written + report.stats.dropped.total == 2_300)
        #expect(file.stats.circuitState == .closed)
        let content = try Data(contentsOf: URL(fileURLWithPath: path))
        let final = wholeJSONLines(content)
        #expect(final.ok, "\(final.problem ?? "")")
        #expect(final.lines == report.stats.written, "every line in the file was counted as written, no more")
        #expect(file.stats.linesWritten == final.lines, "the sink's own counters follow the file")
        #expect(file.stats.bytesWritten == content.count)
        let sequences = sequenceNumbers(in: content)
        #expect(Set(sequences).count == sequences.count, "no record written twice")
        #expect(String(decoding: content, as: UTF8.self).contains("\"message\":\"after 99\""))
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root; skipped"))
    func failedRotationsAndArchivesAreReportedAndRecoverWithoutLosingRecords() async throws {
        let mountPoint = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        // Plenty of space but few inodes: creating a file is what fails.
        let mounted = try await runProgram(
            "/usr/bin/env",
            ["mount", "-t", "tmpfs", "-o", "size=8m,nr_inodes=64,mode=0755", "tmpfs", mountPoint.path])
        guard mounted.status == 0 else {
            print("skipping the inode test: mount -t tmpfs failed (status \(mounted.status)); it needs CAP_SYS_ADMIN")
            return
        }
        defer { _ = try? runProgramBlocking("/usr/bin/env", ["umount", "-l", mountPoint.path]) }
        let logs = mountPoint.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: false)
        // Explicitly: another test may have the process's umask at 0 at this moment.
        #expect(chmod(logs.path, 0o750) == 0)
        let errors = ErrorCollector()
        // A manual clock, moved past the sink's rotation retry pause instead of sleeping through it.
        let clock = ManualWallClock(utc("2026-11-23T12:00:00Z"))
        let file = try FileSink(
            path: logs.appendingPathComponent("app.log").path, level: .trace, format: JSONFormat(includeSequence: true),
            mode: 0o640, rotation: RotationPolicy(trigger: .size(bytes: 4_096), compression: .gzip),
            durability: .flushEvery(.seconds(1)), failure: FailurePolicy(), fallback: nil,
            allowWorldWritableDirectory: false, name: "rotating", clock: clock.wallClock)
        let pipeline = try LogPipeline(
            sinks: [file], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 64, maxDelay: .milliseconds(1)), onInternalError: errors.handler)
        let log = pipeline.logger(label: "inodes")
        var logged = 0
        func logSome(_ count: Int) async {
            for _ in 0..<count {
                log.info("record \(logged) \(String(repeating: "x", count: 80))")
                logged += 1
            }
            #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        }
        func waitFor(_ condition: () -> Bool) async -> Bool {
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            while !condition() && ContinuousClock.now < deadline {
                // Past the longest retry pause (5 minutes), then a batch that rotates.
                clock.set(LogTimestamp(nanosecondsSinceEpoch: clock.now.nanosecondsSinceEpoch + 600_000_000_000))
                await logSome(50)
            }
            return condition()
        }

        // Use up every inode: the rename works, the new file cannot be created, so the rotation
        // is undone and the sink keeps appending to the current file.
        var fillers: [String] = []
        while true {
            let path = mountPoint.appendingPathComponent("filler\(fillers.count)").path
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard fd >= 0 else { break }
            close(fd)
            fillers.append(path)
        }
        #expect(errno == ENOSPC && !fillers.isEmpty)
        await logSome(100)
        #expect(file.stats.rotationFailures >= 1 && file.stats.rotations == 0)
        let rotation = errors.all.first { $0.kind == .rotationFailed }
        #expect(rotation?.sinkName == "rotating")
        #expect(rotation?.message.contains("ENOSPC") == true, "\(rotation?.message ?? "no report")")
        #expect(pipeline.stats.dropped.total == 0, "a failed rotation costs no record")

        // One inode comes back: the retried rotation takes it for the new file, so compressing the
        // archive (a new .gz.tmp) fails and the archive stays uncompressed.
        unlink(fillers.removeLast())
        #expect(await waitFor { file.stats.rotations >= 1 && file.stats.archiveErrors >= 1 })
        let archive = errors.all.first { $0.kind == .archiveFailed }
        #expect(archive?.sinkName == "rotating")
        #expect(
            archive.map { $0.message.contains(".gz.tmp") && $0.message.contains("ENOSPC") } == true,
            "\(archive?.message ?? "no report")")

        // Every inode back: later rotations compress, the earlier archive included.
        for filler in fillers {
            unlink(filler)
        }
        let compressedBefore = file.stats.compressions
        #expect(await waitFor { file.stats.compressions >= compressedBefore + 2 })
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.logged == logged && report.stats.written == logged && report.stats.isBalanced)

        var content = Data()
        for name in try directoryListing(logs) {
            let path = logs.appendingPathComponent(name).path
            content += name.hasSuffix(".gz") ? try await gunzip(path) : try Data(contentsOf: URL(fileURLWithPath: path))
        }
        let sequences = sequenceNumbers(in: content)
        #expect(sequences.count == logged && Set(sequences).count == logged, "every record exactly once")
        #expect(try directoryListing(logs).allSatisfy { !$0.hasSuffix(".tmp") }, "no temporary file left")
    }

    @Test func anUnterminatedLastLineIsKeptAndEndedWhenTheFileIsOpened() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        try Data("{\"complete\":1}\n{\"torn\":".utf8).write(to: URL(fileURLWithPath: path))
        let sink = try FileSink(path: path, format: .json)
        #expect(sink.stats.repairedBytes == 8)
        try await sink.write([record("next")])
        try await sink.close()
        let content = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        // Nothing is cut: the fragment keeps its bytes on a line of its own, the record starts the next.
        #expect(content.hasPrefix("{\"complete\":1}\n{\"torn\":\n{\"timestamp\""))
        #expect(content.split(separator: "\n").count == 3)
    }
}

@Suite struct FileLogrotateTests {
    func makePipeline(_ path: String) throws -> (LogPipeline, FileSink) {
        let file = try FileSink(path: path, format: JSONFormat(includeSequence: true), durability: .noSync)
        let pipeline = try LogPipeline(
            sinks: [file], level: .trace, levelEnvironmentVariable: nil,
            queue: QueueOptions(capacity: 8_192, overflow: .block), onInternalError: .ignore)
        return (pipeline, file)
    }

    @Test func copyTruncateKeepsAppendingAtTheNewEnd() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let (pipeline, _) = try makePipeline(path)
        let log = pipeline.logger(label: "truncate")
        for i in 0..<1_000 {
            log.info("before \(i)")
        }
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        #expect(truncate(path, 0) == 0)
        for i in 0..<10 {
            log.info("after \(i)")
        }
        await pipeline.shutdown(timeout: .seconds(30))
        let content = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(content.first == UInt8(ascii: "{"), "no hole of zero bytes before the new data")
        #expect(wholeJSONLines(content).lines == 10)
    }

    @Test func reopenFilesSwitchesFilesInOrderWithTheRecords() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let memory = MemorySink()
        let file = try FileSink(path: path, format: JSONFormat(includeSequence: true))
        let pipeline = try LogPipeline(
            sinks: [file, memory], level: .trace, levelEnvironmentVariable: nil, onInternalError: .ignore)
        let log = pipeline.logger(label: "hup")
        for i in 0..<100 {
            log.info("old \(i)")
        }
        #expect(await pipeline.flush() == .completed)
        #expect(rename(path, path + ".1") == 0)
        #expect(await pipeline.reopenFiles() == .completed)
        // No batch has arrived since the move, so only reopenFiles() can have created the new file.
        #expect(FileManager.default.fileExists(atPath: path), "reopen created a new file at the path")
        #expect(file.stats.reopens == 1)
        for i in 0..<100 {
            log.info("new \(i)")
        }
        await pipeline.shutdown()
        let old = sequenceNumbers(in: try Data(contentsOf: URL(fileURLWithPath: path + ".1")))
        let new = sequenceNumbers(in: try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(old == Array(1...100))
        #expect(new == Array(101...200), "everything logged after reopenFiles() is in the new file")
        #expect(memory.records.count == 200, "sinks without files are unaffected")
        #expect(file.stats.reopens == 1)
    }
}

@Suite struct FileSecurityTests {
    @Test func aSymlinkAtTheLogPathIsRefused() throws {
        let directory = try temporaryDirectory()
        let outside = try temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(at: outside)
        }
        let target = outside.appendingPathComponent("shadow")
        try Data("secret\n".utf8).write(to: target)
        let path = directory.appendingPathComponent("app.log").path
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target.path)
        #expect {
            _ = try FileSink(path: path)
        } throws: { error in
            let error = error as? SluiceError
            return error?.code == .fileOpenFailed && error?.message.contains("symbolic link") == true
                && error?.message.contains("ELOOP") == true
        }
        #expect(try String(contentsOf: target, encoding: .utf8) == "secret\n")
    }

    @Test func aWorldWritableDirectoryIsRefusedUnlessAllowed() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        chmod(directory.path, 0o777)
        let path = directory.appendingPathComponent("app.log").path
        #expect {
            _ = try FileSink(path: path)
        } throws: { error in
            (error as? SluiceError)?.message.contains("allowWorldWritableDirectory") == true
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        let allowed = try FileSink(path: path, allowWorldWritableDirectory: true)
        try await allowed.close()
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func rotationOfADeviceIsAConfigurationError() {
        #expect {
            _ = try FileSink(path: "/dev/null", rotation: RotationPolicy(trigger: .daily))
        } throws: { error in
            (error as? SluiceError)?.code == .invalidConfiguration
        }
    }
}

@Suite struct LabelFileSinkTests {
    @Test func routesEachLabelToItsOwnFileInsideTheDirectory() async throws {
        let parent = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let directory = parent.appendingPathComponent("apps")
        let sink = try LabelFileSink(directory: directory.path, format: .logfmt, maxOpenFiles: 2)
        let pipeline = try LogPipeline(sinks: [sink], level: .trace, levelEnvironmentVariable: nil)
        let labels = ["billing", "api.db", "../escape", "/etc/passwd", "a\0b", "", ".", "..", "nested/../../up"]
        for round in 0..<3 {
            for label in labels {
                pipeline.logger(label: label).info("round \(round)")
            }
            await pipeline.flush()
        }
        let report = await pipeline.shutdown()
        #expect(report.stats.written == labels.count * 3)
        #expect(try directoryListing(parent) == ["apps"], "nothing was written outside the directory")
        let names = try directoryListing(directory)
        #expect(names == labels.map { LabelFileSink.fileName(forLabel: $0) }.sorted())
        for label in labels {
            let content = try String(
                contentsOf: directory.appendingPathComponent(LabelFileSink.fileName(forLabel: label)), encoding: .utf8)
            #expect(content.split(separator: "\n").count == 3, "\(label): \(content)")
        }
        #expect(await sink.openFileCount == 0, "closed at shutdown")
        #expect(sink.stats.linesWritten == labels.count * 3)
    }

    @Test func keepsAtMostMaxOpenFilesAndRotatesEachFile() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sink = try LabelFileSink(
            directory: directory.path, format: .logfmt,
            rotation: RotationPolicy(trigger: .size(bytes: 300), compression: .gzip),
            maxOpenFiles: 2)
        for round in 0..<6 {
            for label in ["a", "b", "c"] {
                try await sink.write((0..<2).map { record("round \(round) \($0) padding padding", label: label) })
                #expect(await sink.openFileCount <= 2)
            }
        }
        try await sink.close()
        for label in ["a", "b", "c"] {
            var lines = try String(contentsOf: directory.appendingPathComponent("\(label).log"), encoding: .utf8)
                .split(separator: "\n").count
            for name in try directoryListing(directory) where name.hasPrefix("\(label).") && name.hasSuffix(".gz") {
                let path = directory.appendingPathComponent(name).path
                #expect(try await gzipTestPasses(path))
                lines += String(decoding: try await gunzip(path), as: UTF8.self).split(separator: "\n").count
            }
            #expect(lines == 12, "label \(label)")
        }
        #expect(sink.stats.rotations > 3)
    }
}

extension HeavyFileTests {
    @Test func anExternalMoveMidStreamLosesNothing() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let moved = path + ".1"
        let (pipeline, file) = try FileLogrotateTests().makePipeline(path)
        let log = pipeline.logger(label: "mv")
        for i in 0..<5_000 {  // fewer than the queue holds: this task never waits under .block
            log.info("early \(i)")
        }
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        let producer = Task {
            await onDedicatedThreads(1) { _ in
                for i in 0..<40_000 {
                    log.info("late \(i)")
                }
            }
        }
        #expect(rename(path, moved) == 0, "mv while records are flowing")
        await producer.value
        let report = await pipeline.shutdown(timeout: .seconds(60))
        #expect(report.stats.written == 45_000)
        let before = sequenceNumbers(in: try Data(contentsOf: URL(fileURLWithPath: moved)))
        let after = sequenceNumbers(in: try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(before.count >= 5_000 && !after.isEmpty)
        #expect((before + after).sorted() == Array(1...45_000))
        #expect(file.stats.reopens >= 1)
        #expect(fileMode(path) == 0o640)
    }
}

/// A sink whose reopen always fails.
actor ReopenFailingSink: LogSink {
    nonisolated let name = "reopen-fails"
    nonisolated let level = LogLevel.trace

    func write(_ records: [LogRecord]) async {}

    func reopen() async throws {
        throw SluiceError(.sinkFailed, "cannot reopen")
    }
}

extension FileLogrotateTests {
    @Test func aFailedReopenIsReportedAndNamed() async throws {
        let errors = ErrorCollector()
        let memory = MemorySink()
        let pipeline = try LogPipeline(
            sinks: [ReopenFailingSink(), memory], level: .trace, levelEnvironmentVariable: nil,
            onInternalError: errors.handler)
        pipeline.logger(label: "r").info("before")
        #expect(await pipeline.reopenFiles() == .failed(sinks: ["reopen-fails"]))
        #expect(memory.records.count == 1, "the reopen marker rode behind the record")
        #expect(errors.all.map(\.kind) == [.reopenFailed])
        await pipeline.shutdown()
        #expect(await pipeline.reopenFiles() == .completed, "after shutdown it returns at once")
    }
}
