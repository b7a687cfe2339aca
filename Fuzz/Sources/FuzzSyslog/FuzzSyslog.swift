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
func checkStructuredData(_ text: String, record: LogRecord) {
    var fields = text.split(separator: " ", maxSplits: 6, omittingEmptySubsequences: false)
    require(fields.count >= 7, "fewer than seven header fields")
    var rest = Substring(fields.removeLast())
    if rest.hasPrefix("-") {
        return
    }
    while rest.hasPrefix("[") {
        rest = rest.dropFirst()
        let id = rest.prefix { $0 != " " && $0 != "]" }
        require(!id.isEmpty && id.utf8.count <= 32, "SD-ID \(id)")
        rest = rest.dropFirst(id.count)
        var names: Set<Substring> = []
        while rest.hasPrefix(" ") {
            rest = rest.dropFirst()
            let name = rest.prefix { $0 != "=" }
            require(
                (1...32).contains(name.utf8.count)
                    && name.utf8.allSatisfy { (33...126).contains($0) && !"=]\" ".utf8.contains($0) },
                "SD-NAME \(name.debugDescription)")
            require(names.insert(name).inserted || id != "sluice@32473", "two parameters named \(name)")
            rest = rest.dropFirst(name.count)
            require(rest.hasPrefix("=\""), "a parameter without =\"")
            rest = rest.dropFirst(2)
            while let first = rest.first, first != "\"" {
                if first == "\\" {
                    rest = rest.dropFirst()
                } else {
                    require(first != "]", "an unescaped ] in a value")
                }
                rest = rest.dropFirst()
            }
            require(rest.hasPrefix("\""), "an unterminated value")
            rest = rest.dropFirst()
        }
        require(rest.hasPrefix("]"), "an element without ]")
        rest = rest.dropFirst()
    }
    require(rest.isEmpty || rest.hasPrefix(" "), "no space after the structured data")
}
