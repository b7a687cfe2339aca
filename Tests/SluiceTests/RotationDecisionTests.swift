import Sluice
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// 2026-11-23T12:00:00Z
private let noon = LogTimestamp(nanosecondsSinceEpoch: 1_795_435_200_000_000_000)

private func at(_ seconds: Int64, plusNanoseconds nanoseconds: Int64 = 0) -> LogTimestamp {
    LogTimestamp(nanosecondsSinceEpoch: noon.nanosecondsSinceEpoch + seconds * 1_000_000_000 + nanoseconds)
}

@Suite struct RotationPolicyTests {
    @Test func triggersCombineToTheStricterOfEach() {
        let trigger = RotationTrigger.size(megabytes: 50).or(.daily).or(.size(bytes: 1_000)).or(.hourly)
        #expect(trigger.maxBytes == 1_000)
        #expect(trigger.period == .hourly)
        #expect(RotationTrigger.never.isNever)
        #expect(RotationTrigger.never.or(.daily) == .daily)
        #expect(RotationTrigger.size(megabytes: 2).maxBytes == 2 << 20)
        #expect(RotationTrigger.size(megabytes: .max).maxBytes == Int64(Int.max))
        #expect(trigger.description == "size(1000 bytes) or hourly")
    }

    @Test func retentionRulesCombine() {
        let keep: RetentionPolicy = [.files(10), .bytes(2 << 30), .age(days: 14), .files(3)]
        #expect(keep.maxFiles == 3)
        #expect(keep.maxBytes == 2 << 30)
        #expect(keep.maxAge == .seconds(14 * 86_400))
        let none: RetentionPolicy = []
        #expect(none.keepsEverything)
        #expect(RetentionPolicy.files(5).and(.age(.seconds(60))).maxAge == .seconds(60))
    }
}

@Suite struct RotationScheduleTests {
    @Test func sizeTriggerRotatesBeforeTheLineThatWouldPassTheLimit() {
        var schedule = RotationSchedule(trigger: .size(bytes: 100), utcOffset: nil)
        schedule.fileOpened(now: noon)
        #expect(schedule.check(now: noon, fileSize: 0, lineLength: 500) == .keep, "an empty file takes any line")
        #expect(schedule.check(now: noon, fileSize: 60, lineLength: 40) == .keep)
        #expect(schedule.check(now: noon, fileSize: 60, lineLength: 41) == .rotate(archiveTime: noon))
    }

    @Test func dailyAndHourlyBoundariesInUTC() {
        var daily = RotationSchedule(trigger: .daily, utcOffset: nil)
        daily.fileOpened(now: at(0))
        let midnight = at(12 * 3_600)
        #expect(daily.nextBoundary == midnight.secondsSinceEpoch)
        #expect(daily.check(now: at(12 * 3_600 - 1), fileSize: 10, lineLength: 1) == .keep)
        #expect(daily.check(now: at(12 * 3_600 + 5), fileSize: 10, lineLength: 1) == .rotate(archiveTime: midnight))
        daily.fileOpened(now: at(12 * 3_600 + 5))
        #expect(daily.nextBoundary == midnight.secondsSinceEpoch + 86_400)

        var hourly = RotationSchedule(trigger: .hourly.or(.size(bytes: 1 << 20)), utcOffset: nil)
        hourly.fileOpened(now: at(1_799))
        #expect(hourly.nextBoundary == at(3_600).secondsSinceEpoch)
        #expect(hourly.check(now: at(3_600), fileSize: 1, lineLength: 1) == .rotate(archiveTime: at(3_600)))
    }

    @Test func anEmptyFileIsNotRotatedButStartsTheNextPeriod() {
        var schedule = RotationSchedule(trigger: .hourly, utcOffset: nil)
        schedule.fileOpened(now: at(10))
        #expect(schedule.check(now: at(7_300), fileSize: 0, lineLength: 10) == .keep)
        #expect(schedule.nextBoundary == at(10_800).secondsSinceEpoch)
    }

    @Test func localBoundariesFollowTheOffset() {
        // India, UTC+05:30: local midnight is 18:30 UTC.
        var india = RotationSchedule(trigger: .daily, utcOffset: { _ in 19_800 })
        india.fileOpened(now: at(0))
        #expect(india.nextBoundary == at(6 * 3_600 + 1_800).secondsSinceEpoch)
        var indiaHourly = RotationSchedule(trigger: .hourly, utcOffset: { _ in 19_800 })
        indiaHourly.fileOpened(now: at(0))
        #expect(indiaHourly.nextBoundary == at(1_800).secondsSinceEpoch)
        // Los Angeles, UTC-08:00: local midnight is 08:00 UTC the next day.
        var losAngeles = RotationSchedule(trigger: .daily, utcOffset: { _ in -28_800 })
        losAngeles.fileOpened(now: at(0))
        #expect(losAngeles.nextBoundary == at(20 * 3_600).secondsSinceEpoch)
    }

    @Test func localMidnightAcrossADaylightSavingChange() {
        // UTC+1 until 2026-11-23T20:00Z, UTC+2 afterwards: the next local midnight is 22:00Z.
        let change = at(8 * 3_600).secondsSinceEpoch
        var schedule = RotationSchedule(trigger: .daily, utcOffset: { $0 < change ? 3_600 : 7_200 })
        schedule.fileOpened(now: at(0))
        #expect(schedule.nextBoundary == at(10 * 3_600).secondsSinceEpoch)
    }

    @Test func aFailedRotationIsRetriedAfterAGrowingPause() {
        var schedule = RotationSchedule(trigger: .size(bytes: 10), utcOffset: nil)
        schedule.fileOpened(now: at(0))
        #expect(schedule.check(now: at(0), fileSize: 10, lineLength: 5) == .rotate(archiveTime: at(0)))
        schedule.rotationFailed(now: at(0))
        #expect(schedule.check(now: at(0, plusNanoseconds: 999_000_000), fileSize: 10, lineLength: 5) == .keep)
        #expect(schedule.check(now: at(1), fileSize: 10, lineLength: 5) == .rotate(archiveTime: at(1)))
        schedule.rotationFailed(now: at(1))
        #expect(schedule.check(now: at(2), fileSize: 10, lineLength: 5) == .keep)
        #expect(schedule.check(now: at(3), fileSize: 10, lineLength: 5) == .rotate(archiveTime: at(3)))
    }
}

@Suite struct ArchiveNamingTests {
    let naming = ArchiveNaming(liveName: "app.log")

    @Test func namesCarryTheUTCTimeAndRoundTrip() {
        let time = at(0, plusNanoseconds: 123_456_000)
        #expect(naming.archiveName(at: time) == "app.2026-11-23T12-00-00.123456Z.log")
        #expect(naming.name(at: time, kind: .gzip) == "app.2026-11-23T12-00-00.123456Z.log.gz")
        #expect(naming.parse("app.2026-11-23T12-00-00.123456Z.log")?.time == time)
        #expect(naming.parse("app.2026-11-23T12-00-00.123456Z.log.gz")?.kind == .gzip)
        #expect(naming.parse("app.2026-11-23T12-00-00.123456Z.log.gz.tmp")?.kind == .gzipTemporary)
        let bare = ArchiveNaming(liveName: "service")
        #expect(bare.archiveName(at: time) == "service.2026-11-23T12-00-00.123456Z")
        #expect(bare.parse("service.2026-11-23T12-00-00.123456Z.gz")?.time == time)
        for seconds: Int64 in [-86_400 * 365 * 30, -1, 0, 59, 86_399, 86_400 * 366 * 4] {
            let instant = at(seconds, plusNanoseconds: 7_000)
            #expect(naming.parse(naming.archiveName(at: instant))?.time == instant)
        }
    }

    @Test func otherNamesAreNeverOurs() {
        for name in [
            "app.log", "app.log.1", "app.log.1.gz", "app.2026-11-23T12-00-00.123456Z.log.bak",
            "other.2026-11-23T12-00-00.123456Z.log", "app.2026-11-23T12:00:00.123456Z.log",
            "app.2026-13-23T12-00-00.123456Z.log", "app.2026-11-23T12-00-00.12345Z.log",
            "app.db.2026-11-23T12-00-00.123456Z.log", "app.2026-11-23T12-00-00.123456Z.txt",
            "xapp.2026-11-23T12-00-00.123456Z.log", "app..2026-11-23T12-00-00.123456Z.log",
        ] {
            #expect(naming.parse(name) == nil, "\(name)")
        }
    }

    @Test func namesSortInTimeOrder() {
        let times = [at(-86_400 * 400), at(-3_600), at(0), at(0, plusNanoseconds: 1_000), at(59), at(86_400 * 40)]
        let names = times.map { naming.archiveName(at: $0) }
        #expect(names.sorted() == names)
    }
}

@Suite struct RetentionPlannerTests {
    let naming = ArchiveNaming(liveName: "app.log")

    func archive(_ hoursAgo: Int64, gz: Bool = true, size: Int64 = 100) -> RetentionPlanner.Entry {
        let name = naming.name(at: at(-hoursAgo * 3_600), kind: gz ? .gzip : .plain)
        return RetentionPlanner.Entry(name: name, size: size)
    }

    var foreign: [RetentionPlanner.Entry] {
        [
            "app.log", "app.log.1", "app.log.2.gz", "other.log", "notes.txt", "app.2026-11-23T11-00-00.000000Z.log.bak",
            "other.2026-11-23T11-00-00.000000Z.log.gz",
        ].map { RetentionPlanner.Entry(name: $0, size: 1 << 40) }
    }

    @Test func keepsTheNewestByCountAndNeverTouchesOtherFiles() {
        let entries = foreign + (1...6).map { archive($0) }
        let plan = RetentionPlanner.plan(
            entries: entries.shuffled(), naming: naming, retention: .files(2), compress: true, now: noon)
        #expect(plan.delete == [6, 5, 4, 3].map { archive($0).name })
        #expect(plan.cleanUp.isEmpty && plan.compress.isEmpty)
        let everything = RetentionPlanner.plan(
            entries: entries, naming: naming, retention: .everything, compress: true, now: noon)
        #expect(everything.delete.isEmpty)
    }

    @Test func keepsTheNewestWithinTheByteBudget() {
        let entries = [archive(1, size: 400), archive(2, size: 400), archive(3, size: 300), archive(4, size: 10)]
        let plan = RetentionPlanner.plan(
            entries: entries, naming: naming, retention: .bytes(1_000), compress: true, now: noon)
        #expect(plan.delete == [archive(4, size: 10).name, archive(3, size: 300).name])
    }

    @Test func deletesArchivesOlderThanTheAge() {
        let entries = [24, 48, 71, 72, 73, 96].map { archive($0) } + foreign
        let plan = RetentionPlanner.plan(
            entries: entries, naming: naming, retention: .age(days: 3), compress: true, now: noon)
        #expect(plan.delete == [archive(96).name, archive(73).name], "exactly three days old is still kept")
    }

    @Test func cleansUpInterruptedCompressionAndQueuesTheRest() {
        let done = at(-3_600)
        let interrupted = at(-7_200)
        let fresh = at(-60)
        let entries = [
            RetentionPlanner.Entry(name: naming.name(at: done, kind: .plain), size: 1_000),
            RetentionPlanner.Entry(name: naming.name(at: done, kind: .gzip), size: 100),
            RetentionPlanner.Entry(name: naming.name(at: interrupted, kind: .plain), size: 1_000),
            RetentionPlanner.Entry(name: naming.name(at: interrupted, kind: .gzipTemporary), size: 10),
            RetentionPlanner.Entry(name: naming.name(at: fresh, kind: .plain), size: 1_000),
        ]
        let plan = RetentionPlanner.plan(
            entries: entries, naming: naming, retention: .files(3), compress: true, now: noon)
        #expect(plan.delete.isEmpty)
        #expect(
            Set(plan.cleanUp)
                == [naming.name(at: done, kind: .plain), naming.name(at: interrupted, kind: .gzipTemporary)])
        #expect(plan.compress == [naming.name(at: interrupted, kind: .plain), naming.name(at: fresh, kind: .plain)])
        let uncompressed = RetentionPlanner.plan(
            entries: entries, naming: naming, retention: .files(3), compress: false, now: noon)
        #expect(uncompressed.compress.isEmpty)
        let strict = RetentionPlanner.plan(
            entries: entries, naming: naming, retention: .files(1), compress: true, now: noon)
        #expect(
            Set(strict.delete)
                == [
                    naming.name(at: done, kind: .plain), naming.name(at: done, kind: .gzip),
                    naming.name(at: interrupted, kind: .plain), naming.name(at: interrupted, kind: .gzipTemporary),
                ])
    }
}

@Suite struct RetryStateMachineTests {
    typealias Machine = RetryStateMachine<ManualClock>

    static let policy = FailurePolicy(
        attempts: 4, initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(300), jitter: 0.2,
        openCircuitAfter: 2, probeAfter: .seconds(1), maxProbeInterval: .seconds(3))

    @Test func retriesTransientErrorsWithDoublingCappedJitteredBackoff() {
        let clock = ManualClock()
        var randoms = [0.5, 0.0, 0.999_999][...]
        var machine = Machine(policy: Self.policy, random: { randoms.popFirst() ?? 0.5 })
        #expect(machine.batchArrived(now: clock.now) == .attempt(probe: false))
        #expect(machine.attemptFailed(now: clock.now, errno: ENOSPC) == .retry(after: .milliseconds(100)))
        #expect(machine.attemptFailed(now: clock.now, errno: ENOSPC) == .retry(after: .milliseconds(160)))
        guard case .retry(let third) = machine.attemptFailed(now: clock.now, errno: EIO) else {
            Issue.record("expected a third retry")
            return
        }
        #expect(third > .milliseconds(359) && third <= .milliseconds(360), "300 ms cap + 20 % jitter")
        #expect(machine.attemptFailed(now: clock.now, errno: ENOSPC) == .giveUp(circuitOpened: false))
        #expect(machine.circuit == .closed)
    }

    @Test func permanentErrorsAreNotRetriedWithinTheBatch() {
        var machine = Machine(policy: Self.policy, random: { 0.5 })
        _ = machine.batchArrived(now: ManualClock().now)
        #expect(machine.attemptFailed(now: ManualClock().now, errno: EACCES) == .giveUp(circuitOpened: false))
        #expect(machine.batchArrived(now: ManualClock().now) == .attempt(probe: false))
        machine.attemptSucceeded()
    }

    @Test func opensAfterConsecutiveFailuresProbesAndCloses() {
        var clock = ManualClock()
        var machine = Machine(policy: FailurePolicy(attempts: 1, jitter: 0, openCircuitAfter: 2), random: { 0.5 })
        _ = machine.batchArrived(now: clock.now)
        #expect(machine.attemptFailed(now: clock.now, errno: ENOSPC) == .giveUp(circuitOpened: false))
        _ = machine.batchArrived(now: clock.now)
        #expect(machine.attemptFailed(now: clock.now, errno: ENOSPC) == .giveUp(circuitOpened: true))
        #expect(machine.circuit == .open)
        let reopen = clock.now.advanced(by: .seconds(1))
        #expect(machine.batchArrived(now: clock.now) == .reject(openUntil: reopen))
        clock.now = clock.now.advanced(by: .milliseconds(999))
        #expect(machine.batchArrived(now: clock.now) == .reject(openUntil: reopen))
        clock.now = reopen
        #expect(machine.batchArrived(now: clock.now) == .attempt(probe: true))
        #expect(machine.circuit == .halfOpen)
        machine.attemptSucceeded()
        #expect(machine.circuit == .closed)
        #expect(machine.batchArrived(now: clock.now) == .attempt(probe: false))
    }

    @Test func aFailedProbeReopensForLongerUpToTheCap() {
        var clock = ManualClock()
        var machine = Machine(
            policy: FailurePolicy(
                attempts: 3, jitter: 0, openCircuitAfter: 1, probeAfter: .seconds(1), maxProbeInterval: .seconds(3)),
            random: { 0.5 })
        _ = machine.batchArrived(now: clock.now)
        _ = machine.attemptFailed(now: clock.now, errno: EACCES)
        var pauses: [Duration] = []
        for _ in 0..<4 {
            guard case .reject(let until) = machine.batchArrived(now: clock.now) else {
                Issue.record("expected the circuit to be open")
                return
            }
            pauses.append(clock.now.duration(to: until))
            clock.now = until
            #expect(machine.batchArrived(now: clock.now) == .attempt(probe: true))
            #expect(
                machine.attemptFailed(now: clock.now, errno: ENOSPC) == .giveUp(circuitOpened: true),
                "no retries for a probe")
        }
        #expect(pauses == [.seconds(1), .seconds(2), .seconds(3), .seconds(3)])
    }
}

@Suite struct LabelFileNameTests {
    @Test func labelsMapToSafeDistinctFileNames() {
        #expect(LabelFileSink.fileName(forLabel: "billing") == "billing.log")
        #expect(LabelFileSink.fileName(forLabel: "api.db") == "api.db.log")
        let hostile = [
            "", ".", "..", "../x", "../../etc/passwd", "/", "/etc/passwd", "a/b", "a\0b", "\0", ".hidden", "a b",
            "ü", "%", "%2F", "a.2026-11-23T12-00-00.000000Z", String(repeating: "long/", count: 200),
            String(repeating: "long/", count: 200) + "x",
        ]
        var seen: Set<String> = []
        for label in hostile {
            let name = LabelFileSink.fileName(forLabel: label)
            #expect(!name.contains("/") && !name.utf8.contains(0), "\(name)")
            #expect(!name.hasPrefix("."), "\(name)")
            #expect(name.hasSuffix(".log") && name.utf8.count <= 204, "\(name)")
            #expect(seen.insert(name).inserted, "two labels share \(name)")
            #expect(ArchiveNaming(liveName: "a.log").parse(name) == nil, "\(name) looks like an archive")
        }
        #expect(LabelFileSink.fileName(forLabel: "../x") == "%2E.%2Fx.log")
    }
}
