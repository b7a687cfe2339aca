import Foundation
import Sluice
import Testing

@Suite struct ArchivingTests {
    /// Archive times present in `directory` for `naming` (all forms of one archive count once).
    func archiveTimes(_ directory: URL, _ naming: ArchiveNaming) -> Set<LogTimestamp> {
        Set(((try? directoryListing(directory)) ?? []).compactMap { naming.parse($0)?.time })
    }

    /// Retention runs as each archive is compressed, not after the whole backlog: archives rotated
    /// out while the archiver compresses are counted before the next compression.
    @Test func retentionIsAppliedAsEachArchiveIsFinished() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let naming = ArchiveNaming(liveName: "app.log")
        let payload = Data((0..<2_000).map { "line \($0)\n" }.joined().utf8)
        for hour in 0..<6 {
            try payload.write(
                to: directory.appendingPathComponent(
                    naming.name(at: utc("2026-11-23T0\(hour):00:00Z"), kind: .plain)))
        }
        let archiver = Archiver(
            name: "test", directory: try LogDirectory.open(directory.path, allowWorldWritable: false),
            rotation: RotationPolicy(trigger: .daily, keep: .files(3), compression: .gzip), mode: 0o640,
            clock: .system, stats: FileSinkStatsRecorder())
        let seen = LockedValue<[Int]>([])
        archiver.compressionStarting.withLock { hook in
            hook = { [self] _ in
                let count = archiveTimes(directory, naming).count
                let first = seen.withLock { seen in
                    seen.append(count)
                    return seen.count == 1
                }
                guard first else { return }
                // Five rotations while the first archive is being compressed.
                for hour in 0..<5 {
                    try? payload.write(
                        to: directory.appendingPathComponent(
                            naming.name(at: utc("2026-11-23T1\(hour):00:00Z"), kind: .plain)))
                }
            }
        }
        archiver.sweep(naming)
        await archiver.waitUntilIdle()
        archiver.stop()
        let counts = seen.withLock { $0 }
        #expect(counts.first == 3, "retention ran before the first compression: \(counts)")
        #expect(counts.dropFirst().allSatisfy { $0 <= 3 }, "archives on disk at each later compression: \(counts)")
        #expect(archiveTimes(directory, naming).count == 3)
        #expect(try directoryListing(directory).allSatisfy { $0.hasSuffix(".gz") })
    }

    @Test func waitForArchivingLeavesTheDirectoryTidy() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sink = try FileSink(
            path: directory.appendingPathComponent("app.log").path, format: LogfmtFormat(),
            rotation: RotationPolicy(trigger: .size(bytes: 2_000), keep: .files(2), compression: .gzip),
            durability: .noSync)
        for batch in 0..<20 {
            try await sink.write((0..<40).map { record("batch \(batch) record \($0)") })
        }
        await sink.waitForArchiving()
        let names = try directoryListing(directory)
        #expect(names.filter { $0 != "app.log" }.count == 2, "\(names)")
        #expect(names.filter { $0 != "app.log" }.allSatisfy { $0.hasSuffix(".log.gz") }, "\(names)")
        try await sink.close()
    }
}
