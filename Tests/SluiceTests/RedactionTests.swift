import Foundation
import Sluice
import Testing

/// Redaction over bytes: the built-in finders, key matching, and the rewrite of encoded records.
@Suite struct RedactionTests {
    /// The matches of `patterns` in `text`, as strings.
    static func matches(_ text: String, _ patterns: [RedactionPattern]) -> String {
        RecordRedactor(Redaction(keys: [], patterns: patterns)).redactedText(text)
    }

    @Test func bearerTokensAreReplacedAndTheSchemeStays() {
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"
        #expect(Self.matches("Authorization: Bearer \(token)", [.bearerTokens]) == "Authorization: Bearer [REDACTED]")
        #expect(Self.matches("bearer\tabc123def456", [.bearerTokens]) == "bearer\t[REDACTED]")
        #expect(Self.matches("BEARER zzzzzzzz==", [.bearerTokens]) == "BEARER [REDACTED]")
        // Plain words after "bearer" are not tokens.
        #expect(Self.matches("the bearer of bad news", [.bearerTokens]) == "the bearer of bad news")
        #expect(Self.matches("bearer credentials", [.bearerTokens]) == "bearer credentials")
        #expect(Self.matches("forbearer abc123def456", [.bearerTokens]) == "forbearer abc123def456")
        #expect(Self.matches("Bearer", [.bearerTokens]) == "Bearer")
    }

    @Test func cardNumbersNeedTheLuhnCheck() {
        #expect(Self.matches("card 4111111111111111 ok", [.cardNumbers]) == "card [REDACTED] ok")
        #expect(Self.matches("card 4111 1111 1111 1111.", [.cardNumbers]) == "card [REDACTED].")
        #expect(Self.matches("amex 3782-822463-10005", [.cardNumbers]) == "amex [REDACTED]")
        #expect(Self.matches("4012888888881881", [.cardNumbers]) == "[REDACTED]")
        // Wrong checksum, too short, too long, glued to a word, or starting with 0: left alone.
        #expect(Self.matches("card 4111111111111112", [.cardNumbers]) == "card 4111111111111112")
        #expect(Self.matches("id 411111111111", [.cardNumbers]) == "id 411111111111")
        #expect(Self.matches("trace 41111111111111110000", [.cardNumbers]) == "trace 41111111111111110000")
        #expect(Self.matches("x4111111111111111", [.cardNumbers]) == "x4111111111111111")
        #expect(Self.matches("4111111111111111x", [.cardNumbers]) == "4111111111111111x")
        #expect(Self.matches("0000 0000 0000 0000", [.cardNumbers]) == "0000 0000 0000 0000")
        // Inside a longer run of groups, the card's groups are found.
        #expect(Self.matches("order 12 4111 1111 1111 1111 done", [.cardNumbers]).contains("4111 1111 1111") == false)
        #expect(Self.matches("a 5 4111 1111 1111 1111", [.cardNumbers]) == "a 5 [REDACTED]")
    }

    @Test func emailAddressesAreFound() {
        #expect(Self.matches("mail jane.doe+tag@example.co.uk now", [.emailAddresses]) == "mail [REDACTED] now")
        #expect(Self.matches("<a@b.io>", [.emailAddresses]) == "<[REDACTED]>")
        #expect(Self.matches("two a@b.io,c@d.io", [.emailAddresses]) == "two [REDACTED],[REDACTED]")
        #expect(Self.matches("not an address: @example.com", [.emailAddresses]) == "not an address: @example.com")
        #expect(Self.matches("user@localhost", [.emailAddresses]) == "user@localhost")
        #expect(Self.matches("user@host.c", [.emailAddresses]) == "user@host.c")
        #expect(Self.matches("@@@@a@@b.cc@", [.emailAddresses]) == "@@@@a@@b.cc@")
    }

    @Test func awsAccessKeysAreFound() {
        #expect(Self.matches("key AKIAIOSFODNN7EXAMPLE used", [.awsAccessKeys]) == "key [REDACTED] used")
        #expect(Self.matches("ASIAY34FZKBOKMUTVV7A", [.awsAccessKeys]) == "[REDACTED]")
        #expect(Self.matches("XAKIAIOSFODNN7EXAMPLE", [.awsAccessKeys]) == "XAKIAIOSFODNN7EXAMPLE")
        #expect(Self.matches("AKIAIOSFODNN7EXAMPLEX", [.awsAccessKeys]) == "AKIAIOSFODNN7EXAMPLEX")
        #expect(Self.matches("AKIAiosfodnn7example", [.awsAccessKeys]) == "AKIAiosfodnn7example")
    }

    @Test func userPatternsRunToo() throws {
        let employee = try RedactionPattern.regex(#"EMP-[0-9]{6}"#, name: "employee ids")
        #expect(Self.matches("by EMP-123456 for EMP-654321", [employee]) == "by [REDACTED] for [REDACTED]")
        let custom = RedactionPattern.custom(name: "internal") { text in text.ranges(of: "intranet") }
        #expect(Self.matches("see intranet ✓ and intranet", [custom]) == "see [REDACTED] ✓ and [REDACTED]")
        // Ranges that do not belong to the string are ignored, not trusted.
        let wild = RedactionPattern.custom(name: "wild") { _ in
            let other = "a much longer string than the value itself"
            return [other.startIndex..<other.endIndex]
        }
        _ = Self.matches("short", [wild])
        #expect(throws: SluiceError.self) { try RedactionPattern.regex("(unclosed") }
    }

    @Test func keysMatchIgnoringCaseAndSeparators() {
        let redactor = RecordRedactor(.default)
        for key in ["password", "PASSWORD", "Set-Cookie", "set_cookie", "X-API-KEY", "x_api_key", "Authorization"] {
            #expect(redactor.redactsKey(key), "\(key)")
        }
        for key in ["request_id", "status", "path", "passwords", "tokens", "", "pass word"] {
            #expect(!redactor.redactsKey(key), "\(key)")
        }
        let custom = RecordRedactor(Redaction.default.addingKeys(["ssn"]).removingKeys(["COOKIE"]))
        #expect(custom.redactsKey("SSN") && !custom.redactsKey("cookie") && custom.redactsKey("password"))
        #expect(!RecordRedactor(Redaction(keys: ["only"])).redactsKey("password"))
    }

    /// Encodes `record`, redacts it like the collector does, and decodes the result.
    static func redact(_ record: LogRecord, _ redaction: Redaction) -> (needed: Bool, result: LogRecord) {
        let redactor = RecordRedactor(redaction)
        let encoded = EncodedRecordArray([record])
        let original = encoded.batch.records[0]
        let needed = redactor.needsRedaction(original)
        let size = redactor.rewrittenSize(original)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size + RecordLayout.readSlack, alignment: 8)
        defer { buffer.deallocate() }
        let written = redactor.rewrite(original, to: buffer, extraFlags: 0)
        #expect(written == size && size % 8 == 0 && EncodedRecord(buffer).size == size)
        return (needed, EncodedRecord(buffer).decoded())
    }

    @Test func keysAreRedactedAtAnyDepthAndInEveryLayer() {
        var record = LogRecord(
            level: .info, label: "api", message: "login",
            metadata: [
                "user": "u-1",
                "password": "hunter2",
                "nested": ["Authorization": "Basic Zm9vOmJhcg==", "ok": 1, "deeper": [["token": 42, "fine": true]]],
                "list": [["cookie": "a=b"], "plain"],
                "credentials": ["user": "x", "pass": "y"],
            ])
        record.loggerMetadata = ["api_key": "k-123", "service": "shop"]
        record.contextMetadata = ["session_id": "s-9", "request_id": "r-1"]
        let (needed, redacted) = Self.redact(record, .default)
        #expect(needed)
        let marker = LogMetadataValue.string("[REDACTED]")
        #expect(redacted.callMetadata["user"] == "u-1")
        #expect(redacted.callMetadata["password"] == marker)
        #expect(
            redacted.callMetadata["nested"]
                == ["Authorization": marker, "ok": 1, "deeper": [["token": marker, "fine": true]]])
        #expect(redacted.callMetadata["list"] == [["cookie": marker], "plain"])
        #expect(redacted.callMetadata["credentials"] == marker)
        #expect(redacted.loggerMetadata == ["api_key": marker, "service": "shop"])
        #expect(redacted.contextMetadata == ["session_id": marker, "request_id": "r-1"])
        #expect(redacted.message == "login" && redacted.label == "api" && redacted.level == .info)
        #expect(redacted.timestamp == record.timestamp && redacted.source == record.source)
    }

    @Test func recordsWithNothingToRedactAreLeftAlone() {
        let record = LogRecord(
            level: .info, label: "bench", message: "request handled",
            metadata: ["request_id": "0000000000000001", "status": 200, "path": "/api/v1/items"])
        let (needed, copy) = Self.redact(record, .default.addingPatterns(RedactionPattern.builtIn, inMessages: true))
        #expect(!needed)
        #expect(copy.metadata == record.metadata && copy.message == record.message)
    }

    @Test func patternsApplyToValuesAndOptionallyMessages() {
        let record = LogRecord(
            level: .warning, label: "pay", message: "charged 4111 1111 1111 1111 for jane@example.com",
            metadata: [
                "note": "card 4012888888881881", "deep": ["x": ["mail me at a@b.io"]], "n": 4_111_111_111_111_111,
            ])
        let values = Self.redact(record, Redaction(keys: [], patterns: RedactionPattern.builtIn)).result
        #expect(values.message == record.message)
        #expect(values.callMetadata["note"] == "card [REDACTED]")
        #expect(values.callMetadata["deep"] == ["x": ["mail me at [REDACTED]"]])
        // Numbers are not text: an integer that happens to be a card number is left (redact its key).
        #expect(values.callMetadata["n"] == 4_111_111_111_111_111)
        let both = Self.redact(record, Redaction(keys: [], patterns: RedactionPattern.builtIn, redactsMessages: true))
        #expect(both.result.message == "charged [REDACTED] for [REDACTED]")
        let marker = Self.redact(record, Redaction(keys: [], patterns: [.emailAddresses], marker: "***")).result
        #expect(marker.callMetadata["deep"] == ["x": ["mail me at ***"]])
    }

    /// Random text built from the characters the finders look at, with secrets planted at word
    /// boundaries: the finders never crash or hang, never leave a planted secret whole, are stable
    /// when run again on their own output, and leave text without any secret-like character alone.
    @Test func seededHostileTextNeverLeaksAPlantedSecret() {
        var random = SeededRandom(seed: 13)
        let pieces = [
            "a", "Z", "0", "4", "9", " ", "-", ".", "@", "_", "+", "=", "/", "bearer", "Bearer ", "AKIA", "ASIA",
            "é", "日本", "\u{0}", "\n", "@@", "..", "1 2 3 ", "4111", "-1111", " 1111",
        ]
        let redactor = RecordRedactor(Redaction(keys: [], patterns: RedactionPattern.builtIn))
        for round in 0..<3_000 {
            var secrets: [String] = []
            var text = ""
            for _ in 0..<Int.random(in: 0...40, using: &random) {
                if Int.random(in: 0..<12, using: &random) == 0 {
                    let secret = Self.randomSecret(&random)
                    secrets.append(secret)
                    text += " \(secret) "
                } else {
                    text += pieces.randomElement(using: &random)!
                }
            }
            let once = redactor.redactedText(text)
            for secret in secrets {
                #expect(!once.contains(secret), "round \(round): \(secret) survived in \(once.debugDescription)")
            }
            #expect(redactor.redactedText(once) == once, "round \(round): not stable: \(once.debugDescription)")
        }
        // Long hostile runs stay linear: a megabyte of each finishes quickly.
        for unit in ["1 ", "a@", "@a.", "AKIA", "bearer ", "4111-"] {
            let text = String(repeating: unit, count: (1 << 20) / unit.utf8.count)
            _ = redactor.redactedText(text)
        }
    }

    static func randomSecret(_ random: inout SeededRandom) -> String {
        func digits(_ count: Int) -> [Int] {
            [Int.random(in: 1...9, using: &random)] + (1..<count).map { _ in Int.random(in: 0...9, using: &random) }
        }
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            // A card number made valid by its check digit.
            var number = digits(Int.random(in: 12...18, using: &random))
            var sum = 0
            for (offset, digit) in number.reversed().enumerated() {
                let doubled = offset % 2 == 0 ? digit * 2 : digit
                sum += doubled > 9 ? doubled - 9 : doubled
            }
            number.append((10 - sum % 10) % 10)
            return number.map(String.init).joined()
        case 1:
            return "user\(Int.random(in: 0...999, using: &random))@example\(Int.random(in: 0...9, using: &random)).org"
        case 2:
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
            return "AKIA" + String((0..<16).map { _ in alphabet.randomElement(using: &random)! })
        default:
            let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789-._~+/")
            return "Bearer z9"
                + String(
                    (0..<Int.random(in: 8...40, using: &random)).map { _ in
                        alphabet.randomElement(using: &random)!
                    })
        }
    }

    /// Random records with random redaction keys among their (nested) metadata: the rewrite always
    /// decodes to what a reference redaction of the `LogRecord` says.
    @Test func seededRandomRecordsRedactLikeTheReference() {
        var random = SeededRandom(seed: 7)
        let keys = ["password", "Token", "X-Api-Key", "cookie"]
        let redaction = Redaction(keys: keys)
        for _ in 0..<2_000 {
            var record = EncodedRecordTests.randomRecord(&random)
            record.callMetadata = Self.plant(keys, in: record.callMetadata, &random)
            record.contextMetadata = Self.plant(keys, in: record.contextMetadata, &random)
            let (needed, redacted) = Self.redact(record, redaction)
            let expected = Self.reference(record.callMetadata, keys)
            #expect(redacted.callMetadata == expected)
            #expect(redacted.contextMetadata == Self.reference(record.contextMetadata, keys))
            #expect(redacted.loggerMetadata == Self.reference(record.loggerMetadata, keys))
            let anyKey =
                expected != record.callMetadata
                || Self.reference(record.contextMetadata, keys) != record.contextMetadata
                || Self.reference(record.loggerMetadata, keys) != record.loggerMetadata
            #expect(needed == anyKey)
            #expect(redacted.message == record.message && redacted.label == record.label)
        }
    }

    static func plant(_ keys: [String], in metadata: LogMetadata, _ random: inout SeededRandom) -> LogMetadata {
        var metadata = metadata
        if Bool.random(using: &random) {
            metadata[keys.randomElement(using: &random)!.uppercased()] = "s3cr3t"
        }
        if Bool.random(using: &random) {
            metadata["wrapper"] = .dictionary([keys.randomElement(using: &random)!: ["a": 1], "keep": "me"])
        }
        return metadata
    }

    /// What redaction must produce, computed on `LogMetadata`.
    static func reference(_ metadata: LogMetadata, _ keys: [String]) -> LogMetadata {
        func normalized(_ key: String) -> String {
            key.lowercased().replacingOccurrences(of: "-", with: "_")
        }
        let set = Set(keys.map(normalized))
        func redacted(_ value: LogMetadataValue, depth: Int) -> LogMetadataValue {
            switch value {
            case .dictionary(let nested):
                guard depth < 32 else { return .string("{nested too deep}") }
                return .dictionary(dictionary(nested, depth: depth + 1))
            case .array(let values):
                guard depth < 32 else { return .string("[nested too deep]") }
                return .array(values.map { redacted($0, depth: depth + 1) })
            default:
                return value
            }
        }
        func dictionary(_ metadata: LogMetadata, depth: Int) -> LogMetadata {
            var result = LogMetadata()
            for (key, entry) in metadata {
                result[key] =
                    set.contains(key.utf8.allSatisfy({ $0 < 128 }) ? normalized(key) : key)
                    ? .string("[REDACTED]") : redacted(entry, depth: depth)
            }
            return result
        }
        return dictionary(metadata, depth: 1)
    }
}
