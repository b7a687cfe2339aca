import Sluice

/// Entry points for the fuzz targets in `Fuzz/` into the `COPY` encoder of ``PostgresSink``, which
/// has no public API. See `SluiceFuzzing` in Sluice for why they are SPI rather than public.
@_spi(Fuzzing) public enum SluicePostgresFuzzing: Sendable {
    /// The columns each row fills, in order.
    public static var copiedColumns: [String] { PostgresSchema.copiedColumns }

    /// A batch as the sink's encoder makes it, and what the sink reads back from its header.
    public struct EncodedBatch: Sendable {
        /// The whole payload: the sink's header, then the binary `COPY` data.
        public var payload: [UInt8]
        /// The records the payload says it holds.
        public var payloadRecords: Int
        /// Where each message of the payload ends (one message: the whole payload).
        public var messageEnds: [Int]
        /// The header as ``PostgresSink`` reads it before copying, or `nil` if it cannot read it.
        public var header: Header?
    }

    /// The sink's header of a batch payload.
    public struct Header: Sendable {
        /// The batch's tag.
        public var tag: UInt64
        /// Its record count.
        public var records: Int
        /// The days (since 1970-01-01 UTC) its records fall on, ascending; empty unless partitioned.
        public var days: [Int64]
        /// Where the `COPY` data starts in the payload.
        public var copyOffset: Int
    }

    /// Encodes each of `batches` with one encoder (so its buffer is reused from batch to batch), with
    /// tags `firstTag`, `firstTag + 1`, ….
    public static func encode(
        _ batches: [[LogRecord]],
        firstTag: UInt64,
        maxMessageBytes: Int,
        includeSource: Bool,
        partitioned: Bool
    ) -> [EncodedBatch] {
        var encoder = PostgresCopyEncoder(
            maxMessageBytes: maxMessageBytes, includeSource: includeSource, partitioned: partitioned)
        var encoded: [EncodedBatch] = []
        for (index, records) in batches.enumerated() {
            let payload = encoder.encode(records, tag: firstTag &+ UInt64(index))
            let header = PostgresBatch(payload).map {
                Header(tag: $0.tag, records: $0.records, days: $0.days, copyOffset: $0.copyOffset)
            }
            encoded.append(
                EncodedBatch(
                    payload: payload.bytes, payloadRecords: payload.records, messageEnds: payload.messageEnds,
                    header: header))
        }
        return encoded
    }
}
