/// A format that reads records in the ``RecordLayout`` directly: Sluice's own formats. Sinks format
/// batches through it, so formatting allocates nothing per record.
package protocol EncodedRecordFormat: LogFormat {
    /// Appends one line, ending in `"\n"`, for `record`.
    func write(_ record: EncodedRecord, to output: inout LogOutput)

    /// Appends one line per record from `start` and stops after the line that takes `output` to
    /// `byteLimit` bytes or more. Returns the index of the first record not written. (A requirement,
    /// so each format's own copy calls ``write(_:to:)`` directly.)
    func write(_ records: EncodedRecords, from start: Int, to output: inout LogOutput, byteLimit: Int) -> Int
}

extension EncodedRecordFormat {
    package func write(_ records: EncodedRecords, from start: Int, to output: inout LogOutput, byteLimit: Int) -> Int {
        var index = start
        while index < records.count && output.count < byteLimit {
            write(records[index], to: &output)
            index += 1
        }
        return index
    }
}

/// A user's ``LogFormat`` behind the encoded interface: each record is decoded into a ``LogRecord``
/// for it (which allocates, on the sink's thread).
package struct DecodingFormat: EncodedRecordFormat {
    package let base: any LogFormat

    package init(_ base: any LogFormat) {
        self.base = base
    }

    package func write(_ record: EncodedRecord, to output: inout LogOutput) {
        base.write(record.decoded(), to: &output)
    }

    package func write(_ record: LogRecord, to output: inout LogOutput) {
        base.write(record, to: &output)
    }
}

extension LogFormat {
    /// This format behind the encoded interface: itself for Sluice's formats, decoding otherwise.
    package var encoded: any EncodedRecordFormat {
        (self as? any EncodedRecordFormat) ?? DecodingFormat(self)
    }
}

/// A list of records in the ``RecordLayout``: pointers into pipeline memory, valid while the batch
/// that holds them is being written.
package struct EncodedRecords {
    package let pointers: UnsafeBufferPointer<UnsafeRawPointer>

    @inline(__always)
    package init(_ pointers: UnsafeBufferPointer<UnsafeRawPointer>) {
        self.pointers = pointers
    }

    @inline(__always)
    package var count: Int { pointers.count }

    @inline(__always)
    package var isEmpty: Bool { pointers.isEmpty }

    @inline(__always)
    package subscript(index: Int) -> EncodedRecord {
        EncodedRecord(pointers[index])
    }

    /// The records `range`.
    package subscript(range: Range<Int>) -> EncodedRecords {
        EncodedRecords(UnsafeBufferPointer(rebasing: pointers[range]))
    }

    /// The records decoded into ``LogRecord``s.
    package func decoded(from start: Int = 0, atOrAbove level: LogLevel = .trace) -> [LogRecord] {
        var records: [LogRecord] = []
        records.reserveCapacity(count - start)
        for index in start..<count where self[index].level >= level {
            records.append(self[index].decoded())
        }
        return records
    }
}
