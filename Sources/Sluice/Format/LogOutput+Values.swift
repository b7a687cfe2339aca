extension LogOutput {
    /// Nesting deeper than this is rendered as a placeholder string, so hostile or accidental deep
    /// nesting cannot exhaust the stack.
    package static let maxNestingDepth = 32

    /// Appends a metadata value as JSON.
    package mutating func appendJSONValue(_ value: LogMetadataValue, limit: Int, depth: Int = 0) {
        switch value {
        case .string(let string):
            append(UInt8(ascii: "\""))
            appendEscaped(string, .json, limit: limit)
            append(UInt8(ascii: "\""))
        case .integer(let integer):
            appendInteger(integer)
        case .double(let double):
            if double.isFinite {
                appendUnescaped(double.description)
            } else {
                append("\"")
                appendUnescaped(double.isNaN ? "NaN" : double < 0 ? "-Infinity" : "Infinity")
                append("\"")
            }
        case .bool(let bool):
            append(bool ? "true" : "false")
        case .array(let values):
            guard depth < Self.maxNestingDepth else {
                append("\"[nested too deep]\"")
                return
            }
            append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 {
                    append(UInt8(ascii: ","))
                }
                appendJSONValue(element, limit: limit, depth: depth + 1)
            }
            append(UInt8(ascii: "]"))
        case .dictionary(let metadata):
            guard depth < Self.maxNestingDepth else {
                append("\"{nested too deep}\"")
                return
            }
            appendJSONObject(metadata.pairs, limit: limit, depth: depth + 1)
        }
    }

    /// Appends key/value pairs as a JSON object.
    package mutating func appendJSONObject(_ pairs: [(String, LogMetadataValue)], limit: Int, depth: Int) {
        append(UInt8(ascii: "{"))
        for (index, (key, value)) in pairs.enumerated() {
            if index > 0 {
                append(UInt8(ascii: ","))
            }
            appendJSONKey(key)
            appendJSONValue(value, limit: limit, depth: depth)
        }
        append(UInt8(ascii: "}"))
    }

    /// Appends `"key":` with the key JSON-escaped (``appendEscapedKey(_:reserved:)``: distinct keys
    /// stay distinct, long ones too).
    package mutating func appendJSONKey(_ key: String) {
        append(UInt8(ascii: "\""))
        appendEscapedKey(key)
        append("\":")
    }

    /// Appends a metadata value for text and logfmt: quoted and escaped when it must be, nested
    /// values as quoted JSON.
    package mutating func appendTextValue(_ value: LogMetadataValue, limit: Int) {
        switch value {
        case .string(let string):
            appendTextString(string, limit: limit)
        case .integer(let integer):
            appendInteger(integer)
        case .double(let double):
            appendUnescaped(double.description)
        case .bool(let bool):
            append(bool ? "true" : "false")
        case .array, .dictionary:
            var nested = LogOutput(capacity: 64)
            nested.appendJSONValue(value, limit: limit)
            appendTextString(nested.string, limit: .max)
        }
    }
}
