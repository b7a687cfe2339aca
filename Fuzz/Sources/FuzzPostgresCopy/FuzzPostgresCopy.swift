// Fuzz target: the PostgreSQL sink's COPY encoder (binary COPY format, with the sink's batch header
// in front), through `@_spi(Fuzzing)`.
//
// Invariants: the header holds the batch's tag, its record count and (when partitioned) exactly the
// days of its records, ascending; the COPY data is well formed (signature, flags, header extension,
// one tuple per record with one field per copied column and lengths that add up, the trailer, then
// nothing); time is the record's microseconds since 2000-01-01 rounded down, level its raw value,
// sequence its number; the text columns (label, message, source file and function) are valid UTF-8
// without NUL and hold the text cut at the limit on a character boundary, each NUL as U+FFFD and the
// truncation marker; the jsonb column is NULL without metadata, otherwise version 1 and a JSON object
// without NUL, escaped or raw, whose members are exactly the merged metadata, in order, under
// distinct keys, key for key and value for value as JSONFormat renders them; the source line is
// clamped to Int32; the encoder's reused buffer carries nothing from one batch to the next.

import Foundation
import FuzzSupport
@_spi(Fuzzing) import Sluice
@_spi(Fuzzing) import SluicePostgres

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPostgresCopy(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    let limits = [64 * 1024, 0, 1, 16, 255, 1_024]
    let maxMessageBytes = limits[input.below(limits.count)]
    let includeSource = input.bool()
    let partitioned = input.bool()
    let firstTag = UInt64(bitPattern: input.int64())
    let batches = (0...input.below(3)).map { _ in (0..<input.below(4)).map { _ in input.layeredRecord() } }

    let encoded = SluicePostgresFuzzing.encode(
        batches, firstTag: firstTag, maxMessageBytes: maxMessageBytes, includeSource: includeSource,
        partitioned: partitioned)
    require(encoded.count == batches.count, "\(encoded.count) payloads for \(batches.count) batches")
    for (index, (batch, records)) in zip(encoded, batches).enumerated() {
        guard let header = batch.header else {
            preconditionFailure("invariant broken: the sink cannot read the header of its own payload")
        }
        require(header.tag == firstTag &+ UInt64(index), "tag \(header.tag) for \(firstTag &+ UInt64(index))")
        require(header.records == records.count && batch.payloadRecords == records.count, "record count")
        require(batch.messageEnds == [batch.payload.count], "messages end at \(batch.messageEnds)")
        let days =
            partitioned
            ? Set(records.map { floorDivision($0.timestamp.nanosecondsSinceEpoch, 86_400_000_000_000) }).sorted() : []
        require(header.days == days, "days \(header.days) for \(days)")
        require(header.copyOffset == 20 + 8 * days.count, "COPY data at \(header.copyOffset)")
        let tuples = decodeBinaryCopy(batch.payload[header.copyOffset...])
        require(tuples.count == records.count, "\(tuples.count) tuples for \(records.count) records")
        for (tuple, record) in zip(tuples, records) {
            check(tuple, record, maxMessageBytes: maxMessageBytes, includeSource: includeSource)
        }
    }
    return 0
}

/// `value / divisor` rounded toward minus infinity, without overflow.
func floorDivision(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return value % divisor < 0 ? quotient - 1 : quotient
}

/// The tuples of binary COPY data (PostgreSQL documentation, "COPY", binary format), each a list of
/// fields, `nil` for NULL. Traps on anything malformed.
func decodeBinaryCopy(_ bytes: ArraySlice<UInt8>) -> [[[UInt8]?]] {
    var position = bytes.startIndex
    func take(_ count: Int) -> ArraySlice<UInt8> {
        require(count >= 0 && bytes.endIndex - position >= count, "COPY data: \(count) bytes wanted at \(position)")
        defer { position += count }
        return bytes[position..<position + count]
    }
    func signed(_ width: Int) -> Int64 {
        let raw = take(width).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let shift = UInt64(64 - 8 * width)
        return Int64(bitPattern: raw << shift) >> Int64(shift)
    }
    require(Array(take(11)) == Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00], "COPY data: signature")
    require(signed(4) == 0, "COPY data: flags")
    require(signed(4) == 0, "COPY data: a header extension")
    var tuples: [[[UInt8]?]] = []
    while true {
        let fields = signed(2)
        if fields == -1 {
            require(position == bytes.endIndex, "COPY data: \(bytes.endIndex - position) bytes after the trailer")
            return tuples
        }
        require(
            fields == SluicePostgresFuzzing.copiedColumns.count,
            "COPY data: a tuple of \(fields) fields for \(SluicePostgresFuzzing.copiedColumns.count) columns")
        tuples.append(
            (0..<fields).map { _ in
                let length = signed(4)
                require(length >= -1, "COPY data: field length \(length)")
                return length == -1 ? nil : Array(take(Int(length)))
            })
    }
}

func integer(_ field: [UInt8]?, width: Int, _ column: String) -> Int64 {
    guard let field else { preconditionFailure("invariant broken: \(column) is NULL") }
    require(field.count == width, "\(column): \(field.count) bytes, expected \(width)")
    let raw = field.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    let shift = UInt64(64 - 8 * width)
    return Int64(bitPattern: raw << shift) >> Int64(shift)
}

/// What the sink stores for `text` with `limit` (its documentation): cut at a character boundary
/// after at most `limit` bytes, each NUL as U+FFFD, then `…[truncated, N bytes]`.
func expectedText(_ text: String, limit: Int) -> String {
    let utf8 = Array(text.utf8)
    guard utf8.count > limit else { return text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") }
    var end = max(limit, 0)
    while end > 0 && utf8[end] & 0xC0 == 0x80 {
        end -= 1
    }
    return String(decoding: utf8[..<end], as: UTF8.self).replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
        + "…[truncated, \(utf8.count) bytes]"
}

func checkText(_ field: [UInt8]?, _ text: String, limit: Int, _ column: String) {
    guard let field else { preconditionFailure("invariant broken: \(column) is NULL") }
    require(!field.contains(0), "\(column) holds a NUL, which text cannot")
    guard let stored = String(validating: field, as: UTF8.self) else {
        preconditionFailure("invariant broken: \(column) is not valid UTF-8")
    }
    let expected = expectedText(text, limit: limit)
    require(
        sameBytes(stored, expected),
        "\(column): \(stored.prefix(200).debugDescription) for \(expected.prefix(200).debugDescription)")
}

func check(_ tuple: [[UInt8]?], _ record: LogRecord, maxMessageBytes: Int, includeSource: Bool) {
    let nanoseconds = record.timestamp.nanosecondsSinceEpoch
    let microseconds = floorDivision(nanoseconds, 1_000) - 946_684_800_000_000
    require(integer(tuple[0], width: 8, "time") == microseconds, "time for \(nanoseconds) ns")
    require(integer(tuple[1], width: 2, "level") == Int64(record.level.rawValue), "level")
    checkText(tuple[2], record.label, limit: 1_024, "label")
    checkText(tuple[3], record.message, limit: maxMessageBytes, "message")
    let layers = SluiceFuzzing.metadataLayers(of: record)
    let merged = mergedMetadata(call: layers.call, logger: layers.logger, context: layers.context)
    if merged.isEmpty {
        require(tuple[4] == nil, "metadata is not NULL without metadata")
    } else {
        checkJSONB(tuple[4], merged, limit: maxMessageBytes)
    }
    if includeSource {
        checkText(tuple[5], record.source.file, limit: 1_024, "source_file")
        checkText(tuple[6], record.source.function, limit: 1_024, "source_function")
        let line = integer(tuple[7], width: 4, "source_line")
        require(
            line == Int64(min(record.source.line, UInt(Int32.max))), "source_line \(line) for \(record.source.line)")
    } else {
        require(tuple[5] == nil && tuple[6] == nil && tuple[7] == nil, "source columns without includeSource")
    }
    require(integer(tuple[8], width: 8, "sequence") == Int64(bitPattern: record.sequence), "sequence")
}

func checkJSONB(_ field: [UInt8]?, _ merged: MetadataPairs, limit: Int) {
    guard let field, field.first == 1 else { preconditionFailure("invariant broken: jsonb without version 1") }
    let json = Array(field.dropFirst())
    require(!json.contains(0), "jsonb holds a NUL byte")
    guard let text = String(validating: json, as: UTF8.self) else {
        preconditionFailure("invariant broken: jsonb is not valid UTF-8")
    }
    guard let object = JSONValue(parsing: text), case .object(let members) = object else {
        preconditionFailure("invariant broken: jsonb is not a JSON object: \(text.prefix(300).debugDescription)")
    }
    // jsonb keeps one member per key (the last), so two members under one key lose a value.
    let keys = members.map { Array($0.key.utf8) }
    require(Set(keys).count == keys.count, "jsonb has two members under one key: \(text.prefix(400).debugDescription)")
    require(members.count == merged.count, "jsonb has \(members.count) members for \(merged.count) keys")
    for (member, pair) in zip(members, merged) {
        require(
            showsKey(member.key, pair.key),
            "jsonb shows the key \(pair.key.prefix(300).debugDescription) as \(member.key.prefix(300).debugDescription)"
        )
        require(
            matches(member.value, pair.value, limit: limit, depth: 1),
            "jsonb member \(member.key.prefix(100).debugDescription) is \(String(describing: member.value).prefix(300)), expected \(String(describing: pair.value).prefix(300))"
        )
    }
}

/// Whether `shown` is how jsonb shows `key` (JSONFormat's and PostgresSink's documentation): over
/// 1,024 bytes it is cut on a character boundary and followed by `…[truncated, N bytes, fnv1a H]`;
/// each NUL is U+FFFD, and a key that held one ends in `…[NUL replaced, fnv1a H]` (H: 16 hex digits
/// of a hash this check does not recompute).
func showsKey(_ shown: String, _ key: String) -> Bool {
    let utf8 = Array(key.utf8)
    var expected = key
    if utf8.count > 1_024 {
        var end = 1_024
        while end > 0 && utf8[end] & 0xC0 == 0x80 {
            end -= 1
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        expected =
            String(decoding: utf8[..<end], as: UTF8.self) + "…[truncated, \(utf8.count) bytes, fnv1a \(hex(hash))]"
    }
    // Only a NUL in what is shown of the key is replaced (and marked).
    guard expected.utf8.contains(0) else { return sameBytes(shown, expected) }
    let prefix = Array((expected.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") + "…[NUL replaced, fnv1a ").utf8)
    let bytes = Array(shown.utf8)
    guard bytes.count == prefix.count + 17, Array(bytes[..<prefix.count]) == prefix, bytes.last == UInt8(ascii: "]")
    else { return false }
    return bytes[prefix.count..<(bytes.count - 1)].allSatisfy { Array("0123456789abcdef".utf8).contains($0) }
}

func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// Whether a parsed JSON value is what `expected`, at nesting `depth` (1 for a record's own
/// metadata values), renders as (JSONFormat's documentation): members in order under their shown
/// keys, strings cut at `limit` with the marker (NUL as U+FFFD), doubles as Swift prints them,
/// non-finite ones as "NaN", "Infinity", "-Infinity", and arrays and dictionaries at depth 32 or
/// deeper as the strings "[nested too deep]" and "{nested too deep}", whatever the limit.
func matches(_ value: JSONValue, _ expected: LogMetadataValue, limit: Int, depth: Int) -> Bool {
    switch (value, expected) {
    case (.string(let parsed), .array) where depth >= maxNestingDepth:
        return parsed == "[nested too deep]"
    case (.string(let parsed), .dictionary) where depth >= maxNestingDepth:
        return parsed == "{nested too deep}"
    case (.string(let parsed), .string(let string)):
        return sameBytes(parsed, expectedText(string, limit: limit))
    case (.number(let parsed), .integer(let integer)):
        return parsed == String(integer)
    case (.number(let parsed), .double(let double)):
        return double.isFinite && parsed == double.description
    case (.string(let parsed), .double(let double)):
        return double.isNaN ? parsed == "NaN" : double.isInfinite && parsed == (double < 0 ? "-Infinity" : "Infinity")
    case (.bool(let parsed), .bool(let bool)):
        return parsed == bool
    case (.array(let parsed), .array(let elements)) where depth < maxNestingDepth:
        return parsed.count == elements.count
            && zip(parsed, elements).allSatisfy { matches($0, $1, limit: limit, depth: depth + 1) }
    case (.object(let members), .dictionary(let metadata)) where depth < maxNestingDepth:
        return members.count == metadata.count
            && zip(members, metadata).allSatisfy { member, pair in
                showsKey(member.key, pair.key) && matches(member.value, pair.value, limit: limit, depth: depth + 1)
            }
    default:
        return false
    }
}
