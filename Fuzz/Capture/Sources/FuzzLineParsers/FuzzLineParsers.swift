import Sluice

@testable import SluiceCommand

/// The level parser and the JSON line parser on any bytes: no trap, and a structured line's
/// message and metadata render as one valid line in every format.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLineParsers(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let line = UnsafeRawBufferPointer(start: start, count: count)
    _ = LineLevelParser.level(in: line)
    guard let parsed = JSONLineParser.parse(line) else { return 0 }
    precondition(Set(parsed.metadata.keys).count == parsed.metadata.count, "a key appears twice")
    let record = LogRecord(
        level: parsed.level ?? .info, label: "fuzz", message: parsed.message, metadata: parsed.metadata)
    for format in [TextFormat() as any LogFormat, LogfmtFormat(), JSONFormat()] {
        var output = LogOutput(capacity: 256)
        format.write(record, to: &output)
        output.withUnsafeBytes { bytes in
            precondition(bytes.last == UInt8(ascii: "\n"))
            precondition(!bytes.dropLast().contains { $0 < 0x20 || $0 == 0x7F }, "a raw control byte")
        }
    }
    return 0
}
