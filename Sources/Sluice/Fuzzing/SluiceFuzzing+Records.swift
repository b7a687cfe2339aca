/// Entry points into the record path (``RecordEncoder``, ``EncodedRecord``) and the formats' two
/// paths, for the `FuzzRecords` target. See ``SluiceFuzzing`` for why they are SPI.
extension SluiceFuzzing {
    /// A record whose metadata comes in three layers, as a logger makes one: call-site metadata,
    /// the logger's own and the task context's (``LogRecord/metadata`` merges them).
    public static func record(
        timestamp: LogTimestamp,
        level: LogLevel,
        label: String,
        message: String,
        source: LogSource,
        sequence: UInt64,
        layers: MetadataLayers
    ) -> LogRecord {
        var record = LogRecord(
            timestamp: timestamp, level: level, label: label, message: message, source: source,
            callMetadata: layers.call, loggerMetadata: layers.logger, contextMetadata: layers.context)
        record.sequence = sequence
        return record
    }

    /// The three metadata layers of a record, unmerged.
    public struct MetadataLayers: Sendable {
        /// Metadata passed to the log call; wins over the other two.
        public var call: LogMetadata
        /// The logger's own metadata; wins over the context's.
        public var logger: LogMetadata
        /// The task-local context's metadata.
        public var context: LogMetadata

        /// Creates the layers.
        public init(call: LogMetadata, logger: LogMetadata, context: LogMetadata) {
            self.call = call
            self.logger = logger
            self.context = context
        }
    }

    /// The metadata layers of `record`, as they are stored (not merged).
    public static func metadataLayers(of record: LogRecord) -> MetadataLayers {
        MetadataLayers(call: record.callMetadata, logger: record.loggerMetadata, context: record.contextMetadata)
    }

    /// What encoding a record into the ``RecordLayout`` and reading the bytes back gives.
    public struct RecordRoundTrip: Sendable {
        /// The record decoded from the bytes (its source read inline).
        public var decoded: LogRecord
        /// The record's size as the encoder computed it and wrote it into the header.
        public var size: Int
        /// Where a reader that walks every section (skipping nested values by their byte length)
        /// ends, rounded up to the alignment: equal to ``size`` when sizing, writing and reading agree.
        public var extent: Int
        /// The merged metadata as the formats' fast path iterates it, straight from the bytes.
        public var iteratedMetadata: [(key: String, value: LogMetadataValue)]
        /// The merged metadata as the formats' general path walks it, straight from the bytes.
        public var walkedMetadata: [(key: String, value: LogMetadataValue)]
    }

    /// Encodes `record` as the pipeline does (source inline) and reads it back every way the sinks do.
    public static func roundTrip(_ record: LogRecord) -> RecordRoundTrip {
        record.withEncoded { encoded in
            let sections = encoded.sections
            var iterated: [(key: String, value: LogMetadataValue)] = []
            var iterator = sections.makeMetadataIterator()
            while let (key, value) = iterator.next() {
                iterated.append((String(key), LogMetadataValue(decoding: value)))
            }
            var walked: [(key: String, value: LogMetadataValue)] = []
            sections.forEachMetadata { key, value in walked.append((String(key), LogMetadataValue(decoding: value))) }
            return RecordRoundTrip(
                decoded: encoded.decoded(), size: encoded.size, extent: extent(of: encoded),
                iteratedMetadata: iterated, walkedMetadata: walked)
        }
    }

    /// The end of the last section a reader finds, from the record's start, aligned.
    private static func extent(of record: EncodedRecord) -> Int {
        var reader = RecordReader(record.base + RecordLayout.headerSize)
        _ = reader.bytes()
        _ = reader.bytes()
        let flags = record.flags
        if flags & RecordLayout.Flags.inlineSource != 0 {
            _ = reader.bytes()
            _ = reader.bytes()
            let _: UInt64 = reader.raw()
        }
        let layers = [
            RecordLayout.Flags.callMetadata, RecordLayout.Flags.loggerMetadata, RecordLayout.Flags.contextMetadata,
        ]
        for layer in layers where flags & layer != 0 {
            _ = reader.metadata(skip: true)
        }
        return RecordLayout.aligned(reader.cursor - record.base)
    }

    /// What the single-pass encoder (`writeIfFits`, the log call's common case) makes of a record in
    /// `capacity` bytes, next to the sizing encoder it falls back to.
    public struct SinglePassEncoding: Sendable {
        /// The size the sizing encoder computes.
        public var size: Int
        /// What the single-pass encoder returned: the record's size, or `nil` when it declined.
        public var written: Int?
        /// Whether the single-pass encoder's bytes (header included) equal the sizing encoder's
        /// (`true` when it declined).
        public var bytesMatch: Bool
    }

    /// Encodes `record` once with the single-pass encoder into `capacity` bytes (plus the read slack
    /// the pipeline's chunks have), and once with the sizing encoder, both into zeroed memory.
    public static func encodeInOnePass(_ record: LogRecord, inlineSource: Bool, capacity: Int) -> SinglePassEncoding {
        let call = record.callMetadata
        let logger = record.loggerMetadata
        let context = record.contextMetadata
        let size = RecordEncoder.size(
            label: record.label, message: record.message, inlineSource: inlineSource, file: record.source.file,
            function: record.source.function, call: call, logger: logger, context: context)
        var header = RecordEncoder.Header(
            size: size, previous: 24, timestamp: record.timestamp.nanosecondsSinceEpoch, order: record.sequence,
            source: inlineSource ? RecordLayout.inlineSource : 7, chunk: 3, level: record.level,
            flags: RecordEncoder.flags(inlineSource: inlineSource, call: call, logger: logger, context: context))
        let sized = UnsafeMutableRawPointer.allocate(byteCount: size + RecordLayout.readSlack, alignment: 8)
        defer { sized.deallocate() }
        sized.initializeMemory(as: UInt8.self, repeating: 0, count: size + RecordLayout.readSlack)
        RecordEncoder.write(
            header, to: sized, label: record.label, message: record.message, file: record.source.file,
            function: record.source.function, line: record.source.line, call: call, logger: logger, context: context)

        let room = max(capacity, 0)
        let single = UnsafeMutableRawPointer.allocate(byteCount: room + RecordLayout.readSlack, alignment: 8)
        defer { single.deallocate() }
        single.initializeMemory(as: UInt8.self, repeating: 0, count: room + RecordLayout.readSlack)
        header.size = 0
        let written = RecordEncoder.writeIfFits(
            header, to: single, capacity: room, label: record.label, message: record.message,
            file: record.source.file, function: record.source.function, line: record.source.line, call: call,
            logger: logger, context: context)
        var bytesMatch = true
        if let written, written == size {
            bytesMatch = UnsafeRawBufferPointer(start: sized, count: size).elementsEqual(
                UnsafeRawBufferPointer(start: single, count: size))
        }
        return SinglePassEncoding(size: size, written: written, bytesMatch: bytesMatch)
    }

    /// What a format's two paths write for one record.
    public struct FormatPaths: Sendable {
        /// The fast path's line, or `nil` when it declined the record.
        public var fast: [UInt8]?
        /// The general path's line.
        public var general: [UInt8]
        /// Whether the fast path wrote nothing beyond the space it reserved.
        public var fastStayedInReservation: Bool
        /// Whether the fast path, when it declined, left the output as it was.
        public var fastLeftOutputAlone: Bool
    }

    /// Writes each of `records` with the general path and then the fast path of `format` (one of
    /// ``TextFormat``, ``LogfmtFormat``, ``JSONFormat``; `nil` for any other), into one output that
    /// keeps growing, so the cached second and the output's offset carry from record to record.
    public static func formatPaths(_ records: [LogRecord], format: some LogFormat, colors: Bool) -> [FormatPaths]? {
        switch format {
        case let text as TextFormat:
            formatPaths(
                records, colors: colors, reservation: text.fastPathReservation, fast: text.writeFast,
                general: text.writeGenerally)
        case let logfmt as LogfmtFormat:
            formatPaths(
                records, colors: colors, reservation: logfmt.fastPathReservation, fast: logfmt.writeFast,
                general: logfmt.writeGenerally)
        case let json as JSONFormat:
            formatPaths(
                records, colors: colors, reservation: json.fastPathReservation, fast: json.writeFast,
                general: json.writeGenerally)
        default:
            nil
        }
    }

    private static func formatPaths(
        _ records: [LogRecord],
        colors: Bool,
        reservation: (EncodedRecord) -> Int,
        fast: (EncodedRecord, EncodedRecord.Sections, inout LogOutput) -> Bool,
        general: (EncodedRecord, EncodedRecord.Sections, inout LogOutput) -> Void
    ) -> [FormatPaths] {
        let guardBytes = 64
        var output = LogOutput(capacity: 64, colors: colors)
        var paths: [FormatPaths] = []
        for record in records {
            record.withEncoded { encoded in
                let sections = encoded.sections
                let generalStart = output.count
                general(encoded, sections, &output)
                let generalLine = output.withUnsafeBytes { Array($0[generalStart...]) }

                // Bytes just past the fast path's reservation, which it must leave alone. The fast
                // path reserves no more than this, so the buffer does not move under `fence`.
                let fastStart = output.count
                let reserved = reservation(encoded)
                let fence = output.reserve(reserved + guardBytes) + reserved
                fence.update(repeating: 0xA5, count: guardBytes)
                let took = fast(encoded, sections, &output)
                let fenceIntact = (0..<guardBytes).allSatisfy { fence[$0] == 0xA5 }
                paths.append(
                    FormatPaths(
                        fast: took ? output.withUnsafeBytes { Array($0[fastStart...]) } : nil, general: generalLine,
                        fastStayedInReservation: fenceIntact, fastLeftOutputAlone: took || output.count == fastStart))
            }
        }
        return paths
    }
}
