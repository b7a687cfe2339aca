// Fuzz target: the syslog encoders (RFC 5424, RFC 3164, octet-counted frames), through
// `@_spi(Fuzzing)` (they have no public API; see SluiceFuzzing).
//
// Invariants: a frame's length prefix is exactly the message's byte count; a message never exceeds
// maxMessageBytes; it is valid UTF-8 without raw control, separator or bidi characters (so it cannot
// start a second record); RFC 5424 starts with a valid PRI and version, its structured data is well
// formed with valid SD-NAMEs, and no two parameters share a name.

import FuzzSupport
@_spi(Fuzzing) import Sluice

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSyslog(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    let rfc3164 = input.bool()
    let framed = input.bool()
    let includeSequence = input.bool()
    let omitHostname = input.bool()
    let maxMessageBytes = 480 + Int(input.byte()) * 32
    let hostname = input.string(maxBytes: 300)
    let appName = input.string(maxBytes: 60)
    let messageID: String? = input.bool() ? input.string(maxBytes: 40) : nil
    let record = input.record()
    let bytes = SluiceFuzzing.syslogMessage(
        record, rfc3164: rfc3164, framed: framed, maxMessageBytes: maxMessageBytes,
        includeSequence: includeSequence, hostname: hostname, appName: appName, messageID: messageID,
        omitHostname: omitHostname)
    var message = bytes[...]
    if framed {
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")),
            let length = Int(String(decoding: bytes[..<space], as: UTF8.self))
        else { preconditionFailure("invariant broken: a frame without a length prefix") }
        message = bytes[(space + 1)...]
        require(length == message.count, "frame length \(length) for \(message.count) bytes")
    }
    require(message.count <= maxMessageBytes, "\(message.count) bytes over the limit of \(maxMessageBytes)")
    guard let text = String(validating: message, as: UTF8.self) else {
        preconditionFailure("invariant broken: not valid UTF-8")
    }
    require(text.unicodeScalars.allSatisfy(isSafeInLine), "an unsafe character in \(text.debugDescription)")
    require(text.hasPrefix("<"), "no PRI")
    let pri = text.dropFirst().prefix { $0 != ">" }
    require(Int(pri).map { (0...191).contains($0) } == true, "PRI \(pri)")
    if !rfc3164 {
        require(text.dropFirst(pri.count + 2).hasPrefix("1 "), "no version")
        checkStructuredData(text, record: record)
    }
    return 0
}

/// The structured data sits after six header fields; it is `-` or a run of `[ID name="value" ...]`.
/// Parsed as bytes: a combining mark after a quote or bracket must not hide it (as it would in a
/// Swift `Character`).
func checkStructuredData(_ text: String, record: LogRecord) {
    var rest = Array(text.utf8)[...]
    for _ in 0..<6 {
        guard let space = rest.firstIndex(of: UInt8(ascii: " ")) else {
            preconditionFailure("invariant broken: fewer than seven header fields: \(text.debugDescription)")
        }
        rest = rest[(space + 1)...]
    }
    func take(_ byte: Character) -> Bool {
        guard rest.first == byte.asciiValue else { return false }
        rest = rest.dropFirst()
        return true
    }
    if take("-") {
        require(rest.isEmpty || rest.first == UInt8(ascii: " "), "no space after '-': \(text.debugDescription)")
        return
    }
    require(rest.first == UInt8(ascii: "["), "no structured data: \(text.debugDescription)")
    while take("[") {
        let id = rest.prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "]") }
        require(!id.isEmpty && id.count <= 32, "SD-ID of \(id.count) bytes")
        rest = rest.dropFirst(id.count)
        var names: Set<ArraySlice<UInt8>> = []
        while take(" ") {
            let name = rest.prefix { $0 != UInt8(ascii: "=") }
            require(
                (1...32).contains(name.count)
                    && name.allSatisfy { (33...126).contains($0) && !"=]\" ".utf8.contains($0) },
                "SD-NAME \(String(decoding: name, as: UTF8.self).debugDescription)")
            require(names.insert(name).inserted, "two parameters named \(String(decoding: name, as: UTF8.self))")
            rest = rest.dropFirst(name.count)
            require(take("=") && take("\""), "a parameter without =\": \(text.debugDescription)")
            while let first = rest.first, first != UInt8(ascii: "\"") {
                require(first != UInt8(ascii: "]"), "an unescaped ] in a value: \(text.debugDescription)")
                rest = rest.dropFirst(first == UInt8(ascii: "\\") ? 2 : 1)
            }
            require(take("\""), "an unterminated value: \(text.debugDescription)")
        }
        require(take("]"), "an element without ]: \(text.debugDescription)")
    }
    require(
        rest.isEmpty || rest.first == UInt8(ascii: " "), "no space after the structured data: \(text.debugDescription)")
}
