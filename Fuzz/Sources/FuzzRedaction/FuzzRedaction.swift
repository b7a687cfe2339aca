// Fuzz target: the redaction stage's finders (bearer tokens, Luhn-checked card numbers, e-mail
// addresses, AWS access keys) on arbitrary bytes, pattern redaction of text, and the rewrite of
// encoded records with secret keys at any depth, through `@_spi(Fuzzing)`.
//
// Invariants: nothing traps or hangs (libFuzzer's timeout), whatever the bytes; every finder reports
// ranges inside the input, ascending and apart, each of the shape it promises (a card: 13 to 19
// digits passing the Luhn check; an e-mail: one '@'; an AWS key: 20 characters with a known prefix;
// a bearer token: after the word "bearer"); redacting text is stable (doing it again changes
// nothing) and changes nothing without a match; a rewritten record decodes, is aligned, keeps its
// label, level and time, and holds the marker and nothing else under every redacted key, at any
// depth.

import Foundation
import FuzzSupport
@_spi(Fuzzing) import Sluice

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRedaction(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    let mode = input.below(3)
    switch mode {
    case 0: checkFinders(Array(UnsafeBufferPointer(start: data, count: size)))
    case 1: checkText(input.rest())
    default: checkRecord(&input)
    }
    return 0
}

func checkFinders(_ bytes: [UInt8]) {
    let names = ["bearer", "card", "email", "aws"]
    for (name, ranges) in zip(names, SluiceFuzzing.secretRanges(in: bytes)) {
        var end = 0
        for range in ranges {
            require(range.lowerBound >= end && range.upperBound <= bytes.count && !range.isEmpty, "\(name): \(ranges)")
            end = range.upperBound
            let match = Array(bytes[range])
            switch name {
            case "card":
                let digits = match.filter { $0 >= 48 && $0 <= 57 }
                require((13...19).contains(digits.count), "card: \(digits.count) digits")
                require(digits.first != 48 && SluiceFuzzing.luhn(match), "card: fails the Luhn check")
                require(match.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == 32 || $0 == 45 }, "card: other bytes")
            case "email":
                require(match.filter { $0 == 64 }.count == 1, "email: not one '@'")
            case "aws":
                require(match.count == 20 && match.starts(with: [65]), "aws: \(match.count) bytes")
            default:
                let before = bytes[..<range.lowerBound].map { $0 | 0x20 }
                let trimmed = before.reversed().drop { $0 == 32 || $0 == 41 }  // spaces, tabs (0x09|0x20)
                require(Array(trimmed.prefix(6).reversed()) == Array("bearer".utf8), "bearer: no scheme before")
            }
        }
    }
}

func checkText(_ text: String) {
    let redaction = Redaction(keys: [], patterns: RedactionPattern.builtIn, marker: "[REDACTED]")
    let once = SluiceFuzzing.redactedText(text, redaction)
    // Stable: what is left holds nothing a finder would still replace.
    require(SluiceFuzzing.redactedText(once, redaction) == once, "not stable: \(once.debugDescription)")
    let found = SluiceFuzzing.secretRanges(in: Array(text.utf8)).contains { !$0.isEmpty }
    require(found || once == text, "changed without a match")
}

func checkRecord(_ input: inout FuzzInput) {
    let keys = ["password", "Set-Cookie", "x_api_key", input.string(maxBytes: 20)].filter { !$0.isEmpty }
    let marker = input.bool() ? "[REDACTED]" : input.string(maxBytes: 30)
    let patterns = input.bool() ? RedactionPattern.builtIn : []
    let redaction = Redaction(keys: keys, patterns: patterns, redactsMessages: input.bool(), marker: marker)
    var record = input.record()
    // Plant the keys at a few depths.
    if input.bool() {
        record.metadata[keys[input.below(keys.count)].uppercased()] = .string(input.string())
    }
    if input.bool() {
        record.metadata["nested"] = .dictionary([keys[input.below(keys.count)]: input.metadataValue()])
    }
    let (_, redacted, _, aligned) = SluiceFuzzing.redact(record, redaction)
    require(aligned, "the copy's size is wrong")
    require(redacted.label == record.label && redacted.level == record.level, "label or level changed")
    require(redacted.timestamp == record.timestamp, "time changed")
    let normalized = Set(keys.map { $0.lowercased().replacingOccurrences(of: "-", with: "_") })
    func check(_ metadata: LogMetadata, depth: Int) {
        for (key, value) in metadata {
            let folded = String(
                decoding: key.utf8.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 == 45 ? 95 : $0 }, as: UTF8.self)
            if normalized.contains(folded) {
                require(value == .string(marker), "the value under '\(key)' was not redacted")
            } else if case .dictionary(let nested) = value {
                check(nested, depth: depth + 1)
            } else if case .array(let values) = value {
                for case .dictionary(let nested) in values {
                    check(nested, depth: depth + 1)
                }
            }
        }
    }
    check(redacted.metadata, depth: 0)
}
