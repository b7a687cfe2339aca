extension LogOutput {
    /// Appends `text` as it is, without escaping, for destinations that keep text as data rather than
    /// as lines (a database column filled through a bound parameter or `COPY`).
    ///
    /// Text longer than `limit` UTF-8 bytes is cut at a character boundary and followed by the same
    /// marker ``appendEscaped(_:_:limit:)`` writes, `…[truncated, N bytes]`. With `replacingNUL`, each
    /// NUL becomes U+FFFD, for destinations that cannot hold one (PostgreSQL `text`).
    package mutating func appendVerbatim(_ text: String, limit: Int, replacingNUL: Bool = false) {
        Self.withUTF8(text) { utf8 in
            var end = utf8.count
            let truncated = end > limit
            if truncated {
                end = max(limit, 0)
                while end > 0 && utf8[end] & 0xC0 == 0x80 {
                    end -= 1  // back to the start of a UTF-8 sequence
                }
            }
            let kept = UnsafeBufferPointer(rebasing: utf8[0..<end])
            if replacingNUL && kept.contains(0) {
                for byte in kept {
                    if byte == 0 {
                        append("\u{FFFD}")
                    } else {
                        append(byte)
                    }
                }
            } else {
                append(contentsOf: kept)
            }
            if truncated {
                append("…[truncated, ")
                appendInteger(utf8.count)
                append(" bytes]")
            }
        }
    }

    /// Appends a record's merged metadata as one JSON object, `{}` without metadata (for a database
    /// column; the JSON Lines format writes its own `"metadata"` member).
    package mutating func appendJSONMetadata(of record: LogRecord, limit: Int) {
        append(UInt8(ascii: "{"))
        var first = true
        record.forEachMetadata { key, value in
            if !first {
                append(UInt8(ascii: ","))
            }
            first = false
            appendJSONKey(key)
            appendJSONValue(value, limit: limit, depth: 1)
        }
        append(UInt8(ascii: "}"))
    }
}
