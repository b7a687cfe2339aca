import Foundation
import Sluice
import Testing

/// "fsyncgate": after a failed `fdatasync` Linux reports success on the next call although the
/// data was lost. `FileFaults` reproduces that (the unsynced data is cut away, the next sync works).
@Suite struct SyncFailureTests {
    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func underFsyncEveryBatchAFailedSyncRewritesTheBatchBeforeItCounts() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let name = "sync-\(UUID().uuidString.prefix(8)).log"
        let path = directory.appendingPathComponent(name).path
        let sink = try FileSink(
            path: path, format: LogfmtFormat(), durability: .fsyncEveryBatch,
            failure: FailurePolicy(attempts: 3, initialBackoff: .milliseconds(1), jitter: 0))
        try await sink.write((0..<5).map { record("before \($0)") })
        FileFaults.failSyncs(1, named: name)
        try await sink.write((0..<10).map { record("batch \($0)") })
        try await sink.close()
        let content = try lines(path)
        #expect(content.count == 15, "\(content)")
        #expect(content.filter { $0.contains("msg=\"batch ") }.count == 10)
        let stats = sink.stats
        #expect(stats.syncFailures == 1 && stats.writeErrors == 1)
        #expect(stats.linesWritten == 15)
        #expect(stats.bytesWritten == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int))
    }

    @Test func aFailedSyncBeforeARotationRewritesThePartThatWouldBeArchived() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let name = "rotate-\(UUID().uuidString.prefix(8)).log"
        let sink = try FileSink(
            path: directory.appendingPathComponent(name).path, format: LogfmtFormat(),
            rotation: RotationPolicy(trigger: .size(bytes: 600)), durability: .fsyncEveryBatch,
            failure: FailurePolicy(attempts: 3, initialBackoff: .milliseconds(1), jitter: 0))
        FileFaults.failSyncs(1, named: name)
        try await sink.write((0..<20).map { record("line \($0)") })
        try await sink.close()
        var all: [String] = []
        for file in try directoryListing(directory) {
            all += try lines(directory.appendingPathComponent(file).path)
        }
        let messages = all.compactMap { line in
            line.range(of: "msg=\"").map { line[$0.upperBound...].prefix { $0 != "\"" } }
        }
        #expect(messages.sorted() == (0..<20).map { "line \($0)" }.sorted(), "each record exactly once: \(messages)")
        #expect(sink.stats.syncFailures == 1 && sink.stats.rotations >= 1)
    }

    @Test func underTheOtherPoliciesAFailedSyncIsCountedAndReported() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let name = "flush-\(UUID().uuidString.prefix(8)).log"
        let sink = try FileSink(
            path: directory.appendingPathComponent(name).path, format: LogfmtFormat(), durability: .fsyncOnFlush)
        try await sink.write([record("one")])
        FileFaults.failSyncs(1, named: name)
        await #expect(throws: SluiceError.self) { try await sink.flush() }
        #expect(sink.stats.syncFailures == 1)
        #expect(sink.stats.lastError?.contains("fdatasync") == true)
        try await sink.close()
    }
}
