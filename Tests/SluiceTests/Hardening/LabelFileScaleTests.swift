import Foundation
import Sluice
import Testing

/// LabelFileSink with many labels (finding 12).
@Suite struct LabelFileScaleTests {
    func sink(_ directory: URL, ignoresCase: Bool? = nil, maxOpenFiles: Int = 8) throws -> LabelFileSink {
        try LabelFileSink(
            directory: directory.path, level: .trace, format: LogfmtFormat(), mode: 0o640,
            rotation: RotationPolicy(trigger: .size(bytes: 1 << 20), keep: .files(2), compression: .gzip),
            durability: .noSync, failure: FailurePolicy(), maxOpenFiles: maxOpenFiles, fallback: nil,
            allowWorldWritableDirectory: false, name: nil, clock: .system, ignoresCase: ignoresCase)
    }

    @Test func manyNewLabelsCostOneDirectoryListingNotOneEach() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Leftovers of an earlier run for a label that does not log this time: still swept.
        let naming = ArchiveNaming(liveName: "old.log")
        for hour in 0..<4 {
            try Data("x\n".utf8).write(
                to: directory.appendingPathComponent(naming.name(at: utc("2026-11-23T0\(hour):00:00Z"), kind: .plain)))
        }
        let labels = try sink(directory)
        for round in 0..<10 {
            try await labels.write((0..<50).map { record("r\(round)", label: "label-\(round)-\($0)") })
        }
        await labels.waitForArchiving()
        // One listing for the start-up sweep, and one per step of compressing the two old archives.
        #expect(labels.directoryListings <= 5, "listed \(labels.directoryListings) times for 500 labels")
        let names = try directoryListing(directory)
        #expect(names.filter { $0.hasPrefix("old.") }.count == 2, "\(names.filter { $0.hasPrefix("old.") })")
        #expect(names.filter { $0.hasPrefix("old.") }.allSatisfy { $0.hasSuffix(".gz") })
        #expect(names.filter { $0.hasPrefix("label-") }.count == 500)
        #expect(await labels.openFileCount <= 8)
        try await labels.close()
    }

    @Test func labelsDifferingOnlyInCaseGetTheirOwnFilesWhereCaseIsIgnored() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let labels = try sink(directory, ignoresCase: true)
        #expect(labels.directoryIgnoresCase)
        try await labels.write([
            record("upper", label: "API"), record("lower", label: "api"), record("mixed", label: "Api"),
        ])
        try await labels.close()
        let names = try directoryListing(directory)
        #expect(names.count == 3)
        #expect(Set(names.map { $0.lowercased() }).count == 3, "distinct even when case is ignored: \(names)")
        #expect(names.contains("api.log") && names.contains("%41%50%49.log") && names.contains("%41pi.log"))
        #expect(LabelFileSink.fileName(forLabel: "API") == "API.log", "unchanged where case matters")
    }

    @Test func theSinkFindsOutWhetherItsDirectoryIgnoresCase() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let labels = try LabelFileSink(directory: directory.path, format: .logfmt)
        // The tests run on a case-sensitive Linux file system; the probe leaves nothing behind.
        #expect(!labels.directoryIgnoresCase)
        #expect(try directoryListing(directory).isEmpty)
        #expect(LabelFileSink.naming(ofFile: "api.2026-11-23T12-00-00.000000Z.log.gz")?.liveName == "api.log")
        #expect(LabelFileSink.naming(ofFile: "api.log")?.liveName == "api.log")
        #expect(LabelFileSink.naming(ofFile: "api.log.gz") == nil)
        #expect(LabelFileSink.naming(ofFile: "notes.txt") == nil)
    }
}
