// Fuzz target: the record path (RecordEncoder, RecordLayout, EncodedRecord) and the formats' fast
// path against their general path, through `@_spi(Fuzzing)`.
//
// Invariants: a record encoded and decoded gives back its time, level, label, message, source,
// sequence and each metadata layer byte for byte, in order (arrays and dictionaries nested at depth
// 32 or deeper read back as the strings "[nested too deep]" and "{nested too deep}"); the size the
// encoder computes is where a reader of every section ends; the merged metadata the formats read
// from the bytes, both ways, is LogRecord.metadata's documented merge (call site over logger over
// context); the single-pass encoder writes the sizing encoder's very bytes when the record fits its
// space and holds no nested value, and declines otherwise; for text, logfmt and JSON the fast path
// writes what the general path writes whenever it takes a record, never past the space it reserved,
// and leaves the output alone when it declines; the public write equals the general path and equals
// the rendering of the same record with its metadata merged beforehand; every line is one valid
// line (JSON that parses).

import FuzzSupport
@_spi(Fuzzing) import Sluice

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecords(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    let limits = [64 * 1024, 16, 255, 256, 1_024, 8, 0]
    let maxMessageBytes = limits[input.below(limits.count)]
    let fractionDigits = [6, 6, 9, 0, 3, 12, -2][input.below(7)]
    let includeSource = input.below(4) == 0
    let includeSequence = input.bool()
    let colors = input.below(4) == 0
    let inlineSource = input.bool()
    let slack = Int(input.byte())
    let records = (0...input.below(3)).map { _ in input.layeredRecord() }

    for record in records {
        checkRoundTrip(record)
        checkSinglePass(record, inlineSource: inlineSource, slack: slack)
    }
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
                includeSource: includeSource, includeSequence: includeSequence, maxMessageBytes: maxMessageBytes,
                fractionDigits: fractionDigits)
        ),
    ]
    for (name, format) in formats {
        checkFormatPaths(records, name, format, colors: colors)
    }
    return 0
}

func checkRoundTrip(_ record: LogRecord) {
    let trip = SluiceFuzzing.roundTrip(record)
    require(trip.extent == trip.size, "the encoder sized \(trip.size) bytes, a reader ends at \(trip.extent)")
    let decoded = trip.decoded
    require(decoded.timestamp == record.timestamp, "timestamp \(record.timestamp) read back as \(decoded.timestamp)")
    require(decoded.level == record.level, "level \(record.level) read back as \(decoded.level)")
    require(sameBytes(decoded.label, record.label), "label \(record.label.debugDescription) read back differently")
    require(sameBytes(decoded.message, record.message), "message \(record.message.prefix(200).debugDescription)")
    require(
        sameBytes(decoded.source.file, record.source.file) && sameBytes(decoded.source.function, record.source.function)
            && decoded.source.line == record.source.line,
        "source \(record.source) read back as \(decoded.source)")
    require(decoded.sequence == record.sequence, "sequence \(record.sequence) read back as \(decoded.sequence)")

    let original = SluiceFuzzing.metadataLayers(of: record)
    let expected = SluiceFuzzing.MetadataLayers(
        call: cutDeepNesting(original.call), logger: cutDeepNesting(original.logger),
        context: cutDeepNesting(original.context))
    let read = SluiceFuzzing.metadataLayers(of: decoded)
    for (name, got, wanted) in [
        ("call", read.call, expected.call), ("logger", read.logger, expected.logger),
        ("context", read.context, expected.context),
    ] {
        require(
            identical(MetadataPairs(got), MetadataPairs(wanted)),
            "\(name) metadata read back as [\(describe(MetadataPairs(got)))], expected [\(describe(MetadataPairs(wanted)))]"
        )
    }
    let merged = mergedMetadata(call: expected.call, logger: expected.logger, context: expected.context)
    require(
        identical(MetadataPairs(decoded.metadata), merged),
        "LogRecord.metadata is [\(describe(MetadataPairs(decoded.metadata)))], expected [\(describe(merged))]")
    require(
        identical(trip.iteratedMetadata, merged),
        "the fast path merges [\(describe(trip.iteratedMetadata))], expected [\(describe(merged))]")
    require(
        identical(trip.walkedMetadata, merged),
        "the general path merges [\(describe(trip.walkedMetadata))], expected [\(describe(merged))]")
}

func checkSinglePass(_ record: LogRecord, inlineSource: Bool, slack: Int) {
    let layers = SluiceFuzzing.metadataLayers(of: record)
    let isFlat = [layers.call, layers.logger, layers.context].allSatisfy { layer in
        layer.allSatisfy { pair in
            switch pair.value {
            case .array, .dictionary: false
            case .string, .integer, .double, .bool: true
            }
        }
    }
    let size = SluiceFuzzing.encodeInOnePass(record, inlineSource: inlineSource, capacity: 0).size
    for capacity in [size, size - 1, size - 8, size + slack, slack, 33] {
        let encoding = SluiceFuzzing.encodeInOnePass(record, inlineSource: inlineSource, capacity: capacity)
        let expected = isFlat && capacity >= size ? size : nil
        require(
            encoding.written == expected,
            "single pass into \(capacity) bytes (record: \(size), flat: \(isFlat)) returned \(String(describing: encoding.written))"
        )
        require(encoding.bytesMatch, "single pass into \(capacity) bytes wrote other bytes than the sizing encoder")
    }
}

func checkFormatPaths(_ records: [LogRecord], _ name: String, _ format: any LogFormat, colors: Bool) {
    guard let paths = SluiceFuzzing.formatPaths(records, format: format, colors: colors) else {
        preconditionFailure("invariant broken: \(name) has no fast path to compare")
    }
    var output = LogOutput(capacity: 64, colors: colors)
    var premerged = LogOutput(capacity: 64, colors: colors)
    for (record, path) in zip(records, paths) {
        require(path.fastStayedInReservation, "\(name): the fast path wrote past its reservation")
        require(path.fastLeftOutputAlone, "\(name): the fast path declined but left bytes in the output")
        if let fast = path.fast {
            require(
                fast == path.general,
                "\(name): the fast path wrote \(show(fast)), the general path \(show(path.general))")
        }
        output.removeAll()
        format.write(record, to: &output)
        require(
            output.bytes == path.general,
            "\(name): write gave \(show(output.bytes)), the general path \(show(path.general))")

        premerged.removeAll()
        format.write(withMergedMetadata(record), to: &premerged)
        require(
            premerged.bytes == output.bytes,
            "\(name): the record renders as \(show(output.bytes)), with its metadata merged as \(show(premerged.bytes))"
        )
        if !colors {
            let lines = requireLines(output.bytes, count: 1, name)
            if name == "json" {
                _ = requireJSON(lines[0], name)
            }
        }
    }
}

/// The record with its layers merged into call-site metadata as LogRecord documents the merge.
func withMergedMetadata(_ record: LogRecord) -> LogRecord {
    var metadata = LogMetadata()
    let layers = SluiceFuzzing.metadataLayers(of: record)
    for pair in mergedMetadata(call: layers.call, logger: layers.logger, context: layers.context) {
        metadata[pair.key] = pair.value
    }
    return LogRecord(
        timestamp: record.timestamp, level: record.level, label: record.label, message: record.message,
        metadata: metadata, source: record.source, sequence: record.sequence)
}

func show(_ bytes: [UInt8]) -> String {
    String(decoding: bytes.prefix(600), as: UTF8.self).debugDescription
}
