import Sluice
import Testing

@Suite struct SyslogEncoderTests {
    static let timestamp = LogTimestamp(nanosecondsSinceEpoch: 1_795_435_200_123_456_789)

    func encoder(
        _ format: SyslogMessageFormat = .rfc5424, max: Int = 8192, sequence: Bool = false, omitHostname: Bool = false
    ) -> SyslogEncoder {
        SyslogEncoder(
            format: format, facility: .local0, hostname: "web 1", appName: "shop", procID: "42",
            labelAsMessageID: true, fixedMessageID: nil, structuredDataID: "sluice@32473",
            includeSequence: sequence, maxMessageBytes: max, omitHostname: omitHostname)
    }

    func render(_ encoder: SyslogEncoder, _ record: LogRecord) -> String {
        var output = LogOutput()
        var scratch = LogOutput()
        encoder.append(record, to: &output, scratch: &scratch)
        return output.string
    }

    @Test func rfc5424HeaderStructuredDataAndMessage() {
        let record = LogRecord(
            timestamp: Self.timestamp, level: .warning, label: "api.db", message: "slow query",
            metadata: ["ms": 812, "table": "orders"], sequence: 7)
        #expect(
            render(encoder(sequence: true), record)
                == #"<132>1 2026-11-23T12:00:00.123456Z web_1 shop 42 api.db [sluice@32473 ms="812" table="orders"][meta sequenceId="7"] slow query"#
        )
    }

    @Test(arguments: [
        (LogLevel.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func levelsMapToSeverities(level: LogLevel, severity: Int) {
        #expect(SyslogEncoder.severity(level) == severity)
        #expect(encoder().priority(level) == 16 * 8 + severity)
    }

    @Test func hostileKeysAndValuesStayInsideTheirParameter() {
        let record = LogRecord(
            timestamp: Self.timestamp, level: .info, label: "x", message: "m",
            metadata: [
                "a]b": "v]\"\\", "sp ace=eq\"q": "x", "": "empty", "ключ": "значение",
                String(repeating: "k", count: 40): "long", "nl": "one\ntwo\r\n[x y=\"z\"]",
            ])
        let line = render(encoder(), record)
        #expect(
            line
                == #"<134>1 2026-11-23T12:00:00.123456Z web_1 shop 42 x [sluice@32473 a%5Db="v\]\"\\" sp%20ace%3Deq%22q="x" %="empty" %D0%BA%D0%BB%D1%8E%D1%87="значение" kkkkkkkkkkkkkkkkkk%~05742E85CDBD="long" nl="one\\ntwo\\r\\n[x y=\"z\"\]"] m"#
        )
        #expect(!line.contains("\n") && !line.contains("\r"))
    }

    @Test func crAndLfInTheMessageCannotStartASecondRecord() {
        let forged = "ok\n<13>1 2026-01-01T00:00:00Z evil forged - - - injected\r\n"
        let record = LogRecord(timestamp: Self.timestamp, level: .info, label: "x", message: forged)
        let line = render(encoder(), record)
        #expect(!line.contains("\n") && !line.contains("\r"))
        #expect(line.hasSuffix(#" ok\n<13>1 2026-01-01T00:00:00Z evil forged - - - injected\r\n"#))
        let legacy = render(encoder(.rfc3164), record)
        #expect(!legacy.contains("\n") && !legacy.contains("\r"))
    }

    @Test func octetCountingFramesCarryTheExactByteLength() {
        let record = LogRecord(timestamp: Self.timestamp, level: .info, label: "x", message: "héllo\nworld")
        var output = LogOutput()
        var message = LogOutput()
        var scratch = LogOutput()
        encoder().appendFrame(record, to: &output, message: &message, scratch: &scratch)
        encoder().appendFrame(record, to: &output, message: &message, scratch: &scratch)
        let bytes = output.bytes
        var index = 0
        var frames: [String] = []
        while index < bytes.count {
            let space = bytes[index...].firstIndex(of: UInt8(ascii: " "))!
            let length = Int(String(decoding: bytes[index..<space], as: UTF8.self))!
            frames.append(String(decoding: bytes[(space + 1)..<(space + 1 + length)], as: UTF8.self))
            index = space + 1 + length
        }
        #expect(frames.count == 2)
        #expect(frames.allSatisfy { $0.hasSuffix(#"héllo\nworld"#) })
    }

    @Test func oversizedMessagesAreCutWithAVisibleMarkerWithinTheLimit() {
        let record = LogRecord(
            timestamp: Self.timestamp, level: .info, label: "x", message: String(repeating: "é", count: 3000),
            metadata: ["k": "v"])
        let line = render(encoder(max: 2048), record)
        #expect(line.utf8.count <= 2048)
        #expect(line.hasSuffix("…[truncated, 6000 bytes]"))
        #expect(line.contains(#"[sluice@32473 k="v"]"#))
    }

    @Test func oversizedStructuredDataIsReplacedSoTheMessageStillFits() {
        let record = LogRecord(
            timestamp: Self.timestamp, level: .info, label: "x", message: "the message",
            metadata: ["blob": .string(String(repeating: "x", count: 5000))])
        let line = render(encoder(max: 1024), record)
        #expect(line.utf8.count <= 1024)
        #expect(line.contains(#"[sluice@32473 truncated=""#))
        #expect(line.hasSuffix(" the message"))
    }

    @Test func rfc3164WithAndWithoutHostname() {
        let record = LogRecord(
            timestamp: LogTimestamp(nanosecondsSinceEpoch: 1_767_323_045_000_000_000), level: .error, label: "x",
            message: "disk full", metadata: ["path": "/var/a b"])
        #expect(render(encoder(.rfc3164), record) == #"<131>Jan  2 03:04:05 web_1 shop[42]: disk full path="/var/a b""#)
        #expect(
            render(encoder(.rfc3164, omitHostname: true), record)
                == #"<131>Jan  2 03:04:05 shop[42]: disk full path="/var/a b""#)
    }

    @Test func invalidConfigurationIsAClearError() throws {
        #expect(throws: SluiceError.self) { try SyslogSink(transport: .udp(host: "", port: 514)) }
        #expect(throws: SluiceError.self) { try SyslogSink(transport: .tcp(host: "localhost", port: 70_000)) }
        #expect(throws: SluiceError.self) {
            try SyslogSink(transport: .unix(path: "/" + String(repeating: "d", count: 200)))
        }
        #expect(throws: SluiceError.self) { try SyslogSink(transport: .unix(), structuredDataID: "bad id") }
        #expect(throws: SluiceError.self) { try SyslogSink(transport: .unix(), maxMessageBytes: 100) }
        #expect(throws: SluiceError.self) { try SyslogFacility.code(24) }
    }
}
