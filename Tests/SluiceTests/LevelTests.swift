import Sluice
import Testing

@Suite struct LogLevelTests {
    @Test func followsSwiftLogsOrder() {
        #expect(LogLevel.allCases.map(\.name) == ["trace", "debug", "info", "notice", "warning", "error", "critical"])
        #expect(LogLevel.allCases == LogLevel.allCases.sorted())
        #expect(LogLevel.warning > .notice)
    }

    @Test(arguments: [
        ("TRACE", LogLevel.trace), ("Debug", .debug), (" info ", .info), ("NOTICE", .notice),
        ("warn", .warning), ("WARNING", .warning), ("err", .error), ("Crit", .critical), ("fatal", .critical),
    ])
    func parsesNamesCaseInsensitively(text: String, level: LogLevel) throws {
        #expect(LogLevel(text) == level)
        #expect(try LogLevel.parse(text) == level)
    }

    @Test func rejectsUnknownNamesWithTheValidOnes() {
        #expect(LogLevel("verbose") == nil)
        #expect(LogLevel("") == nil)
        #expect(throws: SluiceError.self) { try LogLevel.parse("verbose") }
        do {
            _ = try LogLevel.parse("verbose")
        } catch {
            #expect(error.code == .invalidLogLevel)
            #expect(error.message.contains("'verbose'"))
            #expect(error.message.contains("trace, debug, info, notice, warning, error, critical"))
        }
    }
}

@Suite struct LevelPolicyTests {
    @Test func overridesApplyToALabelAndItsChildrenOnly() {
        let policy = LevelPolicy(minimum: .info, overrides: ["api.db": .debug, "api": .warning])
        #expect(policy.level(for: "api.db") == .debug)
        #expect(policy.level(for: "api.db.pool") == .debug)
        #expect(policy.level(for: "api.dbx") == .warning)
        #expect(policy.level(for: "api") == .warning)
        #expect(policy.level(for: "apiary") == .info)
        #expect(policy.level(for: "worker") == .info)
    }

    @Test func environmentSpecificationSetsMinimumAndOverrides() throws {
        var policy = LevelPolicy(minimum: .info, overrides: ["api": .error])
        try policy.apply(specification: " DEBUG , api.db = trace,, api=notice ", source: "LOG_LEVEL")
        #expect(policy.minimum == .debug)
        #expect(policy.level(for: "api.db.pool") == .trace)
        #expect(policy.level(for: "api") == .notice)
    }

    @Test(arguments: ["loud", "info,api=loud", "=debug"])
    func badSpecificationsThrowActionableErrors(spec: String) {
        var policy = LevelPolicy(minimum: .info, overrides: [:])
        #expect(throws: SluiceError.self) {
            try policy.apply(specification: spec, source: "environment variable LOG_LEVEL")
        }
        do {
            try policy.apply(specification: spec, source: "environment variable LOG_LEVEL")
        } catch {
            #expect(error.code == .invalidLogLevel)
            #expect(error.message.contains("LOG_LEVEL"))
        }
    }
}

@Suite struct LogMetadataTests {
    @Test func keepsInsertionOrderAndLastValueForARepeatedKey() {
        let metadata: LogMetadata = ["b": 1, "a": 2, "b": 3]
        #expect(metadata.keys == ["b", "a"])
        #expect(metadata["b"] == 3)
    }

    @Test func subscriptSetsReplacesAndRemoves() {
        var metadata: LogMetadata = ["a": "x"]
        metadata["b"] = true
        metadata["a"] = 1.5
        metadata["missing"] = nil
        #expect(metadata.keys == ["a", "b"])
        #expect(metadata["a"] == .double(1.5))
        metadata["a"] = nil
        #expect(metadata.keys == ["b"])
    }

    @Test func mergingLetsTheArgumentWin() {
        let base: LogMetadata = ["a": 1, "b": 2]
        let merged = base.merging(["b": 20, "c": 30])
        #expect(merged == ["a": 1, "b": 20, "c": 30])
        #expect(merged.keys == ["a", "b", "c"])
    }

    @Test func equalityIgnoresOrder() {
        let one: LogMetadata = ["a": 1, "b": ["x", 2]]
        let two: LogMetadata = ["b": ["x", 2], "a": 1]
        #expect(one == two)
        #expect(one.hashValue == two.hashValue)
        #expect(one != ["a": 1])
    }

    @Test func literalsMapToTypedValues() {
        let metadata: LogMetadata = [
            "s": "text", "i": 42, "d": 0.5, "t": true, "arr": [1, "two"], "dict": ["k": "v"], "interp": "\(7)",
        ]
        #expect(metadata["s"] == .string("text"))
        #expect(metadata["i"] == .integer(42))
        #expect(metadata["d"] == .double(0.5))
        #expect(metadata["t"] == .bool(true))
        #expect(metadata["arr"] == .array([.integer(1), .string("two")]))
        #expect(metadata["dict"] == .dictionary(["k": "v"]))
        #expect(metadata["interp"] == .string("7"))
    }

    @Test func recordMergesLayersWithCallSiteFirst() {
        var record = LogRecord(level: .info, label: "l", message: "m", metadata: ["k": "call", "c": 1])
        record.loggerMetadata = ["k": "logger", "l": 2, "shared": "logger"]
        record.contextMetadata = ["k": "context", "shared": "context", "x": 3]
        #expect(record.metadata.keys == ["k", "c", "l", "shared", "x"])
        #expect(record.metadata["k"] == "call")
        #expect(record.metadata["shared"] == "logger")
        var seen: [String] = []
        record.forEachMetadata { key, _ in seen.append(key) }
        #expect(seen == ["k", "c", "l", "shared", "x"])
    }
}
