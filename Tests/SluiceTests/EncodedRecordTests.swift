import Foundation
import Sluice
import Testing

/// The record layout: what the encoder writes is what the decoder and the formats read.
@Suite struct EncodedRecordTests {
    static func randomString(_ generator: inout some RandomNumberGenerator, plain: Bool) -> String {
        let plainPieces = ["a", "request", "_", "-", "/api/v1", "42", "x.y", "Z", "ok", "é", "日本"]
        let hostilePieces = [
            " ", "=", "\"", "\\", "\n", "\u{1B}", "\u{0}", "\u{7F}", "\u{85}", "\u{2028}", "\u{202E}", "\t",
        ]
        let count = Int.random(in: 0...24, using: &generator)
        var text = ""
        for _ in 0..<count {
            if !plain && Int.random(in: 0..<4, using: &generator) == 0 {
                text += hostilePieces.randomElement(using: &generator)!
            } else {
                text += plainPieces.randomElement(using: &generator)!
            }
        }
        return text
    }

    static func randomValue(_ generator: inout some RandomNumberGenerator, plain: Bool, depth: Int = 0)
        -> LogMetadataValue
    {
        switch Int.random(in: 0..<(depth < 2 ? 7 : 4), using: &generator) {
        case 0: return .integer(Int.random(in: Int.min...Int.max, using: &generator))
        case 1: return .integer(Int.random(in: -1_000...1_000, using: &generator))
        case 2: return .bool(Bool.random(using: &generator))
        case 3: return .string(randomString(&generator, plain: plain))
        case 4: return .double(Double.random(in: -1e6...1e6, using: &generator))
        case 5:
            return .array(
                (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                    randomValue(&generator, plain: plain, depth: depth + 1)
                })
        default:
            return .dictionary(randomMetadata(&generator, plain: plain, depth: depth + 1))
        }
    }

    static func randomMetadata(_ generator: inout some RandomNumberGenerator, plain: Bool, depth: Int = 0)
        -> LogMetadata
    {
        var metadata = LogMetadata()
        for _ in 0..<Int.random(in: 0...5, using: &generator) {
            metadata[randomString(&generator, plain: plain)] = randomValue(&generator, plain: plain, depth: depth)
        }
        return metadata
    }

    static func randomRecord(_ generator: inout some RandomNumberGenerator) -> LogRecord {
        let plain = Bool.random(using: &generator)
        var record = LogRecord(
            timestamp: LogTimestamp(nanosecondsSinceEpoch: Int64.random(in: -1 << 40...1 << 62, using: &generator)),
            level: LogLevel.allCases.randomElement(using: &generator)!,
            label: randomString(&generator, plain: plain),
            message: randomString(&generator, plain: plain),
            metadata: randomMetadata(&generator, plain: plain),
            source: LogSource(file: randomString(&generator, plain: true), function: "f()", line: 7),
            sequence: UInt64.random(in: 0...UInt64.max, using: &generator)
        )
        if Bool.random(using: &generator) {
            record.metadata = record.metadata.merging(randomMetadata(&generator, plain: plain))
        }
        return record
    }

    @Test func encodingThenDecodingGivesTheRecordBack() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let record = Self.randomRecord(&generator)
            let decoded = record.withEncoded { $0.decoded() }
            #expect(decoded.timestamp == record.timestamp)
            #expect(decoded.level == record.level)
            #expect(decoded.label == record.label)
            #expect(decoded.message == record.message)
            #expect(decoded.metadata == record.metadata)
            #expect(decoded.source == record.source)
            #expect(decoded.sequence == record.sequence)
        }
    }

    @Test func metadataLayersKeepTheirPrecedence() {
        let record = LogRecord(
            timestamp: .now(), level: .info, label: "l", message: "m", source: LogSource(),
            callMetadata: ["k": "call", "only-call": 1],
            loggerMetadata: ["k": "logger", "only-logger": 2, "shared": "logger"],
            contextMetadata: ["k": "context", "shared": "context", "only-context": 3])
        let decoded = record.withEncoded { $0.decoded() }
        #expect(decoded.metadata == record.metadata)
        let keys = record.withEncoded { encoded in
            var keys: [String] = []
            var iterator = encoded.sections.makeMetadataIterator()
            while let (key, _) = iterator.next() {
                keys.append(String(key))
            }
            return keys
        }
        #expect(keys == record.metadata.keys)
        #expect(record.metadata["k"] == "call" && record.metadata["shared"] == "logger")
    }

    /// Found by FuzzRecords: the formats merged layers byte for byte, so a logger's `e` + U+0301
    /// showed next to the call site's `é`, which ``LogRecord/metadata`` (and ``LogMetadata``) treat as
    /// one key.
    @Test func canonicallyEquivalentKeysInTwoLayersAreOneKey() {
        let record = LogRecord(
            timestamp: .now(), level: .info, label: "l", message: "m", source: LogSource(),
            callMetadata: ["\u{E9}": 1, "K": 2, "plain": 3],
            loggerMetadata: ["e\u{301}": 4, "\u{212A}": 5, "other": 6],
            contextMetadata: ["\u{E9}": 7, "K": 8, "e\u{301}\u{E9}": 9])
        #expect(record.metadata.keys == ["\u{E9}", "K", "plain", "other", "e\u{301}\u{E9}"])
        record.withEncoded { encoded in
            var keys: [String] = []
            var iterator = encoded.sections.makeMetadataIterator()
            while let (key, _) = iterator.next() {
                keys.append(String(key))
            }
            #expect(keys.elementsEqual(record.metadata.keys) { $0.utf8.elementsEqual($1.utf8) })
            var walked: [String] = []
            encoded.sections.forEachMetadata { key, _ in walked.append(String(key)) }
            #expect(walked.elementsEqual(record.metadata.keys) { $0.utf8.elementsEqual($1.utf8) })
        }
        var merged = record
        merged.metadata = record.metadata
        for format in [TextFormat(), LogfmtFormat(), JSONFormat()] as [any LogFormat] {
            var layered = LogOutput()
            var flat = LogOutput()
            format.write(record, to: &layered)
            format.write(merged, to: &flat)
            #expect(layered.string.utf8.elementsEqual(flat.string.utf8), "\(layered.string) vs \(flat.string)")
        }
    }

    /// The formats' fast path (plain records) and general path write exactly the same bytes.
    @Test func theFastPathWritesWhatTheGeneralPathWrites() {
        var generator = SystemRandomNumberGenerator()
        var fastHits = 0
        for _ in 0..<3_000 {
            let record = Self.randomRecord(&generator)
            record.withEncoded { encoded in
                let sections = encoded.sections
                for format in [0, 1, 2] {
                    var fast = LogOutput()
                    var general = LogOutput()
                    switch format {
                    case 0:
                        TextFormat().write(encoded, to: &fast)
                        TextFormat().writeGenerally(encoded, sections, to: &general)
                    case 1:
                        LogfmtFormat().write(encoded, to: &fast)
                        LogfmtFormat().writeGenerally(encoded, sections, to: &general)
                    default:
                        JSONFormat(includeSequence: true).write(encoded, to: &fast)
                        JSONFormat(includeSequence: true).writeGenerally(encoded, sections, to: &general)
                    }
                    #expect(fast.bytes == general.bytes, "\(fast.string) vs \(general.string)")
                    if !fast.string.contains("\\") {
                        fastHits += 1
                    }
                }
            }
        }
        #expect(fastHits > 1_000, "the fast path was exercised")
    }
}
