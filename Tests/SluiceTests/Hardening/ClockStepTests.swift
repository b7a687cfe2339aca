import Foundation
import Sluice
import Testing

/// Wall-clock steps and daylight-saving changes at midnight (finding 6).
@Suite struct ClockStepTests {
    @Test func aStepForwardAndBackDoesNotStopTimeRotation() {
        var schedule = RotationSchedule(trigger: .daily, utcOffset: nil)
        let start = utc("2026-11-23T12:00:00Z")
        schedule.fileOpened(now: start)
        // The clock jumps ten years ahead: the file rotates and the next boundary is in 2036.
        let future = utc("2036-11-23T12:00:00Z")
        #expect(
            schedule.check(now: future, fileSize: 10, lineLength: 1)
                == .rotate(archiveTime: utc("2026-11-24T00:00:00Z")))
        schedule.fileOpened(now: future)
        // It steps back: the next midnight must rotate again, not the one in 2036.
        #expect(schedule.check(now: utc("2026-11-23T13:00:00Z"), fileSize: 10, lineLength: 1) == .keep)
        #expect(schedule.nextBoundary == utc("2026-11-24T00:00:00Z").secondsSinceEpoch)
        #expect(
            schedule.check(now: utc("2026-11-24T00:00:01Z"), fileSize: 10, lineLength: 1)
                == .rotate(archiveTime: utc("2026-11-24T00:00:00Z")))
    }

    /// America/Santiago, 2026-09-06: at 24:00 (UTC-4) clocks jump to 01:00 (UTC-3), so the day
    /// begins at 04:00Z. At 2026-04-05 24:00 (UTC-3) they go back to 23:00 (UTC-4): 04:00Z again.
    @Test func dailyRotationFollowsADaylightSavingChangeAtMidnight() {
        let springForward = utc("2026-09-06T04:00:00Z").secondsSinceEpoch
        var spring = RotationSchedule(
            trigger: .daily, utcOffset: { $0 < springForward ? -4 * 3_600 : -3 * 3_600 })
        spring.fileOpened(now: utc("2026-09-05T16:00:00Z"))
        #expect(spring.nextBoundary == springForward, "not an hour early at 23:00 local")

        let fallBack = utc("2026-04-05T03:00:00Z").secondsSinceEpoch
        var autumn = RotationSchedule(trigger: .daily, utcOffset: { $0 < fallBack ? -3 * 3_600 : -4 * 3_600 })
        autumn.fileOpened(now: utc("2026-04-04T16:00:00Z"))
        #expect(autumn.nextBoundary == utc("2026-04-05T04:00:00Z").secondsSinceEpoch)

        // Elsewhere nothing changes: Europe's 01:00Z change and an hourly trigger across it.
        let europe = utc("2026-10-25T01:00:00Z").secondsSinceEpoch
        var berlin = RotationSchedule(trigger: .hourly, utcOffset: { $0 < europe ? 7_200 : 3_600 })
        berlin.fileOpened(now: utc("2026-10-25T00:30:00Z"))
        #expect(berlin.nextBoundary == utc("2026-10-25T01:00:00Z").secondsSinceEpoch)
    }

    @Test func ageRetentionDoesNotBelieveAWallClockStepForwardUntilItHolds() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = ManualWallClock(utc("2026-11-23T12:00:00Z"))
        let naming = ArchiveNaming(liveName: "app.log")
        let kept = ["2026-11-20T12:00:00Z", "2026-11-22T11:00:00Z", "2026-11-23T06:00:00Z"]
        for time in kept {
            try Data("x\n".utf8).write(to: directory.appendingPathComponent(naming.name(at: utc(time), kind: .plain)))
        }
        let sink = try FileSink(
            path: directory.appendingPathComponent("app.log").path, level: .trace, format: LogfmtFormat(), mode: 0o640,
            rotation: RotationPolicy(trigger: .size(bytes: 10), keep: .age(days: 14)), durability: .noSync,
            failure: FailurePolicy(), fallback: nil, allowWorldWritableDirectory: false, name: nil,
            clock: clock.wallClock)
        await sink.waitForArchiving()
        // Ten years ahead, in one step: the next rotation's sweep must not take every archive.
        clock.step(to: utc("2036-11-23T12:00:00Z"))
        try await sink.write([record("one"), record("two"), record("three")])
        await sink.waitForArchiving()
        var names = try directoryListing(directory)
        for time in kept {
            #expect(names.contains(naming.name(at: utc(time), kind: .plain)), "\(time) deleted: \(names)")
        }
        // A day later (monotonic), the step has held: it was a correction, and age applies.
        clock.advanceMonotonic(by: 86_400 * 1_000_000_000 + 1)
        try await sink.write([record("four"), record("five")])
        await sink.waitForArchiving()
        names = try directoryListing(directory)
        for time in kept {
            #expect(!names.contains(naming.name(at: utc(time), kind: .plain)), "\(time) kept: \(names)")
        }
        try await sink.close()
    }

    @Test func theRetentionClockFollowsStepsBackAtOnceAndForwardOnlyOnceTheyHold() {
        let start = utc("2026-11-23T12:00:00Z")
        var clock = RetentionClock(wall: start, monotonic: 0)
        let hour: UInt64 = 3_600 * 1_000_000_000
        // Normal passage of time.
        #expect(clock.reference(wall: utc("2026-11-23T13:00:00Z"), monotonic: hour) == utc("2026-11-23T13:00:00Z"))
        // A step back is followed.
        #expect(clock.reference(wall: utc("2026-11-23T10:00:00Z"), monotonic: 2 * hour) == utc("2026-11-23T10:00:00Z"))
        // A step forward is held back to what the monotonic clock says...
        #expect(clock.reference(wall: utc("2030-01-01T00:00:00Z"), monotonic: 3 * hour) == utc("2026-11-23T11:00:00Z"))
        #expect(clock.reference(wall: utc("2030-01-01T01:00:00Z"), monotonic: 4 * hour) == utc("2026-11-23T12:00:00Z"))
        // ...until it has held for a day.
        #expect(
            clock.reference(wall: utc("2030-01-02T00:00:00Z"), monotonic: 3 * hour + 24 * hour)
                == utc("2030-01-02T00:00:00Z"))
        #expect(clock.reference(wall: utc("2030-01-02T01:00:00Z"), monotonic: 28 * hour) == utc("2030-01-02T01:00:00Z"))
    }
}
