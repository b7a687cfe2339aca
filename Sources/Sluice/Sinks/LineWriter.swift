/// Formats records and writes them to a descriptor in chunks of whole lines, about 64 KiB each.
///
/// One `write(2)` per chunk rather than per line (measured here: 19.8 M lines/s buffered against
/// 1.5 M/s with one write per line), while the buffer stays bounded however large a batch or a
/// message is. A line is never split between two writes unless it alone exceeds the chunk size.
package enum LineWriter {
    package static let chunkSize = 64 * 1024

    /// Formats `records` with `format` into `output` and writes them to `descriptor`.
    /// Returns the bytes written and, if a write failed, its `errno`.
    package static func write(
        _ records: EncodedRecords,
        format: any EncodedRecordFormat,
        output: inout LogOutput,
        to descriptor: Int32
    ) -> (written: Int, errno: Int32?) {
        var written = 0
        var next = 0
        let kind = FileDescriptorIO.kind(of: descriptor)
        while next < records.count {
            output.removeAll()
            next = format.write(records, from: next, to: &output, byteLimit: chunkSize)
            let (n, error) = output.withUnsafeBytes { FileDescriptorIO.writeAll(descriptor, $0, kind: kind) }
            written += n
            if let error {
                output.removeAll()
                return (written, error)
            }
        }
        output.removeAll()
        return (written, nil)
    }
}
