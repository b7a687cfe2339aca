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
    guard String(validating: bytes, as: UTF8.self) != nil else {
        preconditionFailure("invariant broken: \(what): not valid UTF-8")
    }
    // Split on bytes: a combining mark must not join a newline to the next character.
    let split = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast().map {
        Substring(String(decoding: $0, as: UTF8.self))
    }
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

/// Decodes the inside of a JSON string (RFC 8259 §7) strictly: raw characters below U+0020 are
/// refused, escapes must be complete, surrogates must pair. (Foundation's parser is not used for
/// this: it drops a U+FEFF at the start of a string.)
public func decodeJSONStringBody(_ text: some StringProtocol) -> String? {
    var scalars = String.UnicodeScalarView()
    var iterator = text.unicodeScalars.makeIterator()
    func hex4() -> UInt32? {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let scalar = iterator.next(), scalar.isASCII, let digit = UInt32(String(scalar), radix: 16) else {
                return nil
            }
            value = value << 4 | digit
        }
        return value
    }
    while let scalar = iterator.next() {
        if scalar.value < 0x20 || scalar == "\"" {
            return nil
        }
        guard scalar == "\\" else {
            scalars.append(scalar)
            continue
        }
        guard let escape = iterator.next() else { return nil }
        switch escape {
        case "\"", "\\", "/": scalars.append(escape)
        case "b": scalars.append("\u{08}")
        case "f": scalars.append("\u{0C}")
        case "n": scalars.append("\n")
        case "r": scalars.append("\r")
        case "t": scalars.append("\t")
        case "u":
            guard let first = hex4() else { return nil }
            if (0xD800...0xDBFF).contains(first) {
                guard iterator.next() == "\\", iterator.next() == "u", let second = hex4(),
                    (0xDC00...0xDFFF).contains(second),
                    let combined = Unicode.Scalar(0x10000 + (first - 0xD800) << 10 + (second - 0xDC00))
                else { return nil }
                scalars.append(combined)
            } else {
                guard let decoded = Unicode.Scalar(first) else { return nil }
                scalars.append(decoded)
            }
        default: return nil
        }
    }
    return String(scalars)
}
