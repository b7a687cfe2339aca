/// Records encoded once, as a pipeline holds them, for measuring formats on their own (the
/// benchmarks' scenario F). Not part of the supported API.
@_spi(Benchmarks)
public struct EncodedRecordBatch: Sendable {
    private let array: EncodedRecordArray

    /// Encodes `records` (their source inline, as a record from a non-literal call site travels).
    public init(_ records: [LogRecord]) {
        array = EncodedRecordArray(records)
    }

    /// Formats every record with `format`, in chunks of `byteLimit` bytes; calls `chunk` after each
    /// chunk (before `output` is cleared). Returns the bytes formatted.
    public func format(
        with format: some LogFormat,
        into output: inout LogOutput,
        byteLimit: Int = 64 * 1024,
        chunk: (borrowing LogOutput) -> Void = { _ in }
    ) -> Int {
        let encoded = format.encoded
        let records = array.batch.records
        var bytes = 0
        var next = 0
        while next < records.count {
            output.removeAll()
            next = encoded.write(records, from: next, to: &output, byteLimit: byteLimit)
            bytes += output.count
            chunk(output)
        }
        return bytes
    }

    /// The bytes a log call with these fields takes in a pipeline's queue (its source interned).
    public static func queuedSize(label: String, message: String, metadata: LogMetadata) -> Int {
        RecordEncoder.size(
            label: label, message: message, inlineSource: false, file: "", function: "", call: metadata,
            logger: LogMetadata(), context: LogMetadata())
    }
}
