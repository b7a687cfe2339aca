import Foundation
import Sluice
import SluiceHTTP
import Testing

/// Distinct metadata keys never render as the same key in any format (finding 20), and every
/// bidirectional control is escaped (finding 15).
@Suite struct KeyMappingTests {
    static let hostileKeys: [String] = [
        "a b", "a_b", "a%20b", "a=b", "a\"b", "a\\b", "a\nb", "a\u{1B}b", "", "%", "_", "%25", "ts", "_ts", "__ts",
        "level", "msg", "label", "source", "sequence", "_sequence", "sluice.sequence", "code.lineno", "key",
        "ключ", "a\u{202E}b", "a\u{200F}b", "a\u{061C}b", "a%~0",
        String(repeating: "k", count: 300), String(repeating: "k", count: 300) + "x",
        String(repeating: "k", count: 299) + "y", String(repeating: "é", count: 600),
        String(repeating: "é", count: 600) + "e", String(repeating: "k", count: 2_000),
        String(repeating: "k", count: 2_001), String(repeating: "k", count: 1_999) + "y",
    ]

    func record(_ metadata: LogMetadata) -> LogRecord {
        LogRecord(
            timestamp: LogTimestamp(nanosecondsSinceEpoch: 0), level: .info, label: "l", message: "m",
            metadata: metadata, sequence: 7)
    }

    /// The key as a format rendered it for `[key: "v"]`, between a known prefix and `=`.
    func renderedKey(_ line: String, after prefix: String, before suffix: String) -> String? {
        guard let start = line.range(of: prefix)?.upperBound,
            let end = line.range(of: suffix, range: start..<line.endIndex)?.lowerBound
        else { return nil }
        return String(line[start..<end])
    }

    @Test func textAndLogfmtKeysAreInjectiveAndNeverShadowFixedKeys() {
        for (format, prefix, reserved) in [
            (TextFormat() as any LogFormat, ": m ", Set<String>()),
            (LogfmtFormat() as any LogFormat, "msg=m ", Set(["ts", "level", "label", "msg", "source"])),
        ] {
            let rendered = Self.hostileKeys.map { key in
                renderedKey(format.render(record([key: "v"])), after: prefix, before: "=v") ?? "?"
            }
            #expect(
                Set(rendered).count == Self.hostileKeys.count,
                "\(zip(Self.hostileKeys, rendered).map { "\($0)→\($1)" })")
            #expect(rendered.allSatisfy { !reserved.contains($0) && !$0.contains(" ") && !$0.contains("=") })
            #expect(rendered.allSatisfy { $0.utf8.count <= 3 * 256 + 18 })
            #expect(rendered.allSatisfy { !$0.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{202E}" } })
        }
        #expect(LogfmtFormat().render(record(["a b": 1])).hasSuffix(" a%20b=1"))
        #expect(LogfmtFormat().render(record(["ts": 1, "_ts": 2])).hasSuffix(" _ts=1 __ts=2"))
        #expect(TextFormat().render(record(["": 1])).hasSuffix(" %=1"))
    }

    @Test func jsonKeysStayDistinctWhenCut() throws {
        var metadata = LogMetadata()
        for (index, key) in Self.hostileKeys.enumerated() {
            metadata[key] = .integer(index)
        }
        let line = JSONFormat().render(record(metadata))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let keys = try #require(object["metadata"] as? [String: Any])
        #expect(keys.count == Self.hostileKeys.count)
        #expect(keys.keys.allSatisfy { $0.utf8.count <= 1024 + 64 })
    }

    @Test func otlpAttributesStayDistinctAndNeverShadowTheEncodingsOwn() throws {
        var metadata = LogMetadata()
        for (index, key) in Self.hostileKeys.enumerated() {
            metadata[key] = .integer(index)
        }
        let encoding = OTLPLogsEncoding(serviceName: "s", includeSource: true, includeSequence: true)
        var output = LogOutput()
        encoding.encode([record(metadata)], into: &output)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(output.bytes)) as? [String: Any])
        let resourceLogs = try #require(root["resourceLogs"] as? [[String: Any]])
        let scopeLogs = try #require(resourceLogs.first?["scopeLogs"] as? [[String: Any]])
        let logRecords = try #require(scopeLogs.first?["logRecords"] as? [[String: Any]])
        let attributes = try #require(logRecords.first?["attributes"] as? [[String: Any]])
        let keys = attributes.compactMap { $0["key"] as? String }
        #expect(keys.count == Self.hostileKeys.count + 4)
        #expect(Set(keys).count == keys.count, "every attribute key once")
        let sequence = attributes.first { $0["key"] as? String == "sluice.sequence" }?["value"] as? [String: Any]
        #expect(sequence?["intValue"] as? String == "7", "the encoding's own attribute is not shadowed")
    }

    @Test func syslogParameterNamesAreInjectiveValidSDNames() {
        let encoder = SyslogEncoder(
            format: .rfc5424, facility: .user, hostname: "h", appName: "a", procID: "1", labelAsMessageID: true,
            fixedMessageID: nil, structuredDataID: "sluice@32473", includeSequence: false, maxMessageBytes: 65_536,
            omitHostname: false)
        let names = Self.hostileKeys.map { key -> String in
            var output = LogOutput()
            var scratch = LogOutput()
            encoder.append(record([key: "v"]), to: &output, scratch: &scratch)
            return renderedKey(output.string, after: "[sluice@32473 ", before: "=\"v\"") ?? "?"
        }
        #expect(Set(names).count == Self.hostileKeys.count, "\(names)")
        #expect(
            names.allSatisfy { name in
                (1...32).contains(name.utf8.count)
                    && name.utf8.allSatisfy { (33...126).contains($0) && !"=]\" ".utf8.contains($0) }
            })

        let rfc3164 = SyslogEncoder(
            format: .rfc3164, facility: .user, hostname: "h", appName: "a", procID: "1", labelAsMessageID: true,
            fixedMessageID: nil, structuredDataID: "sluice@32473", includeSequence: true, maxMessageBytes: 65_536,
            omitHostname: false)
        var output = LogOutput()
        var scratch = LogOutput()
        rfc3164.append(record(["sequence": 99]), to: &output, scratch: &scratch)
        #expect(output.string.hasSuffix("m _sequence=99 sequence=7"), "\(output.string)")
    }

    @Test(arguments: ["\u{061C}", "\u{200E}", "\u{200F}", "\u{202A}", "\u{202E}", "\u{2066}", "\u{2069}"])
    func everyBidiControlIsEscapedInEveryStyle(control: String) {
        let hex = String(control.unicodeScalars.first!.value, radix: 16)
        let escaped = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        let text = "safe\(control)txt"
        for style in [LogOutput.EscapeStyle.text, .json, .quoted] {
            var output = LogOutput()
            output.appendEscaped(text, style)
            #expect(output.string == "safe\(escaped)txt", "\(style)")
        }
        for format in [TextFormat() as any LogFormat, LogfmtFormat(), JSONFormat()] {
            let line = format.render(record(["k\(control)": .string(text)]))
            #expect(!line.unicodeScalars.contains { $0 == control.unicodeScalars.first! }, "\(line)")
        }
        // Arabic text (lead byte 0xD8, like U+061C) that is not a control stays as it is.
        var arabic = LogOutput()
        arabic.appendEscaped("مرحبا \u{0627}", .json)
        #expect(arabic.string == "مرحبا \u{0627}")
    }
}
