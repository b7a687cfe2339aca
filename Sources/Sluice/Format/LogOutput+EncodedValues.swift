extension LogOutput {
    /// What an array nested deeper than ``maxNestingDepth`` is written as.
    package static let arrayTooDeep = "[nested too deep]"
    /// What a dictionary nested deeper than ``maxNestingDepth`` is written as.
    package static let dictionaryTooDeep = "{nested too deep}"

    /// Appends an encoded metadata value as JSON.
    package mutating func appendJSONValue(_ value: EncodedValue, limit: Int) {
        switch value {
        case .string(let utf8):
            append(UInt8(ascii: "\""))
            appendEscaped(utf8, .json, limit: limit)
            append(UInt8(ascii: "\""))
        case .integer(let integer):
            appendInteger(integer)
        case .double(let double):
            appendJSONDouble(double)
        case .bool(let bool):
            append(bool ? "true" : "false")
        case .array(let count, let start):
            append(UInt8(ascii: "["))
            var first = true
            EncodedValue.forEachElement(count: count, start: start) { element in
                if !first {
                    append(UInt8(ascii: ","))
                }
                first = false
                appendJSONValue(element, limit: limit)
            }
            append(UInt8(ascii: "]"))
        case .dictionary(let entries):
            appendJSONObject(entries, limit: limit)
        case .tooDeep(let isArray):
            append(UInt8(ascii: "\""))
            appendUnescaped(isArray ? Self.arrayTooDeep : Self.dictionaryTooDeep)
            append(UInt8(ascii: "\""))
        }
    }

    /// Appends encoded entries as a JSON object.
    package mutating func appendJSONObject(_ entries: EncodedMetadata, limit: Int) {
        append(UInt8(ascii: "{"))
        var first = true
        entries.forEach { key, value in
            if !first {
                append(UInt8(ascii: ","))
            }
            first = false
            appendJSONKey(key)
            appendJSONValue(value, limit: limit)
        }
        append(UInt8(ascii: "}"))
    }

    /// Appends `"key":` with the key JSON-escaped.
    @inline(__always)
    package mutating func appendJSONKey(_ key: UnsafeBufferPointer<UInt8>) {
        append(UInt8(ascii: "\""))
        appendEscapedKey(key)
        append("\":")
    }

    /// A finite double as JSON's number, the rest as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
    package mutating func appendJSONDouble(_ double: Double) {
        if double.isFinite {
            appendUnescaped(double.description)
        } else {
            append(double.isNaN ? "\"NaN\"" : double < 0 ? "\"-Infinity\"" : "\"Infinity\"")
        }
    }

    /// Appends an encoded metadata value for text and logfmt: quoted and escaped when it must be,
    /// nested values as quoted JSON.
    @inline(__always)
    package mutating func appendTextValue(_ value: EncodedValue, limit: Int) {
        switch value {
        case .string(let utf8):
            appendTextString(utf8, limit: limit)
        case .integer(let integer):
            appendInteger(integer)
        case .double(let double):
            appendUnescaped(double.description)
        case .bool(let bool):
            append(bool ? "true" : "false")
        case .array, .dictionary, .tooDeep:
            appendNestedTextValue(value, limit: limit)
        }
    }

    /// Renders a nested value as JSON after the formatted bytes, moves it to the scratch buffer and
    /// appends it back as a quoted text string (so the buffer never grows a second copy per record).
    @inline(never)
    private mutating func appendNestedTextValue(_ value: EncodedValue, limit: Int) {
        let start = count
        appendJSONValue(value, limit: limit)
        let length = count - start
        withScratch(copying: start, count: length) { output, json in
            output.removeLast(length)
            output.appendTextString(json, limit: .max)
        }
    }
}
