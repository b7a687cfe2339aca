@testable import Sluice

/// Any bytes become a message that keeps valid UTF-8 as it is, shows each other byte as `\xNN`,
/// and formats as exactly one line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRawLineDecoding(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let message = RawLineDecoding.message(bytes)
    // Decoding repairs invalid UTF-8, so the input was valid exactly when it comes back unchanged.
    let decoded = String(decoding: bytes.bindMemory(to: UInt8.self), as: UTF8.self)
    if decoded.utf8.elementsEqual(bytes) {
        precondition(message == decoded, "valid UTF-8 was changed")
    } else {
        precondition(message.utf8.count > count, "an invalid byte was not escaped")
        let utf8 = Array(message.utf8)
        precondition(zip(utf8, utf8.dropFirst()).contains { $0 == UInt8(ascii: "\\") && $1 == UInt8(ascii: "x") })
    }
    // One format per input (by its length), so each run stays cheap.
    let formats: [any LogFormat] = [TextFormat(), LogfmtFormat(), JSONFormat()]
    var output = LogOutput(capacity: 256)
    formats[count % 3].write(LogRecord(level: .info, label: "fuzz", message: message), to: &output)
    output.withUnsafeBytes { line in
        precondition(line.last == UInt8(ascii: "\n"))
        precondition(!line.dropLast().contains { $0 < 0x20 || $0 == 0x7F }, "a raw control byte")
    }
    return 0
}
