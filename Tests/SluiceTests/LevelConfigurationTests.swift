import Foundation
import Sluice
import SluiceTesting
import Testing

/// How the code's levels, `LOG_LEVEL` and the sinks' levels combine, and levels changed at runtime.
@Suite(.serialized) struct LevelConfigurationTests {
    /// One row of the precedence table in Configuration.md.
    struct Row: Sendable, CustomTestStringConvertible {
        var level: LogLevel?
        var labelLevels: [String: LogLevel]
        var environment: String?
        /// label → the lowest level it logs.
        var expected: [String: LogLevel]

        var testDescription: String {
            "level \(level.map { "\($0)" } ?? "nil"), labelLevels \(labelLevels), LOG_LEVEL \(environment ?? "unset")"
        }
    }

    static let table: [Row] = [
        Row(level: nil, labelLevels: [:], environment: nil, expected: ["app": .info, "api.db": .info]),
        Row(level: .warning, labelLevels: [:], environment: nil, expected: ["app": .warning]),
        Row(
            level: .info, labelLevels: ["app": .debug], environment: nil,
            expected: ["app": .debug, "app.web": .debug, "api": .info]),
        // The environment is the whole configuration: code labelLevels it does not name are gone.
        Row(
            level: .info, labelLevels: ["app": .debug], environment: "warning",
            expected: ["app": .warning, "app.web": .warning, "api": .warning]),
        Row(
            level: .info, labelLevels: ["app": .debug], environment: "warning,api.db=trace",
            expected: ["app": .warning, "api": .warning, "api.db": .trace, "api.db.pool": .trace]),
        // Only label items: the code's minimum stays, its labelLevels go.
        Row(
            level: .notice, labelLevels: ["app": .debug], environment: "api=debug",
            expected: ["app": .notice, "api": .debug, "worker": .notice]),
        // An empty value names nothing: the code's labelLevels go, its minimum stays.
        Row(level: .info, labelLevels: ["app": .debug], environment: "", expected: ["app": .info]),
    ]

    @Test(arguments: table)
    func levelEnvironmentVariableReplacesTheCodesLevels(row: Row) async throws {
        let variable = "SLUICE_TEST_LEVEL_\(UInt64.random(in: 0...UInt64.max))"
        if let environment = row.environment {
            setenv(variable, environment, 1)
        }
        defer { unsetenv(variable) }
        let pipeline = try LogPipeline(
            sinks: [MemorySink()], level: row.level, labelLevels: row.labelLevels,
            levelEnvironmentVariable: variable, onInternalError: .ignore)
        for (label, lowest) in row.expected {
            let log = pipeline.logger(label: label)
            #expect(log.level == lowest, "\(label)")
            #expect(log.isEnabled(lowest), "\(label) logs \(lowest)")
            if let below = LogLevel(rawValue: lowest.rawValue &- 1), lowest != .trace {
                #expect(!log.isEnabled(below), "\(label) does not log \(below)")
            }
        }
        await pipeline.shutdown()
    }

    @Test func withoutALevelThePipelineTakesTheLowestLevelASinkWasGiven() async throws {
        let errors = ErrorCollector()
        let memory = MemorySink(level: .debug)
        let pipeline = try LogPipeline(
            sinks: [memory, MemorySink(name: "follows")], levelEnvironmentVariable: nil,
            onInternalError: errors.handler)
        let log = pipeline.logger(label: "app")
        log.debug("reaches the debug sink")
        log.trace("no sink asked for trace")
        await pipeline.shutdown()
        #expect(memory.messages == ["reaches the debug sink"])
        #expect(errors.all.isEmpty, "\(errors.all)")
    }

    @Test func sinksWithoutALevelLeaveThePipelineAtInfo() async throws {
        let pipeline = try LogPipeline(
            sinks: [MemorySink(), MemorySink(name: "other")], levelEnvironmentVariable: nil, onInternalError: .ignore)
        #expect(pipeline.level == .info)
        #expect(!pipeline.logger(label: "app").isEnabled(.debug))
        await pipeline.shutdown()
    }

    @Test func aSinkLevelBelowThePipelinesIsReportedOnceAtStartUp() async throws {
        let errors = ErrorCollector()
        let pipeline = try LogPipeline(
            sinks: [MemorySink(level: .debug, name: "debug-file"), MemorySink(name: "follows")], level: .info,
            levelEnvironmentVariable: nil, onInternalError: errors.handler)
        pipeline.logger(label: "app").debug("never reaches it")
        await pipeline.shutdown()
        let reports = errors.all.filter { $0.kind == .sinkLevelUnreachable }
        #expect(reports.count == 1)
        #expect(reports.first?.sinkName == "debug-file")
        #expect(reports.first?.message.contains("level: .debug") == true, "\(reports)")

        // A label level low enough makes the sink's level reachable: nothing to report.
        let quiet = ErrorCollector()
        let reachable = try LogPipeline(
            sinks: [MemorySink(level: .debug)], level: .info, labelLevels: ["api": .debug],
            levelEnvironmentVariable: nil, onInternalError: quiet.handler)
        await reachable.shutdown()
        #expect(quiet.all.isEmpty)
    }

    @Test func aSinkOfYourOwnAtTraceTakesWhateverThePipelineLogs() async throws {
        let errors = ErrorCollector()
        let gate = GateSink(level: .trace)
        let pipeline = try LogPipeline(sinks: [gate], levelEnvironmentVariable: nil, onInternalError: errors.handler)
        #expect(pipeline.level == .info, "trace means no preference: it does not pull the pipeline down")
        await gate.open()
        await pipeline.shutdown()
        #expect(errors.all.isEmpty, "nor is it reported as unreachable: \(errors.all)")
    }

    @Test func setLevelReachesExistingLoggersAndTheirChildren() async throws {
        let memory = MemorySink()
        let pipeline = try LogPipeline(
            sinks: [memory], level: .info, levelEnvironmentVariable: nil, onInternalError: .ignore)
        let api = pipeline.logger(label: "api")
        let db = api.child("db")
        let pool = db.child("pool")
        var pinned = api.child("pinned")
        pinned.level = .error
        #expect(!db.isEnabled(.debug))

        pipeline.setLevel(.debug, for: "api.db")
        #expect(db.isEnabled(.debug) && pool.isEnabled(.debug) && db.level == .debug)
        #expect(!api.isEnabled(.debug))
        db.debug("db debug")
        pool.debug("pool debug")
        api.debug("api debug")

        pipeline.setLevel(.trace)
        #expect(api.isEnabled(.trace) && pipeline.logger(label: "new").isEnabled(.trace))
        #expect(!pinned.isEnabled(.warning), "an explicit level stays")
        pipeline.removeLevel(for: "api.db")
        #expect(db.level == .trace)

        try pipeline.setLevels(specification: "warning,api=info")
        #expect(api.level == .info && db.level == .info && !db.isEnabled(.debug))
        #expect(pipeline.logger(label: "other").level == .warning)
        #expect(pipeline.labelLevels == ["api": .info] && pipeline.level == .warning)
        #expect(throws: SluiceError.self) { try pipeline.setLevels(specification: "info,api=loud") }
        #expect(pipeline.labelLevels == ["api": .info], "nothing changes when the specification is invalid")
        await pipeline.shutdown()
        #expect(memory.messages == ["db debug", "pool debug"])
    }

    @Test func reloadLevelsReadsTheEnvironmentAgain() async throws {
        let variable = "SLUICE_TEST_LEVEL_\(UInt64.random(in: 0...UInt64.max))"
        defer { unsetenv(variable) }
        let pipeline = try LogPipeline(
            sinks: [MemorySink()], level: .info, labelLevels: ["api": .debug], levelEnvironmentVariable: variable,
            onInternalError: .ignore)
        let api = pipeline.logger(label: "api")
        pipeline.setLevel(.error, for: "api")
        setenv(variable, "notice", 1)
        try pipeline.reloadLevels()
        #expect(api.level == .notice, "the environment replaces the code's labelLevels")
        unsetenv(variable)
        try pipeline.reloadLevels()
        #expect(api.level == .debug, "back to the code's configuration")
        await pipeline.shutdown()
    }

    @Test func thresholdsOfLabelsNoLoggerUsesAreForgotten() async throws {
        let pipeline = try LogPipeline(sinks: [MemorySink()], levelEnvironmentVariable: nil, onInternalError: .ignore)
        let before = pipeline.core.levels.liveLabels
        do {
            let loggers = (0..<1_000).map { pipeline.logger(label: "request-\($0)") }
            #expect(pipeline.core.levels.liveLabels == before + 1_000)
            _ = loggers.count
        }
        #expect(pipeline.core.levels.liveLabels == before, "a per-request label never grows a table")
        await pipeline.shutdown()
    }
}
