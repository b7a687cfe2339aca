import Sluice
import Testing

@testable import SluiceCommand

@Suite struct LineLevelParserTests {
    func level(_ line: String) -> LogLevel? {
        Array(line.utf8).withUnsafeBytes { LineLevelParser.level(in: $0) }
    }

    func json(_ line: String) -> JSONLineParser.Parsed? {
        Array(line.utf8).withUnsafeBytes { JSONLineParser.parse($0) }
    }

    @Test func leadingLevelWordsBareOrBracketed() {
        let cases: [(String, LogLevel?)] = [
            ("[ERROR] disk full", .error), ("ERROR: disk full", .error), ("error disk full", .error),
            ("  WARN  slow", .warning), ("[warning] slow", .warning), ("Info: started", .info),
            ("DEBUG|x", .debug), ("[TRACE]", .trace), ("notice:", .notice), ("FATAL boom", .critical),
            ("crit x", .critical), ("[err] x", .error), ("dbg x", .debug), ("INFORMATION: x", .info),
            ("PANIC: x", .critical), ("INFO", .info),
            // Not a level word, or not a whole word.
            ("Errors are fine", nil), ("information-free", nil), ("[ERROR disk", nil), ("ERROR] x", nil),
            ("infox", nil), ("the ERROR came later", nil), ("", nil), ("   ", nil),
        ]
        for (line, expected) in cases {
            #expect(level(line) == expected, "\(line)")
        }
    }

    @Test func systemdPriorityPrefixes() {
        #expect(level("<0>emergency") == .critical)
        #expect(level("<3>disk full") == .error)
        #expect(level("<4>careful") == .warning)
        #expect(level("<5>note") == .notice)
        #expect(level("<6>fyi") == .info)
        #expect(level("<7>detail") == .debug)
        #expect(level("<8>not a priority") == nil)
        #expect(level("<html>") == nil)
    }

    @Test func logfmtLevelFieldsAnywhereInTheLine() {
        #expect(level("ts=2026-01-01T00:00:00Z level=warn msg=slow") == .warning)
        #expect(level("level=error") == .error)
        #expect(level("lvl=DEBUG x=1") == .debug)
        #expect(level(#"at=1 severity="info" msg="x""#) == .info)
        #expect(level("xlevel=error") == nil, "not a field of its own")
        #expect(level("level=errorish") == nil)
        #expect(level(#"level="warn"#) == nil, "unterminated quote")
        #expect(level("msg=x loglevel=error") == nil)
    }

    @Test func jsonLinesWithALevelBecomeStructuredRecords() throws {
        let parsed = try #require(
            json(
                #"{"level":"warn","msg":"slow query","ms":1200,"ratio":0.5,"ok":false,"tags":["db",null],"user":{"id":7},"gone":null}"#
            ))
        #expect(parsed.level == .warning)
        #expect(parsed.message == "slow query")
        #expect(parsed.metadata.keys == ["ms", "ratio", "ok", "tags", "user"])
        #expect(parsed.metadata["ms"] == 1200)
        #expect(parsed.metadata["ratio"] == 0.5)
        #expect(parsed.metadata["ok"] == false)
        #expect(parsed.metadata["tags"] == ["db"])
        #expect(parsed.metadata["user"] == ["id": 7])
    }

    @Test func jsonLevelsFromPinoNumbersAndOtherKeys() throws {
        #expect(try #require(json(#"{"level":50,"msg":"boom"}"#)).level == .error)
        #expect(try #require(json(#"{"level":30,"time":1,"msg":"x"}"#)).metadata.keys == ["time"])
        #expect(try #require(json(#"{"severity":"CRITICAL","message":"m"}"#)).level == .critical)
        #expect(try #require(json(#" {"log.level":"debug"} "#)).level == .debug)
        let unknown = try #require(json(#"{"level":"verbose","msg":"x"}"#))
        #expect(unknown.level == nil && unknown.metadata["level"] == "verbose", "an unknown level is kept as a field")
        #expect(try #require(json(#"{"level":"info"}"#)).message == "")
    }

    @Test func jsonEscapesAreDecoded() throws {
        let parsed = try #require(json(#"{"level":"info","msg":"tab\there \"q\" \u00e9 \ud83d\ude00 \ud800 \/"}"#))
        #expect(parsed.message == "tab\there \"q\" é 😀 \u{FFFD} /")
    }

    @Test func anythingElseIsNotStructured() {
        let lines = [
            #"{"msg":"no level"}"#, #"{"level":"info""#, #"{"level":"info"} trailing"#, #"["level","info"]"#,
            "{\"level\":\"info\",\"msg\":\"raw\ttab\"}", #"{"level":"info","n":01}"#, #"{"level":"info","n":1.}"#,
            #"{"level":"info","s":"\x"}"#, #"{"level":"info","s":"\u12"}"#, #"{level:"info"}"#, "{", "",
            #"{"level":"info",}"#, #"{"level":"info","a":tru}"#,
            String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
            "{\"level\":\"info\",\"deep\":" + String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
                + "}",
        ]
        for line in lines {
            #expect(json(line) == nil, "\(line)")
        }
        let invalidUTF8: [UInt8] = Array(#"{"level":"info","msg":""#.utf8) + [0xFF] + Array(#""}"#.utf8)
        #expect(invalidUTF8.withUnsafeBytes { JSONLineParser.parse($0) } == nil)
    }
}
