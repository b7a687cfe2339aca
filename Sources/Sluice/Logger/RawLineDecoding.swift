/// Turns the bytes of a captured line into a message: valid UTF-8 as it is, each byte of an invalid
/// sequence as the four characters `\xNN`, so binary junk stays visible and a message is always
/// valid text for every format.
package enum RawLineDecoding {
    /// The source location of a raw line: there is no call site to name.
    package static let source = LogSource(file: "", function: "", line: 0)

    /// The message for `bytes`, as a string.
    package static func message(_ bytes: UnsafeRawBufferPointer) -> String {
        let utf8 = bytes.assumingMemoryBound(to: UInt8.self)
        let count = escapedCount(utf8)
        if count == utf8.count {
            return String(decoding: utf8, as: UTF8.self)
        }
        return String(unsafeUninitializedCapacity: count) { buffer in
            writeEscaped(utf8, to: UnsafeMutableRawPointer(buffer.baseAddress!))
            return count
        }
    }

    /// The length of the message for `utf8`: `utf8.count` exactly when it is valid UTF-8, longer
    /// by three bytes for each byte that must be escaped.
    @inline(__always)
    package static func escapedCount(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        if isASCII(utf8) {
            return utf8.count
        }
        return escapedCountSlowly(utf8)
    }

    @inline(never)
    private static func escapedCountSlowly(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        var i = 0
        while i < utf8.count {
            let length = sequenceLength(utf8, at: i)
            if length > 0 {
                count += length
                i += length
            } else {
                count += 4
                i += 1
            }
        }
        return count
    }

    /// Writes the message for `utf8` (``escapedCount(_:)`` bytes) at `destination`.
    @inline(never)
    package static func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to destination: UnsafeMutableRawPointer) {
        let hex: StaticString = "0123456789abcdef"
        var out = destination
        var i = 0
        while i < utf8.count {
            let length = sequenceLength(utf8, at: i)
            if length > 0 {
                out.copyMemory(from: utf8.baseAddress! + i, byteCount: length)
                out += length
                i += length
            } else {
                let byte = utf8[i]
                out.storeBytes(of: UInt8(ascii: "\\"), as: UInt8.self)
                (out + 1).storeBytes(of: UInt8(ascii: "x"), as: UInt8.self)
                (out + 2).storeBytes(of: hex.utf8Start[Int(byte >> 4)], as: UInt8.self)
                (out + 3).storeBytes(of: hex.utf8Start[Int(byte & 0xF)], as: UInt8.self)
                out += 4
                i += 1
            }
        }
    }

    /// Whether every byte is below 0x80, checked eight bytes at a time.
    @inline(__always)
    private static func isASCII(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let n = utf8.count
        var i = 0
        var high: UInt64 = 0
        while n - i >= 8 {
            high |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < n {
            high |= UInt64(utf8[i])
            i += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// The length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), or 0 if the byte
    /// there does not start one.
    @inline(__always)
    private static func sequenceLength(_ utf8: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let lead = utf8[i]
        if lead < 0x80 {
            return 1
        }
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            i + offset < utf8.count && range.contains(utf8[i + offset])
        }
        switch lead {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : 0
        case 0xE0:
            return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(1) && continuation(2) ? 3 : 0
        case 0xED:
            return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
        case 0xF0:
            return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4:
            return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default:
            return 0
        }
    }
}
