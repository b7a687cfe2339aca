/// Writes records in the ``RecordLayout``: first ``size(label:message:inlineSource:call:logger:context:)``
/// says how many bytes a record needs, then ``write(to:_:)`` fills exactly that many.
///
/// Both run on the caller's thread under its stripe's lock, so they are plain loops over the
/// caller's strings and metadata: no allocation, no reference counting beyond what borrowing the
/// arguments needs.
package enum RecordEncoder {
    /// The header fields of a record about to be written.
    package struct Header {
        package var size: Int
        package var previous: Int
        package var timestamp: Int64
        package var order: UInt64
        package var source: UInt32
        package var chunk: UInt16
        package var level: LogLevel
        package var flags: UInt8

        @inline(__always)
        package init(
            size: Int, previous: Int, timestamp: Int64, order: UInt64, source: UInt32, chunk: UInt16, level: LogLevel,
            flags: UInt8
        ) {
            self.size = size
            self.previous = previous
            self.timestamp = timestamp
            self.order = order
            self.source = source
            self.chunk = chunk
            self.level = level
            self.flags = flags
        }
    }

    // MARK: Sizes

    /// The bytes a record takes, header and alignment included.
    @inline(__always)
    package static func size(
        label: String,
        message: some RecordMessage,
        inlineSource: Bool,
        file: String,
        function: String,
        call: LogMetadata,
        logger: LogMetadata,
        context: LogMetadata
    ) -> Int {
        var total = RecordLayout.headerSize &+ stringSize(label) &+ message.encodedSize
        if inlineSource {
            total &+= stringSize(file) &+ stringSize(function) &+ 8
        }
        if !call.pairs.isEmpty {
            total &+= metadataSize(call, depth: 1)
        }
        if !logger.pairs.isEmpty {
            total &+= metadataSize(logger, depth: 1)
        }
        if !context.pairs.isEmpty {
            total &+= metadataSize(context, depth: 1)
        }
        return RecordLayout.aligned(total)
    }

    /// The flags for a record with these sections.
    @inline(__always)
    package static func flags(inlineSource: Bool, call: LogMetadata, logger: LogMetadata, context: LogMetadata) -> UInt8
    {
        var flags: UInt8 = inlineSource ? RecordLayout.Flags.inlineSource : 0
        if !call.pairs.isEmpty {
            flags |= RecordLayout.Flags.callMetadata
        }
        if !logger.pairs.isEmpty {
            flags |= RecordLayout.Flags.loggerMetadata
        }
        if !context.pairs.isEmpty {
            flags |= RecordLayout.Flags.contextMetadata
        }
        return flags
    }

    @inline(__always)
    package static func stringSize(_ string: String) -> Int {
        let count = string.utf8.count
        return RecordLayout.lengthSize(count) &+ count
    }

    package static func metadataSize(_ metadata: LogMetadata, depth: Int) -> Int {
        var total = RecordLayout.lengthSize(metadata.pairs.count)
        metadata.pairs.withUnsafeBufferPointer { pairs in
            for index in pairs.indices {
                total &+= stringSize(pairs[index].0)
                // Scalars are sized in place, so the loop borrows each value instead of copying it.
                switch pairs[index].1 {
                case .string(let string):
                    total &+= 1 &+ stringSize(string)
                case .integer, .double:
                    total &+= 9
                case .bool:
                    total &+= 1
                case .array, .dictionary:
                    total &+= nestedSize(pairs[index].1, depth: depth)
                }
            }
        }
        return total
    }

    package static func valueSize(_ value: LogMetadataValue, depth: Int) -> Int {
        switch value {
        case .string(let string):
            return 1 &+ stringSize(string)
        case .integer, .double:
            return 9
        case .bool:
            return 1
        case .array, .dictionary:
            return nestedSize(value, depth: depth)
        }
    }

    @inline(never)
    private static func nestedSize(_ value: LogMetadataValue, depth: Int) -> Int {
        switch value {
        case .array(let values):
            guard depth < LogOutput.maxNestingDepth else { return 1 }
            var total = 1 &+ 4 &+ RecordLayout.lengthSize(values.count)
            for element in values {
                total &+= valueSize(element, depth: depth &+ 1)
            }
            return total
        case .dictionary(let metadata):
            guard depth < LogOutput.maxNestingDepth else { return 1 }
            return 1 &+ 4 &+ metadataSize(metadata, depth: depth &+ 1)
        case .string, .integer, .double, .bool:
            return valueSize(value, depth: depth)
        }
    }

    // MARK: Writing

    /// Writes the header at `base` and returns a writer positioned after it.
    @inline(__always)
    package static func writeHeader(_ header: Header, to base: UnsafeMutableRawPointer) -> RecordWriter {
        base.storeBytes(
            of: UInt32(truncatingIfNeeded: header.size), toByteOffset: RecordLayout.sizeOffset, as: UInt32.self)
        base.storeBytes(
            of: UInt32(truncatingIfNeeded: header.previous), toByteOffset: RecordLayout.previousOffset, as: UInt32.self)
        base.storeBytes(of: header.timestamp, toByteOffset: RecordLayout.timestampOffset, as: Int64.self)
        base.storeBytes(of: header.order, toByteOffset: RecordLayout.sequenceOffset, as: UInt64.self)
        base.storeBytes(of: header.source, toByteOffset: RecordLayout.sourceOffset, as: UInt32.self)
        base.storeBytes(of: header.chunk, toByteOffset: RecordLayout.chunkOffset, as: UInt16.self)
        base.storeBytes(of: header.level.rawValue, toByteOffset: RecordLayout.levelOffset, as: UInt8.self)
        base.storeBytes(of: header.flags, toByteOffset: RecordLayout.flagsOffset, as: UInt8.self)
        return RecordWriter(base + RecordLayout.headerSize)
    }

    /// Writes a whole record of `header.size` bytes at `base` (which must be 8-byte aligned).
    @inline(__always)
    package static func write(
        _ header: Header,
        to base: UnsafeMutableRawPointer,
        label: String,
        message: some RecordMessage,
        file: String,
        function: String,
        line: UInt,
        call: LogMetadata,
        logger: LogMetadata,
        context: LogMetadata
    ) {
        var writer = writeHeader(header, to: base)
        writer.string(label)
        message.write(to: &writer)
        if header.flags & RecordLayout.Flags.inlineSource != 0 {
            writer.string(file)
            writer.string(function)
            writer.raw(UInt64(line))
        }
        if header.flags & RecordLayout.Flags.callMetadata != 0 {
            writer.metadata(call, depth: 1)
        }
        if header.flags & RecordLayout.Flags.loggerMetadata != 0 {
            writer.metadata(logger, depth: 1)
        }
        if header.flags & RecordLayout.Flags.contextMetadata != 0 {
            writer.metadata(context, depth: 1)
        }
    }
}

extension RecordEncoder {
    /// Writes a record into `capacity` bytes at `base` without sizing it first, when it fits and its
    /// metadata holds no nested values (the common case; the caller falls back to sizing otherwise).
    /// Returns the record's size, header and alignment included, with the header's size field set.
    @inline(__always)
    package static func writeIfFits(
        _ header: Header,
        to base: UnsafeMutableRawPointer,
        capacity: Int,
        label: String,
        message: some RecordMessage,
        file: String,
        function: String,
        line: UInt,
        call: LogMetadata,
        logger: LogMetadata,
        context: LogMetadata
    ) -> Int? {
        guard capacity > RecordLayout.headerSize else { return nil }
        let end = base + capacity
        var writer = writeHeader(header, to: base)
        guard writer.string(label, before: end), writer.message(message, before: end) else { return nil }
        if header.flags & RecordLayout.Flags.inlineSource != 0 {
            guard writer.string(file, before: end), writer.string(function, before: end), writer.cursor + 8 <= end
            else { return nil }
            writer.raw(UInt64(line))
        }
        if header.flags & RecordLayout.Flags.callMetadata != 0 {
            guard writer.flatMetadata(call, before: end) else { return nil }
        }
        if header.flags & RecordLayout.Flags.loggerMetadata != 0 {
            guard writer.flatMetadata(logger, before: end) else { return nil }
        }
        if header.flags & RecordLayout.Flags.contextMetadata != 0 {
            guard writer.flatMetadata(context, before: end) else { return nil }
        }
        let size = RecordLayout.aligned(writer.cursor - base)
        guard size <= capacity else { return nil }
        base.storeBytes(of: UInt32(truncatingIfNeeded: size), toByteOffset: RecordLayout.sizeOffset, as: UInt32.self)
        return size
    }
}

extension RecordWriter {
    /// Writes `message` if it ends before `end`; returns false otherwise (the bytes written may then
    /// run up to 16 past `end`, into the read slack).
    @inline(__always)
    package mutating func message(_ message: some RecordMessage, before end: UnsafeMutableRawPointer) -> Bool {
        guard cursor + message.encodedSize <= end else { return false }
        message.write(to: &self)
        return true
    }

    /// Writes `string` if it ends before `end`; returns false otherwise (the bytes written may then
    /// run up to 16 past `end`, into the read slack).
    @inline(__always)
    package mutating func string(_ string: String, before end: UnsafeMutableRawPointer) -> Bool {
        let count = string.utf8.count
        guard cursor + RecordLayout.lengthSize(count) + count <= end else { return false }
        self.string(string)
        return true
    }

    /// Writes metadata whose values are all scalars, if it ends before `end`; returns false when it
    /// does not fit or holds an array or dictionary.
    @inline(__always)
    package mutating func flatMetadata(_ metadata: LogMetadata, before end: UnsafeMutableRawPointer) -> Bool {
        let count = metadata.pairs.count
        guard cursor + RecordLayout.lengthSize(count) <= end else { return false }
        length(count)
        return metadata.pairs.withUnsafeBufferPointer { pairs in
            for index in pairs.indices {
                guard string(pairs[index].0, before: end) else { return false }
                // Borrowed in place, so the loop copies no value.
                switch pairs[index].1 {
                case .string(let text):
                    let length = text.utf8.count
                    guard cursor + 1 + RecordLayout.lengthSize(length) + length <= end else { return false }
                    byte(RecordLayout.Tag.string)
                    string(text)
                case .integer(let integer):
                    guard cursor + 9 <= end else { return false }
                    byte(RecordLayout.Tag.integer)
                    raw(Int64(integer))
                case .double(let double):
                    guard cursor + 9 <= end else { return false }
                    byte(RecordLayout.Tag.double)
                    raw(double.bitPattern)
                case .bool(let bool):
                    guard cursor + 1 <= end else { return false }
                    byte(bool ? RecordLayout.Tag.trueValue : RecordLayout.Tag.falseValue)
                case .array, .dictionary:
                    return false
                }
            }
            return true
        }
    }
}

/// A cursor that writes the variable sections of a record.
package struct RecordWriter {
    package private(set) var cursor: UnsafeMutableRawPointer

    @inline(__always)
    package init(_ cursor: UnsafeMutableRawPointer) {
        self.cursor = cursor
    }

    /// Moves past `count` bytes written directly at ``cursor``.
    @inline(__always)
    package mutating func skip(_ count: Int) {
        cursor += count
    }

    @inline(__always)
    package mutating func byte(_ value: UInt8) {
        cursor.storeBytes(of: value, as: UInt8.self)
        cursor += 1
    }

    @inline(__always)
    package mutating func raw<T: FixedWidthInteger>(_ value: T) {
        cursor.storeBytes(of: value, as: T.self)
        cursor += MemoryLayout<T>.size
    }

    @inline(__always)
    package mutating func length(_ length: Int) {
        if length < 255 {
            byte(UInt8(truncatingIfNeeded: length))
        } else {
            byte(255)
            raw(UInt32(truncatingIfNeeded: length))
        }
    }

    @inline(__always)
    package mutating func bytes(_ buffer: UnsafeBufferPointer<UInt8>) {
        let count = buffer.count
        length(count)
        guard let source = buffer.baseAddress, count > 0 else { return }
        if count <= 16 {
            // Two overlapping loads and stores instead of a call to memcpy; never past the source.
            let source = UnsafeRawPointer(source)
            if count >= 8 {
                cursor.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
                (cursor + count - 8).storeBytes(
                    of: (source + count - 8).loadUnaligned(as: UInt64.self), as: UInt64.self)
            } else if count >= 4 {
                cursor.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
                (cursor + count - 4).storeBytes(
                    of: (source + count - 4).loadUnaligned(as: UInt32.self), as: UInt32.self)
            } else {
                cursor.storeBytes(of: source.load(as: UInt8.self), as: UInt8.self)
                (cursor + count / 2).storeBytes(
                    of: source.load(fromByteOffset: count / 2, as: UInt8.self), as: UInt8.self)
                (cursor + count - 1).storeBytes(
                    of: source.load(fromByteOffset: count - 1, as: UInt8.self), as: UInt8.self)
            }
        } else {
            cursor.copyMemory(from: source, byteCount: count)
        }
        cursor += count
    }

    @inline(__always)
    package mutating func string(_ string: String) {
        // A small string (up to 15 bytes) keeps its UTF-8 in its own two words: store them as they
        // are. The 16-byte store may run up to 16 bytes past the record's end, into the free part of
        // its chunk or the read slack every block of record memory has.
        let bits = unsafeBitCast(string, to: (UInt64, UInt64).self)
        if bits.1 & (1 << 61) != 0 {
            let count = Int(truncatingIfNeeded: (bits.1 >> 56) & 0x0F)
            byte(UInt8(truncatingIfNeeded: count))
            cursor.storeBytes(of: bits.0, as: UInt64.self)
            (cursor + 8).storeBytes(of: bits.1, as: UInt64.self)
            cursor += count
            return
        }
        LogOutput.withUTF8(string) { bytes($0) }
    }

    package mutating func metadata(_ metadata: LogMetadata, depth: Int) {
        length(metadata.pairs.count)
        metadata.pairs.withUnsafeBufferPointer { pairs in
            for index in pairs.indices {
                string(pairs[index].0)
                // Scalars are written in place, so the loop borrows each value instead of copying it.
                switch pairs[index].1 {
                case .string(let text):
                    byte(RecordLayout.Tag.string)
                    string(text)
                case .integer(let integer):
                    byte(RecordLayout.Tag.integer)
                    raw(Int64(integer))
                case .double(let double):
                    byte(RecordLayout.Tag.double)
                    raw(double.bitPattern)
                case .bool(let bool):
                    byte(bool ? RecordLayout.Tag.trueValue : RecordLayout.Tag.falseValue)
                case .array, .dictionary:
                    value(pairs[index].1, depth: depth)
                }
            }
        }
    }

    package mutating func value(_ value: LogMetadataValue, depth: Int) {
        switch value {
        case .string(let text):
            byte(RecordLayout.Tag.string)
            string(text)
        case .integer(let integer):
            byte(RecordLayout.Tag.integer)
            raw(Int64(integer))
        case .double(let double):
            byte(RecordLayout.Tag.double)
            raw(double.bitPattern)
        case .bool(let bool):
            byte(bool ? RecordLayout.Tag.trueValue : RecordLayout.Tag.falseValue)
        case .array(let values):
            guard depth < LogOutput.maxNestingDepth else {
                byte(RecordLayout.Tag.arrayTooDeep)
                return
            }
            byte(RecordLayout.Tag.array)
            let sizeField = cursor
            cursor += 4
            let start = cursor
            length(values.count)
            for element in values {
                self.value(element, depth: depth &+ 1)
            }
            sizeField.storeBytes(of: UInt32(truncatingIfNeeded: cursor - start), as: UInt32.self)
        case .dictionary(let nested):
            guard depth < LogOutput.maxNestingDepth else {
                byte(RecordLayout.Tag.dictionaryTooDeep)
                return
            }
            byte(RecordLayout.Tag.dictionary)
            let sizeField = cursor
            cursor += 4
            let start = cursor
            metadata(nested, depth: depth &+ 1)
            sizeField.storeBytes(of: UInt32(truncatingIfNeeded: cursor - start), as: UInt32.self)
        }
    }
}
