// Fuzz target: LabelFileSink's label-to-file-name mapping, through its public API.
//
// Invariants: a file name never holds `/` or NUL, is never `.` or `..`, never starts with a dot, ends
// in `.log`, fits a file system's 255 bytes, is its own live file (never another label's archive),
// and decodes back to the label (so distinct labels get distinct files), also after lower-casing
// when the mapping is for a file system that ignores case.

import FuzzSupport
@_spi(Fuzzing) import Sluice

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLabelFileNames(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    let ignoringCase = input.bool()
    let label = input.rest()
    let name = LabelFileSink.fileName(forLabel: label, ignoringCase: ignoringCase)
    let bytes = Array(name.utf8)
    require(!bytes.contains(UInt8(ascii: "/")) && !bytes.contains(0), "\(name.debugDescription) has / or NUL")
    require(name != "." && name != ".." && !name.hasPrefix("."), "\(name.debugDescription) is a dot name")
    require(name.hasSuffix(".log"), "\(name.debugDescription) does not end in .log")
    require(bytes.count <= 255, "\(bytes.count) bytes")
    require(
        SluiceFuzzing.labelLiveName(ofFile: name) == name, "\(name.debugDescription) passes for another file's archive")
    let stem = bytes.dropLast(4)
    guard !stem.contains(UInt8(ascii: "~")) else { return 0 }  // cut and hashed: long labels
    for candidate in ignoringCase ? [stem, ArraySlice(stem.map(lowercased))] : [stem] {
        require(percentDecoded(candidate) == Array(label.utf8), "\(name.debugDescription) does not decode to the label")
    }
    return 0
}

func lowercased(_ byte: UInt8) -> UInt8 {
    (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
}

func percentDecoded(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
    var result: [UInt8] = []
    var index = bytes.startIndex
    func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
    while index < bytes.endIndex {
        if bytes[index] == UInt8(ascii: "%") {
            guard index + 2 < bytes.endIndex + 0, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2])
            else {
                // A lone % is the empty label.
                return bytes.count == 1 ? [] : nil
            }
            result.append(high << 4 | low)
            index += 3
        } else {
            result.append(bytes[index])
            index += 1
        }
    }
    return result
}
