/// A record's message as the encoder takes it: the text of a log call, or the bytes of a captured
/// line, which are copied into the record as they are (invalid UTF-8 escaped on the way) instead of
/// becoming a `String` first.
package protocol RecordMessage {
    /// The bytes the message takes in a record, its length included.
    var encodedSize: Int { get }

    /// Writes the message's length and bytes.
    func write(to writer: inout RecordWriter)
}

extension String: RecordMessage {
    @inline(__always)
    package var encodedSize: Int { RecordEncoder.stringSize(self) }

    @inline(__always)
    package func write(to writer: inout RecordWriter) {
        writer.string(self)
    }
}

/// The bytes of a captured line as a message: valid UTF-8 as it is, each byte of an invalid
/// sequence as the four characters `\xNN` (``RawLineDecoding``). Borrows the bytes: use it only
/// while they are valid, within the call that queues the record.
package struct RawLineMessage: RecordMessage {
    private let bytes: UnsafeBufferPointer<UInt8>
    /// The message's length: `bytes.count` exactly when the bytes are valid UTF-8.
    private let count: Int

    @inline(__always)
    package init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes.assumingMemoryBound(to: UInt8.self)
        count = RawLineDecoding.escapedCount(self.bytes)
    }

    @inline(__always)
    package var encodedSize: Int { RecordLayout.lengthSize(count) &+ count }

    @inline(__always)
    package func write(to writer: inout RecordWriter) {
        if count == bytes.count {
            writer.bytes(bytes)
        } else {
            writer.escapedBytes(bytes, count: count)
        }
    }
}

extension RecordWriter {
    /// Writes a captured line whose invalid UTF-8 is escaped, `count` bytes once escaped.
    @inline(never)
    package mutating func escapedBytes(_ bytes: UnsafeBufferPointer<UInt8>, count: Int) {
        length(count)
        RawLineDecoding.writeEscaped(bytes, to: cursor)
        skip(count)
    }
}
