/// The bytes of one record while it travels through a pipeline.
///
/// A log call writes its record once, on the caller's thread, into a chunk of memory the pipeline
/// owns; the collector and the sinks read those bytes in place, and the chunk is reused once every
/// sink is done with them. Nothing per record is allocated on one thread and freed on another.
///
/// ```
/// header, 32 bytes (8-byte aligned)
///   0  UInt32  size of the whole record in bytes, a multiple of 8
///   4  UInt32  size of the record before it in the same chunk (0 for the first)
///   8  Int64   timestamp, nanoseconds since the epoch
///  16  UInt64  while queued: order within its stripe; once taken: the pipeline's sequence number
///  24  UInt32  source location id (``SourceLocationTable``), or `inlineSource`
///  28  UInt16  the chunk holding the record
///  30  UInt8   level
///  31  UInt8   flags: which sections follow; whether the stages wrote it or must hold it back
/// label, message                       length + UTF-8 bytes
/// file, function, line                 only with `Flags.inlineSource`: length + bytes twice, UInt64
/// call, logger, context metadata       each only when its flag is set: count + entries
/// ```
///
/// A length (or count) is one byte below 255, otherwise 255 followed by a `UInt32`. An entry is a key
/// (length + bytes) and a value: a tag byte, then a string (length + bytes), an `Int` or `Double`
/// (8 bytes), nothing for booleans, or for arrays and dictionaries the byte length of what follows
/// (`UInt32`), a count and the elements. Nesting deeper than ``LogOutput/maxNestingDepth`` is
/// stored as a placeholder tag, so hostile nesting costs neither the caller's stack nor the sink's.
package enum RecordLayout {
    package static let headerSize = 32
    package static let sizeOffset = 0
    package static let previousOffset = 4
    package static let timestampOffset = 8
    package static let sequenceOffset = 16
    package static let sourceOffset = 24
    package static let chunkOffset = 28
    package static let levelOffset = 30
    package static let flagsOffset = 31

    /// The source id of a record that carries its file and function inline.
    package static let inlineSource = UInt32.max

    /// Which optional sections follow the label and message.
    package enum Flags {
        package static let callMetadata: UInt8 = 1
        package static let loggerMetadata: UInt8 = 2
        package static let contextMetadata: UInt8 = 4
        package static let inlineSource: UInt8 = 8
        /// Written by the collector's stages into their own memory: holds no unit of queue room.
        package static let detached: UInt8 = 16
        /// Below the sinks' levels, logged only for a backtrace: the stages hold it back.
        package static let held: UInt8 = 32
    }

    /// Value tags.
    package enum Tag {
        package static let string: UInt8 = 0
        package static let integer: UInt8 = 1
        package static let double: UInt8 = 2
        package static let falseValue: UInt8 = 3
        package static let trueValue: UInt8 = 4
        package static let array: UInt8 = 5
        package static let dictionary: UInt8 = 6
        package static let arrayTooDeep: UInt8 = 7
        package static let dictionaryTooDeep: UInt8 = 8
    }

    /// The bytes a length takes.
    @inline(__always)
    package static func lengthSize(_ length: Int) -> Int {
        length < 255 ? 1 : 5
    }

    /// `size` rounded up to the record alignment (8).
    @inline(__always)
    package static func aligned(_ size: Int) -> Int {
        (size &+ 7) & ~7
    }

    /// Bytes every block of record memory has beyond its end, so formats may read a string eight
    /// bytes at a time without reading outside the allocation.
    package static let readSlack = 16

    /// The largest record a pipeline accepts; anything larger is dropped and counted.
    package static let maximumRecordSize = Int(UInt32.max) & ~7
}
