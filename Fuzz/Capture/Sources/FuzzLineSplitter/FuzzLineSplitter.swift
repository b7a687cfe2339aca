@testable import SluiceCommand

/// Splits the input, fed in chunks whose sizes come from its first bytes, with a limit from its
/// first byte, and checks what every line promises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLineSplitter(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    guard count >= 2 else { return 0 }
    let limit = Int(input[0]) + 1
    let chunkSize = Int(input[1]) + 1
    let data = UnsafeRawBufferPointer(rebasing: input[2...])
    var splitter = LineSplitter<ContinuousClock>(maxLineBytes: limit, idle: .milliseconds(1))
    let origin = ContinuousClock.now
    var consumed = 0
    var emitted = 0
    func check(_ line: CapturedLine) {
        precondition(!line.bytes.contains(UInt8(ascii: "\n")), "a line holds a newline")
        precondition(line.bytes.count <= limit, "a line is longer than the limit")
        precondition(line.originalLength >= line.bytes.count, "a line is longer than it was")
        precondition(line.isTruncated || line.originalLength == line.bytes.count)
        // A cut removes at most the 3 bytes of an incomplete UTF-8 sequence below the limit.
        precondition(!line.isTruncated || line.bytes.count >= limit - 3, "a cut lost more than a character")
        emitted += line.originalLength
    }
    var offset = 0
    var tick = 0
    while offset < data.count {
        let end = min(offset + chunkSize, data.count)
        tick += 1
        splitter.feed(
            UnsafeRawBufferPointer(rebasing: data[offset..<end]), now: origin.advanced(by: .milliseconds(tick))
        ) {
            check($0)
        }
        consumed += end - offset
        if data[offset] == 0x7F {
            // Now and then the stream goes quiet long enough for a partial line.
            splitter.idleCheck(now: origin.advanced(by: .milliseconds(tick + 2))) { check($0) }
        }
        offset = end
    }
    splitter.finish { check($0) }
    precondition(!splitter.hasPendingLine)
    precondition(emitted <= consumed, "lines add up to more than the input")
    return 0
}
