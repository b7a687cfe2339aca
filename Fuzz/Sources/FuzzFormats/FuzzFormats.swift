// Fuzz target: TextFormat, LogfmtFormat, JSONFormat and the escaper, through their public API.
//
// Invariants: every format writes exactly one line per record, valid UTF-8, with no raw control,
// separator or bidi character; JSON lines parse and keep every metadata key (no two keys render
// alike); logfmt lines tokenise into distinct keys, one per field; JSON and quoted escaping round
// trip to the original text; nothing traps, whatever the record holds.

import Foundation
import FuzzSupport
import Sluice

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFormats(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    let limits = [64 * 1024, 40, 3, 0, -5]
    let maxMessageBytes = limits[input.below(limits.count)]
    let fractionDigits = input.below(13) - 2
    let includeSource = input.bool()
    let records = (0...input.below(3)).map { _ in input.record() }

    let formats: [(String, any LogFormat)] = [
        (
            "text",
            TextFormat(includeSource: includeSource, maxMessageBytes: maxMessageBytes, fractionDigits: fractionDigits)
        ),
        (
            "logfmt",
            LogfmtFormat(includeSource: includeSource, maxMessageBytes: maxMessageBytes, fractionDigits: fractionDigits)
        ),
        (
            "json",
            JSONFormat(
                includeSource: includeSource, includeSequence: true, maxMessageBytes: maxMessageBytes,
                fractionDigits: fractionDigits)
        ),
    ]
    for (name, format) in formats {
        var output = LogOutput(capacity: 64)
        let next = format.write(records, from: 0, to: &output, byteLimit: .max)
        require(next == records.count, "\(name): wrote \(next) of \(records.count) records")
        let lines = requireLines(output.bytes, count: records.count, name)
        for (line, record) in zip(lines, records) {
            switch name {
            case "json": checkJSON(line, record)
            case "logfmt": checkLogfmt(line, record, includeSource: includeSource)
            default: break
            }
        }
    }
    checkEscaping(input.rest())
    return 0
}

func checkJSON(_ line: Substring, _ record: LogRecord) {
    guard let object = requireJSON(line, "json") as? [String: Any] else {
        preconditionFailure("invariant broken: json: not an object: \(line.prefix(300))")
    }
    for key in ["timestamp", "level", "label", "message", "sequence"] {
        require(object[key] != nil, "json: no \(key)")
    }
    let metadata = object["metadata"] as? [String: Any] ?? [:]
    require(
        metadata.count == record.metadata.count,
        "json: \(record.metadata.count) metadata keys rendered as \(metadata.count): \(record.metadata.keys)")
}

/// Splits a logfmt line into its keys (values may be quoted with backslash escapes). Works on
/// bytes: a combining mark after a quote must not hide it (as it would in a Swift `Character`).
func logfmtKeys(_ line: Substring) -> [String] {
    let bytes = Array(line.utf8)
    var keys: [String] = []
    var index = 0
    while index < bytes.count {
        guard let equals = bytes[index...].firstIndex(of: UInt8(ascii: "=")) else {
            preconditionFailure("invariant broken: logfmt: a field without '=': \(line.debugDescription)")
        }
        let key = bytes[index..<equals]
        require(
            !key.isEmpty && !key.contains(UInt8(ascii: " ")) && !key.contains(UInt8(ascii: "\"")),
            "logfmt: bad key in \(line.debugDescription)")
        keys.append(String(decoding: key, as: UTF8.self))
        var cursor = equals + 1
        if cursor < bytes.count && bytes[cursor] == UInt8(ascii: "\"") {
            cursor += 1
            while cursor < bytes.count && bytes[cursor] != UInt8(ascii: "\"") {
                cursor += bytes[cursor] == UInt8(ascii: "\\") ? 2 : 1
            }
            require(cursor < bytes.count, "logfmt: an unterminated quoted value in \(line.debugDescription)")
            cursor += 1
        } else {
            while cursor < bytes.count && bytes[cursor] != UInt8(ascii: " ") {
                require(
                    bytes[cursor] != UInt8(ascii: "\""), "logfmt: a quote inside a bare value: \(line.debugDescription)"
                )
                cursor += 1
            }
        }
        if cursor < bytes.count {
            require(bytes[cursor] == UInt8(ascii: " "), "logfmt: fields not separated by one space")
            cursor += 1
        }
        index = cursor
    }
    return keys
}

func checkLogfmt(_ line: Substring, _ record: LogRecord, includeSource: Bool) {
    let keys = logfmtKeys(line)
    let fixed = includeSource ? 5 : 4
    require(
        keys.count == fixed + record.metadata.count,
        "logfmt: \(keys.count) fields for \(fixed) + \(record.metadata.count)")
    require(Set(keys).count == keys.count, "logfmt: two fields share a key: \(keys)")
    require(Array(keys.prefix(4)) == ["ts", "level", "label", "msg"], "logfmt: fixed keys \(keys.prefix(4))")
}

func checkEscaping(_ text: String) {
    for style in [LogOutput.EscapeStyle.json, .quoted] {
        var output = LogOutput(capacity: 64)
        output.appendEscaped(text, style)
        let decoded = decodeJSONStringBody(output.string)
        require(decoded == text, "\(style): escaping does not round trip: \(text.debugDescription)")
        require(output.string.unicodeScalars.allSatisfy(isSafeInLine), "\(style): an unsafe character left raw")
    }
    var text1 = LogOutput(capacity: 64)
    text1.appendEscaped(text, .text)
    text1.append("\n")
    requireLines(text1.bytes, count: 1, "text escaping")
    for limit in [0, 1, 7, 100] {
        var cut = LogOutput(capacity: 64)
        cut.appendEscaped(text, .json, limit: limit)
        cut.append("\n")
        requireLines(cut.bytes, count: 1, "cut escaping")
    }
}
