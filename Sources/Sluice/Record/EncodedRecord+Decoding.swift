extension EncodedRecord {
    /// The record as a ``LogRecord``, for sinks and formats that take one (user sinks,
    /// `MemorySink`, `HandlerSink`). Built-in formats read the bytes instead.
    package func decoded(sources: SourceLocationTable = .shared) -> LogRecord {
        let sections = self.sections
        let source: LogSource
        if let inline = sections.inlineSource {
            source = LogSource(file: String(inline.file), function: String(inline.function), line: inline.line)
        } else {
            source = sources.source(sourceID)
        }
        var record = LogRecord(
            timestamp: timestamp,
            level: level,
            label: String(sections.label),
            message: String(sections.message),
            source: source,
            callMetadata: LogMetadata(decoding: sections.call),
            loggerMetadata: LogMetadata(decoding: sections.logger),
            contextMetadata: LogMetadata(decoding: sections.context)
        )
        record.sequence = sequence
        return record
    }
}

extension String {
    /// Decodes UTF-8 the encoder copied from a `String` (so it is valid).
    @inline(__always)
    package init(_ utf8: UnsafeBufferPointer<UInt8>) {
        self.init(decoding: utf8, as: UTF8.self)
    }
}

extension LogMetadata {
    package init(decoding encoded: EncodedMetadata) {
        guard encoded.count > 0 else {
            self.init()
            return
        }
        var pairs: [(String, LogMetadataValue)] = []
        pairs.reserveCapacity(encoded.count)
        encoded.forEach { key, value in
            pairs.append((String(key), LogMetadataValue(decoding: value)))
        }
        // The pairs came from a LogMetadata, so their keys are already unique.
        self.init(uniquePairs: pairs)
    }
}

extension LogMetadataValue {
    package init(decoding value: EncodedValue) {
        switch value {
        case .string(let utf8):
            self = .string(String(utf8))
        case .integer(let integer):
            self = .integer(integer)
        case .double(let double):
            self = .double(double)
        case .bool(let bool):
            self = .bool(bool)
        case .array(let count, let start):
            var values: [LogMetadataValue] = []
            values.reserveCapacity(count)
            EncodedValue.forEachElement(count: count, start: start) { values.append(LogMetadataValue(decoding: $0)) }
            self = .array(values)
        case .dictionary(let entries):
            self = .dictionary(LogMetadata(decoding: entries))
        case .tooDeep(let isArray):
            self = .string(isArray ? LogOutput.arrayTooDeep : LogOutput.dictionaryTooDeep)
        }
    }
}

extension LogRecord {
    /// Calls `body` with this record in the ``RecordLayout`` (its source inline), for formats and
    /// encoders that read bytes. Allocates a buffer for the duration of the call.
    package func withEncoded<R>(_ body: (EncodedRecord) -> R) -> R {
        let size = RecordEncoder.size(
            label: label, message: message, inlineSource: true, file: source.file, function: source.function,
            call: callMetadata, logger: loggerMetadata, context: contextMetadata)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size + RecordLayout.readSlack, alignment: 8)
        defer { buffer.deallocate() }
        let header = RecordEncoder.Header(
            size: size, previous: 0, timestamp: timestamp.nanosecondsSinceEpoch, order: sequence,
            source: RecordLayout.inlineSource, chunk: 0, level: level,
            flags: RecordEncoder.flags(
                inlineSource: true, call: callMetadata, logger: loggerMetadata, context: contextMetadata))
        RecordEncoder.write(
            header, to: buffer, label: label, message: message, file: source.file, function: source.function,
            line: source.line, call: callMetadata, logger: loggerMetadata, context: contextMetadata)
        return body(EncodedRecord(UnsafeRawPointer(buffer)))
    }
}
