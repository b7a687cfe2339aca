import Foundation
import Sluice
import Testing

/// Values from outside (file names, labels, dates, configuration) can be anything; none may trap.
@Suite struct ExternalValueTests {
    /// A time a `LogTimestamp` cannot hold: past 2262-04-11.
    static let farFuture = "9999-12-31T23-59-59.999999Z"

    @Test func anArchiveNameFarInTheFutureIsNotOursAndDoesNotTrap() {
        let naming = ArchiveNaming(liveName: "app.log")
        #expect(ArchiveNaming.parseTimestamp(Substring(Self.farFuture)) == nil)
        #expect(ArchiveNaming.parseTimestamp("0000-01-01T00-00-00.000000Z") == nil)
        #expect(naming.parse("app.\(Self.farFuture).log") == nil)
        #expect(naming.parse("app.\(Self.farFuture).log.gz") == nil)
        // The last representable microsecond still parses.
        #expect(ArchiveNaming.parseTimestamp("2262-04-11T23-47-16.854775Z") != nil)
    }

    /// Found by FuzzArchiveNames: February 31st or second 60 spelled another instant, so retention
    /// planned to delete a name that was not the file's. Only the canonical spelling is an archive.
    @Test func onlyTheCanonicalSpellingOfATimeIsAnArchiveName() {
        let naming = ArchiveNaming(liveName: "app.log")
        #expect(naming.parse("app.2026-02-31T12-00-00.000000Z.log") == nil)
        #expect(naming.parse("app.2026-11-23T23-59-60.000000Z.log") == nil)
        #expect(naming.parse("app.2026-11-23T23-59-59.000000Z.log") != nil)
        let plan = RetentionPlanner.plan(
            entries: [.init(name: "app.2026-02-31T12-00-00.000000Z.log", size: 1)], naming: naming,
            retention: .files(0), compress: true, now: LogTimestamp.now())
        #expect(plan.delete.isEmpty && plan.compress.isEmpty)
    }

    @Test func retentionIgnoresAFileNamedFarInTheFuture() {
        let naming = ArchiveNaming(liveName: "app.log")
        let plan = RetentionPlanner.plan(
            entries: [
                .init(name: "app.\(Self.farFuture).log", size: 10),
                .init(name: naming.name(at: LogTimestamp(nanosecondsSinceEpoch: 0), kind: .plain), size: .max),
                .init(name: naming.name(at: LogTimestamp(nanosecondsSinceEpoch: 1_000), kind: .gzip), size: .max),
            ],
            naming: naming, retention: [.files(5), .bytes(.max), .age(.seconds(Int64.max))], compress: true,
            now: LogTimestamp(nanosecondsSinceEpoch: .max))
        #expect(!plan.delete.contains("app.\(Self.farFuture).log"))
        #expect(!plan.compress.contains("app.\(Self.farFuture).log"))
    }

    @Test func aFileSinkStartsInADirectoryHoldingAFarFutureArchive() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("x\n".utf8).write(to: directory.appendingPathComponent("app.\(Self.farFuture).log"))
        let sink = try FileSink(
            path: directory.appendingPathComponent("app.log").path, format: .json,
            rotation: RotationPolicy(trigger: .daily, keep: [.files(1), .age(days: 1)], compression: .gzip))
        try await sink.write([record("after")])
        await sink.waitForArchiving()
        try await sink.close()
        #expect(try directoryListing(directory).contains("app.\(Self.farFuture).log"), "not ours: left alone")
    }

    @Test func aLabelEndingLikeAFarFutureArchiveGetsAFileOfItsOwn() async throws {
        let label = "api.\(Self.farFuture)"
        let name = LabelFileSink.fileName(forLabel: label)
        #expect(name.hasSuffix(".log"))
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sink = try LabelFileSink(directory: directory.path, format: .logfmt)
        try await sink.write([record("hello", label: label)])
        try await sink.close()
        #expect(try directoryListing(directory) == [name])
    }

    @Test func datesOutsideTheTimestampRangeAreClamped() {
        #expect(LogTimestamp(Date.distantFuture).nanosecondsSinceEpoch == .max)
        #expect(LogTimestamp(Date.distantPast).nanosecondsSinceEpoch == .min)
        #expect(LogTimestamp(Date(timeIntervalSince1970: .infinity)).nanosecondsSinceEpoch == .max)
        #expect(LogTimestamp(Date(timeIntervalSince1970: .nan)).nanosecondsSinceEpoch == 0)
        #expect(LogTimestamp(Date(timeIntervalSince1970: 1.5)).nanosecondsSinceEpoch == 1_500_000_000)
        // The extremes format without trapping.
        #expect(LogTimestamp(nanosecondsSinceEpoch: .min).secondsSinceEpoch == -9_223_372_037)
        #expect(LogTimestamp(nanosecondsSinceEpoch: .min).description.hasSuffix("Z"))
        #expect(LogTimestamp(nanosecondsSinceEpoch: .max).description.hasSuffix("Z"))
    }

    @Test func extremeRetentionAndRotationSettingsDoNotTrap() {
        #expect(RetentionPolicy.age(days: .max).maxAge == .seconds(Int64.max))
        var schedule = RotationSchedule(trigger: .size(bytes: 100).or(.daily), utcOffset: nil)
        let end = LogTimestamp(nanosecondsSinceEpoch: .max)
        schedule.fileOpened(now: end)
        #expect(schedule.check(now: end, fileSize: .max, lineLength: .max) != .keep)
        schedule.rotationFailed(now: end)
        #expect(schedule.retryAfter == end)
    }
}
