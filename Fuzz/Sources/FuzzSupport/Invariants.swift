import Foundation

/// Traps (which libFuzzer records as a crash, with the input) when `condition` does not hold.
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        preconditionFailure("invariant broken: \(message())")
    }
}

/// Whether `scalar` may appear raw in a log line: no C0 control, DEL, C1 control, line or paragraph
/// separator, or bidirectional control.
public func isSafeInLine(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x7F, 0x80...0x9F, 0x2028, 0x2029: false
    case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: false
    default: true
    }
}

/// Checks that `bytes` are valid UTF-8 lines: `lines` of them, each ending in `\n`, with no unsafe
/// character inside. Returns the lines without their newlines.
@discardableResult
public func requireLines(_ bytes: [UInt8], count lines: Int? = nil, _ what: String) -> [Substring] {
    require(bytes.last == UInt8(ascii: "\n"), "\(what): does not end with a newline")
    guard let text = String(validating: bytes, as: UTF8.self) else {
        preconditionFailure("invariant broken: \(what): not valid UTF-8")
    }
    let split = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    if let lines {
        require(split.count == lines, "\(what): \(split.count) lines, expected \(lines)")
    }
    for line in split {
        require(
            line.unicodeScalars.allSatisfy(isSafeInLine), "\(what): an unsafe character in \(line.debugDescription)")
    }
    return Array(split)
}

/// The JSON value of `text`, or a trap.
public func requireJSON(_ text: some StringProtocol, _ what: String) -> Any {
    do {
        return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    } catch {
        preconditionFailure("invariant broken: \(what): not JSON (\(error)): \(String(text).prefix(500))")
    }
}
