import Foundation
import Sluice
import SluiceTesting
import Testing

@Suite struct FileRotationTests {
    @Test func timeRotationFollowsAManualClock() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = ManualWallClock(utc("2026-11-23T12:59:00Z"))
        let sink = try FileSink(
            path: directory.appendingPathComponent("app.log").path, level: .trace, format: LogfmtFormat(), mode: 0o640,
            rotation: RotationPolicy(trigger: .hourly), durability: .noSync, failure: FailurePolicy(), fallback: nil,
            allowWorldWritableDirectory: false, name: nil, clock: clock.wallClock)
        try await sink.write([record("a1"), record("a2")])
        clock.set(utc("2026-11-23T12:59:59Z"))
        try await sink.write([record("a3")])
        clock.set(utc("2026-11-23T13:00:30Z"))
        try await sink.write([record("b1")])
        clock.set(utc("2026-11-23T15:10:00Z"))
        try await sink.write([record("c1")])
        try await sink.close()

        func messages(_ name: String) throws -> [String] {
            try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                .split(separator: "\n").map { String($0.split(separator: " ").last { $0.hasPrefix("msg=") } ?? "") }
        }
        #expect(
            try directoryListing(directory) == [
                "app.2026-11-23T13-00-00.000000Z.log", "app.2026-11-23T14-00-00.000000Z.log", "app.log",
            ])
        #expect(try messages("app.2026-11-23T13-00-00.000000Z.log") == ["msg=a1", "msg=a2", "msg=a3"])
        #expect(try messages("app.2026-11-23T14-00-00.000000Z.log") == ["msg=b1"])
        #expect(try messages("app.log") == ["msg=c1"])
        #expect(sink.stats.rotations == 2)
    }

    @Test func dailyRotationInLocalTime() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // UTC+05:30: local midnight is 18:30 UTC.
        let clock = ManualWallClock(utc("2026-11-23T18:00:00Z"), utcOffset: 19_800)
        let sink = try FileSink(
            path: directory.appendingPathComponent("day.log").path, level: .trace, format: LogfmtFormat(),
            mode: 0o640, rotation: RotationPolicy(trigger: .daily, timeZone: .local), durability: .noSync,
            failure: FailurePolicy(), fallback: nil, allowWorldWritableDirectory: false, name: nil,
            clock: clock.wallClock)
        try await sink.write([record("before local midnight")])
        clock.set(utc("2026-11-23T18:29:59Z"))
        try await sink.write([record("still the same day")])
        clock.set(utc("2026-11-23T18:30:00Z"))
        try await sink.write([record("next day")])
        try await sink.close()
        #expect(try directoryListing(directory) == ["day.2026-11-23T18-30-00.000000Z.log", "day.log"])
    }

    @Test func retentionDeletesOnlyThisSinksOldArchives() async throws {
        let directory = try temporaryDirectory()
        let outside = try temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(at: outside)
        }
        let clock = ManualWallClock(utc("2026-11-23T12:00:00Z"))
        let naming = ArchiveNaming(liveName: "app.log")
        // Ours, from earlier runs: five archives an hour apart.
        let old = (1...5).map { naming.name(at: utc("2026-11-23T0\($0):00:00Z"), kind: .gzip) }
        for name in old {
            try Data("old\n".utf8).write(to: directory.appendingPathComponent(name))
        }
        // Not ours: must survive whatever the policy says.
        let foreign = [
            "app.log.1", "app.log.2.gz", "other.log", "notes.txt", "app.2026-11-23T00-00-00.000000Z.log.bak",
            "other.2026-11-23T00-00-00.000000Z.log.gz", "app.db.2026-11-23T00-00-00.000000Z.log",
        ]
        for name in foreign {
            try Data("keep me\n".utf8).write(to: directory.appendingPathComponent(name))
        }
        // A symlink that looks like our archive, pointing outside: neither it nor its target may go.
        let target = outside.appendingPathComponent("precious")
        try Data("precious\n".utf8).write(to: target)
        let planted = naming.name(at: utc("2026-11-22T00:00:00Z"), kind: .gzip)
        try FileManager.default.createSymbolicLink(
            atPath: directory.appendingPathComponent(planted).path, withDestinationPath: target.path)

        let sink = try FileSink(
            path: directory.appendingPathComponent("app.log").path, level: .trace, format: LogfmtFormat(), mode: 0o640,
            rotation: RotationPolicy(trigger: .size(bytes: 200), keep: .files(3), compression: .gzip),
            durability: .noSync, failure: FailurePolicy(), fallback: nil, allowWorldWritableDirectory: false,
            name: nil, clock: clock.wallClock)
        await sink.waitForArchiving()
        // The start-up sweep already applied the policy to the earlier run's archives.
        #expect(Set(try directoryListing(directory)).isSuperset(of: old.suffix(3)))
        #expect(try directoryListing(directory).filter { old.prefix(2).contains($0) }.isEmpty)

        for i in 0..<2 {
            clock.set(utc("2026-11-23T12:0\(i):00Z"))
            try await sink.write((0..<3).map { record("batch \(i) line \($0) with some padding") })
        }
        try await sink.close()

        let names = Set(try directoryListing(directory))
        let ours = names.filter { naming.parse($0) != nil && $0 != planted }
        #expect(ours.count == 3, "\(ours.sorted())")
        #expect(ours.contains(old[4]), "the newest old archive is among the three newest")
        #expect(names.isSuperset(of: foreign))
        #expect(names.contains(planted))
        #expect(try String(contentsOf: target, encoding: .utf8) == "precious\n")
        for name in foreign {
            #expect(try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) == "keep me\n")
        }
        #expect(sink.stats.archivesDeleted >= 4)
    }

    @Test func retentionByAgeAndBytesAtStartUp() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = ManualWallClock(utc("2026-11-23T12:00:00Z"))
        let naming = ArchiveNaming(liveName: "app.log")
        let times = ["2026-11-20T12:00:00Z", "2026-11-22T11:00:00Z", "2026-11-23T06:00:00Z", "2026-11-23T11:00:00Z"]
        for time in times {
            try Data(repeating: UInt8(ascii: "x"), count: 1_000).write(
                to: directory.appendingPathComponent(naming.name(at: utc(time), kind: .plain)))
        }
        let byAge = try FileSink(
            path: directory.appendingPathComponent("app.log").path, level: .trace, format: LogfmtFormat(), mode: 0o640,
            rotation: RotationPolicy(trigger: .daily, keep: .age(days: 1)), durability: .noSync,
            failure: FailurePolicy(), fallback: nil, allowWorldWritableDirectory: false, name: nil,
            clock: clock.wallClock)
        try await byAge.close()
        #expect(
            try directoryListing(directory) == [
                naming.name(at: utc(times[2]), kind: .plain), naming.name(at: utc(times[3]), kind: .plain), "app.log",
            ])
        let byBytes = try FileSink(
            path: directory.appendingPathComponent("app.log").path, level: .trace, format: LogfmtFormat(), mode: 0o640,
            rotation: RotationPolicy(trigger: .daily, keep: .bytes(1_500)), durability: .noSync,
            failure: FailurePolicy(), fallback: nil, allowWorldWritableDirectory: false, name: nil,
            clock: clock.wallClock)
        try await byBytes.close()
        #expect(try directoryListing(directory) == [naming.name(at: utc(times[3]), kind: .plain), "app.log"])
    }

    @Test func startUpFinishesInterruptedCompressions() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let naming = ArchiveNaming(liveName: "app.log")
        let interrupted = naming.archiveName(at: utc("2026-11-23T10:00:00Z"))
        let finished = naming.archiveName(at: utc("2026-11-23T11:00:00Z"))
        let content = (0..<2_000).map { "line \($0)\n" }.joined()
        try Data(content.utf8).write(to: directory.appendingPathComponent(interrupted))
        try Data("half a gzip stream".utf8).write(to: directory.appendingPathComponent(interrupted + ".gz.tmp"))
        try Data(content.utf8).write(to: directory.appendingPathComponent(finished))
        try await runProgram("/usr/bin/env", ["gzip", "-k", directory.appendingPathComponent(finished).path])

        let sink = try FileSink(
            path: directory.appendingPathComponent("app.log").path,
            rotation: RotationPolicy(trigger: .daily, compression: .gzip))
        try await sink.close()
        #expect(try directoryListing(directory) == ["app.log", finished + ".gz", interrupted + ".gz"].sorted())
        for name in [interrupted, finished] {
            let path = directory.appendingPathComponent(name + ".gz").path
            #expect(try await gzipTestPasses(path))
            #expect(String(decoding: try await gunzip(path), as: UTF8.self) == content)
        }
        #expect(sink.stats.compressions == 1)
    }

    @Test func aSymlinkAtTheArchiveNameIsNeitherFollowedNorReplaced() async throws {
        let directory = try temporaryDirectory()
        let outside = try temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(at: outside)
        }
        let clock = ManualWallClock(utc("2026-11-23T12:30:00Z"))
        let target = outside.appendingPathComponent("target")
        try Data("untouched\n".utf8).write(to: target)
        let naming = ArchiveNaming(liveName: "app.log")
        let trap = naming.archiveName(at: utc("2026-11-23T13:00:00Z"))
        try FileManager.default.createSymbolicLink(
            atPath: directory.appendingPathComponent(trap).path, withDestinationPath: target.path)
        let sink = try FileSink(
            path: directory.appendingPathComponent("app.log").path, level: .trace, format: LogfmtFormat(), mode: 0o640,
            rotation: RotationPolicy(trigger: .hourly), durability: .noSync, failure: FailurePolicy(), fallback: nil,
            allowWorldWritableDirectory: false, name: nil, clock: clock.wallClock)
        try await sink.write([record("first hour")])
        clock.set(utc("2026-11-23T13:00:01Z"))
        try await sink.write([record("second hour")])
        try await sink.close()
        #expect(try String(contentsOf: target, encoding: .utf8) == "untouched\n")
        let bumped = naming.archiveName(
            at: LogTimestamp(nanosecondsSinceEpoch: utc("2026-11-23T13:00:00Z").nanosecondsSinceEpoch + 1_000))
        #expect(try directoryListing(directory) == ["app.log", bumped, trap].sorted())
        #expect(
            try String(contentsOf: directory.appendingPathComponent(bumped), encoding: .utf8).contains("first hour"))
    }

    @Test(arguments: [Durability.noSync, .flushEvery(.milliseconds(5)), .fsyncOnFlush, .fsyncEveryBatch])
    func everyDurabilityPolicyWritesEverything(durability: Durability) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let sink = try FileSink(
            path: path, format: JSONFormat(includeSequence: true),
            rotation: RotationPolicy(trigger: .size(bytes: 4_096)),
            durability: durability)
        let pipeline = try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil, onInternalError: .ignore)
        let log = pipeline.logger(label: "durable")
        for i in 0..<1_000 {
            log.info("record \(i)")
        }
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.written == 1_000)
        var sequences: [Int] = []
        for name in try directoryListing(directory) {
            sequences += sequenceNumbers(in: try Data(contentsOf: directory.appendingPathComponent(name)))
        }
        #expect(sequences.sorted() == Array(1...1_000))
        #expect(sink.stats.meanFlushLatency >= .zero && sink.stats.batchesWritten > 0)
    }
}

/// In the serialized `FileSinkTests` suite, with the other test that changes the process's umask.
extension FileSinkTests {
    @Test func archivesAndNewFilesGetTheModeWhateverTheUmask() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let previous = umask(0)
        defer { umask(previous) }
        let path = directory.appendingPathComponent("app.log").path
        let sink = try FileSink(
            path: path, format: .logfmt,
            rotation: RotationPolicy(trigger: .size(bytes: 100), compression: .gzip))
        try await sink.write((0..<5).map { record("a line long enough to rotate \($0)") })
        try await sink.close()
        let names = try directoryListing(directory)
        #expect(names.count >= 3)
        for name in names {
            #expect(fileMode(directory.appendingPathComponent(name).path) == 0o640, "\(name)")
        }
    }
}

extension HeavyFileTests {
    @Test func sizeRotationUnderConcurrentProducersKeepsEveryRecordExactlyOnce() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let maxBytes = 1 << 20
        let file = try FileSink(
            path: path,
            format: JSONFormat(includeSequence: true),
            rotation: RotationPolicy(trigger: .size(bytes: maxBytes), compression: .gzip),
            durability: .noSync
        )
        let errors = ErrorCollector()
        let pipeline = try LogPipeline(
            sinks: [file], level: .trace, levelEnvironmentVariable: nil,
            queue: QueueOptions(capacity: 16_384, overflow: .block), onInternalError: errors.handler)
        let log = pipeline.logger(label: "load")
        let producers = 4
        let perProducer = 50_000
        await onDedicatedThreads(producers) { producer in
            for i in 0..<perProducer {
                log.info("record", metadata: ["producer": .integer(producer), "i": .integer(i)])
            }
        }
        let report = await pipeline.shutdown(timeout: .seconds(120))
        let total = producers * perProducer
        #expect(!report.timedOut)
        #expect(report.stats.written == total)
        #expect(report.stats.dropped.total == 0)
        #expect(errors.all.isEmpty, "\(errors.all)")

        let names = try directoryListing(directory)
        let archives = names.filter { $0.hasSuffix(".log.gz") }
        #expect(names.filter { $0 != "app.log" && !$0.hasSuffix(".log.gz") }.isEmpty, "leftovers: \(names)")
        #expect(archives.count >= 10, "200k records of ~100 bytes make well over 10 MiB")
        #expect(file.stats.rotations == archives.count)
        #expect(file.stats.compressions == archives.count)

        var seen = [UInt8](repeating: 0, count: total + 1)
        for archive in archives {
            let archivePath = directory.appendingPathComponent(archive).path
            #expect(try await gzipTestPasses(archivePath), "gzip -t rejects \(archive)")
            #expect(fileMode(archivePath) == 0o640)
            let content = try await gunzip(archivePath)
            #expect(content.count <= maxBytes, "\(archive) holds \(content.count) bytes")
            #expect(content.last == UInt8(ascii: "\n"))
            for sequence in try await offThePool({ sequenceNumbers(in: content) }) where sequence <= total {
                seen[sequence] &+= 1
            }
        }
        let live = try await offThePool { sequenceNumbers(in: try Data(contentsOf: URL(fileURLWithPath: path))) }
        for sequence in live where sequence <= total {
            seen[sequence] &+= 1
        }
        #expect(
            seen.dropFirst().allSatisfy { $0 == 1 },
            "missing: \(seen.dropFirst().count { $0 == 0 }), duplicated: \(seen.dropFirst().count { $0 > 1 })")
    }
}
