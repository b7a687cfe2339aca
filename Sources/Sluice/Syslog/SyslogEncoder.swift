/// Renders records as syslog messages (RFC 5424 or RFC 3164) and frames them (RFC 6587 octet
/// counting). Pure: no I/O, no clock.
///
/// Untrusted text can never forge a second record: CR, LF and other controls in messages, values
/// and keys are escaped as in ``TextFormat`` (`\n`, `\r`, `\x1b`…), structured-data values escape
/// `"`, `\` and `]` (RFC 5424 §6.3.3), and keys are reduced to valid SD-NAMEs.
package struct SyslogEncoder: Sendable {
    package var format: SyslogMessageFormat
    package var facility: SyslogFacility
    package var hostname: String
    package var appName: String
    package var procID: String
    /// Use the record's label as MSGID; otherwise `fixedMessageID` (or `-`).
    package var labelAsMessageID: Bool
    package var fixedMessageID: String?
    package var structuredDataID: String
    package var includeSequence: Bool
    package var maxMessageBytes: Int
    /// RFC 3164 only: leave the hostname out (the local socket convention).
    package var omitHostname: Bool

    package init(
        format: SyslogMessageFormat,
        facility: SyslogFacility,
        hostname: String,
        appName: String,
        procID: String,
        labelAsMessageID: Bool,
        fixedMessageID: String?,
        structuredDataID: String,
        includeSequence: Bool,
        maxMessageBytes: Int,
        omitHostname: Bool
    ) {
        self.format = format
        self.facility = facility
        self.hostname = hostname
        self.appName = appName
        self.procID = procID
        self.labelAsMessageID = labelAsMessageID
        self.fixedMessageID = fixedMessageID
        self.structuredDataID = structuredDataID
        self.includeSequence = includeSequence
        self.maxMessageBytes = maxMessageBytes
        self.omitHostname = omitHostname
    }

    /// The syslog severity (RFC 5424 §6.2.1) for a level. Syslog has no trace: trace and debug are
    /// both 7 (debug); notice is 5.
    package static func severity(_ level: LogLevel) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// `facility × 8 + severity`.
    package func priority(_ level: LogLevel) -> Int {
        Int(facility.code) * 8 + Self.severity(level)
    }

    /// Appends one message, without framing, at most `maxMessageBytes` long.
    package func append(_ record: LogRecord, to output: inout LogOutput, scratch: inout LogOutput) {
        switch format.kind {
        case .rfc5424: appendRFC5424(record, to: &output, scratch: &scratch)
        case .rfc3164: appendRFC3164(record, to: &output, scratch: &scratch)
        }
    }

    /// Appends one octet-counted frame (RFC 6587): `LENGTH SP MESSAGE`. `message` and `scratch` are
    /// reusable buffers.
    package func appendFrame(
        _ record: LogRecord,
        to output: inout LogOutput,
        message: inout LogOutput,
        scratch: inout LogOutput
    ) {
        message.removeAll()
        append(record, to: &message, scratch: &scratch)
        output.appendInteger(message.count)
        output.append(UInt8(ascii: " "))
        message.withUnsafeBytes { output.append(contentsOf: $0.bindMemory(to: UInt8.self)) }
    }

    // MARK: RFC 5424

    private func appendRFC5424(_ record: LogRecord, to output: inout LogOutput, scratch: inout LogOutput) {
        let headerStart = output.count
        output.append(UInt8(ascii: "<"))
        output.appendInteger(priority(record.level))
        output.append(">1 ")
        output.appendTimestamp(record.timestamp, fractionDigits: 6)
        output.append(UInt8(ascii: " "))
        Self.appendHeaderField(hostname, maxBytes: 255, to: &output)
        output.append(UInt8(ascii: " "))
        Self.appendHeaderField(appName, maxBytes: 48, to: &output)
        output.append(UInt8(ascii: " "))
        Self.appendHeaderField(procID, maxBytes: 128, to: &output)
        output.append(UInt8(ascii: " "))
        Self.appendHeaderField(labelAsMessageID ? record.label : fixedMessageID ?? "", maxBytes: 32, to: &output)
        output.append(UInt8(ascii: " "))
        let headerBytes = output.count - headerStart

        // Structured data, then the message, each measured so an oversized record can be cut.
        let sdStart = output.count
        appendStructuredData(record, to: &output, scratch: &scratch)
        var sdBytes = output.count - sdStart
        if headerBytes + sdBytes + 1 + Self.minimumMessageRoom > maxMessageBytes {
            // The structured data alone would not fit: replace it, keep the message.
            output.removeLast(sdBytes)
            output.append("[")
            output.appendUnescaped(structuredDataID)
            output.append(" truncated=\"")
            output.appendInteger(sdBytes)
            output.append(" bytes of structured data dropped\"]")
            sdBytes = output.count - sdStart
        }
        appendMessage(record.message, room: maxMessageBytes - headerBytes - sdBytes, to: &output, scratch: &scratch)
    }

    /// Room kept for at least the start of the message and the truncation marker.
    private static let minimumMessageRoom = 96

    private func appendStructuredData(_ record: LogRecord, to output: inout LogOutput, scratch: inout LogOutput) {
        let start = output.count
        if record.hasMetadata {
            output.append(UInt8(ascii: "["))
            output.appendUnescaped(structuredDataID)
            record.forEachMetadata { key, value in
                output.append(UInt8(ascii: " "))
                Self.appendSDName(key, to: &output)
                output.append("=\"")
                scratch.removeAll()
                scratch.appendTextValueRaw(value, limit: maxMessageBytes)
                Self.appendSDValue(scratch, to: &output)
                output.append(UInt8(ascii: "\""))
            }
            output.append(UInt8(ascii: "]"))
        }
        if includeSequence {
            // The IANA-registered meta element; sequenceId runs 1...2147483647 and then restarts.
            output.append("[meta sequenceId=\"")
            output.appendInteger(Int((record.sequence &- 1) % 2_147_483_647) + 1)
            output.append("\"]")
        }
        if output.count == start {
            output.append(UInt8(ascii: "-"))
        }
    }

    /// Appends ` MSG`, escaped onto one line and cut with a marker to fit `room` bytes.
    private func appendMessage(_ message: String, room: Int, to output: inout LogOutput, scratch: inout LogOutput) {
        guard !message.isEmpty else { return }
        scratch.removeAll()
        scratch.appendEscaped(message, .text)
        let available = room - 1
        if scratch.count <= available {
            output.append(UInt8(ascii: " "))
            scratch.withUnsafeBytes { output.append(contentsOf: $0.bindMemory(to: UInt8.self)) }
            return
        }
        var marker = LogOutput(capacity: 48)
        marker.append("…[truncated, ")
        marker.appendInteger(message.utf8.count)
        marker.append(" bytes]")
        var keep = max(available - marker.count, 0)
        scratch.withUnsafeBytes { bytes in
            while keep > 0 && keep < bytes.count && bytes[keep] & 0xC0 == 0x80 {
                keep -= 1  // cut at a character boundary
            }
            output.append(UInt8(ascii: " "))
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes.bindMemory(to: UInt8.self)[0..<keep]))
        }
        marker.withUnsafeBytes { output.append(contentsOf: $0.bindMemory(to: UInt8.self)) }
    }

    // MARK: RFC 3164

    /// The body's own `sequence=` field, which no metadata key may shadow.
    private static let sequenceKey = LogOutput.ReservedKeys(["sequence"])

    private static let months: [StaticString] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    private func appendRFC3164(_ record: LogRecord, to output: inout LogOutput, scratch: inout LogOutput) {
        let start = output.count
        output.append(UInt8(ascii: "<"))
        output.appendInteger(priority(record.level))
        output.append(UInt8(ascii: ">"))
        // "Mmm dd hh:mm:ss" from the RFC 3339 rendering "YYYY-MM-DDThh:mm:ss".
        scratch.removeAll()
        scratch.appendTimestamp(record.timestamp, fractionDigits: 0)
        let stamp = scratch.bytes
        let month = (Int(stamp[5]) - 48) * 10 + Int(stamp[6]) - 48
        output.append(Self.months[max(min(month, 12), 1) - 1])
        output.append(UInt8(ascii: " "))
        output.append(stamp[8] == UInt8(ascii: "0") ? UInt8(ascii: " ") : stamp[8])
        output.append(stamp[9])
        output.append(UInt8(ascii: " "))
        stamp.withUnsafeBufferPointer { output.append(contentsOf: UnsafeBufferPointer(rebasing: $0[11..<19])) }
        output.append(UInt8(ascii: " "))
        if !omitHostname {
            Self.appendHeaderField(hostname, maxBytes: 255, to: &output)
            output.append(UInt8(ascii: " "))
        }
        Self.appendTag(appName, to: &output)
        output.append(UInt8(ascii: "["))
        Self.appendHeaderField(procID, maxBytes: 32, to: &output)
        output.append("]:")
        // The message and the metadata as logfmt pairs, all on one line.
        var body = LogOutput(capacity: 256)
        body.appendEscaped(record.message, .text)
        record.forEachMetadata { key, value in
            body.append(UInt8(ascii: " "))
            body.appendKey(key, reserved: includeSequence ? Self.sequenceKey : .none)
            body.append(UInt8(ascii: "="))
            body.appendTextValue(value, limit: maxMessageBytes)
        }
        if includeSequence {
            body.append(" sequence=")
            body.appendInteger(Int(truncatingIfNeeded: record.sequence))
        }
        let room = maxMessageBytes - (output.count - start)
        swap(&body, &scratch)
        appendMessage(scratch.isEmpty ? "" : scratch.string, room: room, to: &output, scratch: &body)
    }

    // MARK: Fields

    /// A header field: PRINTUSASCII only (anything else becomes `_`), at most `maxBytes`, `-` when
    /// empty.
    package static func appendHeaderField(_ text: String, maxBytes: Int, to output: inout LogOutput) {
        var n = 0
        for scalar in text.unicodeScalars {
            guard n < maxBytes else { break }
            output.append((33...126).contains(scalar.value) ? UInt8(scalar.value) : UInt8(ascii: "_"))
            n += 1
        }
        if n == 0 {
            output.append(UInt8(ascii: "-"))
        }
    }

    /// An RFC 3164 TAG: letters, digits, `.`, `-`, `_`, at most 32 characters.
    private static func appendTag(_ text: String, to output: inout LogOutput) {
        var n = 0
        for scalar in text.unicodeScalars where n < 32 {
            let ok =
                (48...57).contains(scalar.value) || (65...90).contains(scalar.value)
                || (97...122).contains(scalar.value) || scalar == "." || scalar == "-" || scalar == "_"
            output.append(ok ? UInt8(scalar.value) : UInt8(ascii: "_"))
            n += 1
        }
        if n == 0 {
            output.append("sluice")
        }
    }

    /// An SD-NAME (RFC 5424 §6.3.3): 1 to 32 printable ASCII characters other than `=`, space, `]`
    /// and `"`. The mapping is injective: those four, `%`, controls and every non-ASCII byte are
    /// percent-encoded (`a b` → `a%20b`), an empty key is a lone `%`, and a name that would exceed
    /// 32 characters keeps its first 18 and ends in `%~` and 12 hex digits of a 64-bit FNV-1a hash
    /// of the whole key (so two long keys collide only if they share those 18 characters and 48 bits
    /// of hash).
    package static func appendSDName(_ key: String, to output: inout LogOutput) {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(32)
        for byte in key.utf8 {
            let valid =
                (33...126).contains(byte) && byte != UInt8(ascii: "=") && byte != UInt8(ascii: "]")
                && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "%")
            if valid {
                encoded.append(byte)
            } else {
                encoded += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            }
            if encoded.count > 32 {
                break
            }
        }
        if encoded.isEmpty {
            output.append(UInt8(ascii: "%"))
            return
        }
        if encoded.count > 32 {
            var keep = 18
            // Never cut a %XX in two.
            if encoded[keep - 1] == UInt8(ascii: "%") {
                keep -= 1
            } else if encoded[keep - 2] == UInt8(ascii: "%") {
                keep -= 2
            }
            encoded.removeSubrange(keep...)
            encoded += Array("%~".utf8)
            let hash =
                key.utf8.withContiguousStorageIfAvailable { LogOutput.keyHash($0) }
                ?? {
                    var copy = key
                    return copy.withUTF8 { LogOutput.keyHash($0) }
                }()
            for shift in stride(from: 44, through: 0, by: -4) {
                encoded.append(hexDigits[Int((hash >> UInt64(shift)) & 0xF)])
            }
        }
        encoded.withUnsafeBufferPointer { output.append(contentsOf: $0) }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Whether `id` is a valid SD-ID (an SD-NAME, with `@` only in `name@enterprise` form).
    package static func isValidStructuredDataID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 32 else { return false }
        return id.unicodeScalars.allSatisfy { scalar in
            (33...126).contains(scalar.value) && scalar != "=" && scalar != "]" && scalar != "\""
        }
    }

    /// Copies an already line-escaped value, escaping `"`, `\` and `]` with a backslash.
    private static func appendSDValue(_ value: borrowing LogOutput, to output: inout LogOutput) {
        value.withUnsafeBytes { bytes in
            for byte in bytes {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "]") {
                    output.append(UInt8(ascii: "\\"))
                }
                output.append(byte)
            }
        }
    }
}

extension LogOutput {
    /// A metadata value as plain text for a syslog SD-PARAM: strings escaped onto one line but not
    /// quoted, numbers as digits, nested values as JSON.
    package mutating func appendTextValueRaw(_ value: LogMetadataValue, limit: Int) {
        switch value {
        case .string(let string):
            appendEscaped(string, .text, limit: limit)
        case .integer(let integer):
            appendInteger(integer)
        case .double(let double):
            appendUnescaped(double.description)
        case .bool(let bool):
            append(bool ? "true" : "false")
        case .array, .dictionary:
            appendJSONValue(value, limit: limit)
        }
    }
}
