extension EncodedRecord {
    /// The source line, inline or from the location table.
    package func sourceLine(_ sections: Sections, table: SourceLocationTable = .shared) -> UInt {
        if let inline = sections.inlineSource {
            return inline.line
        }
        return table.withSource(sourceID) { $0.line }
    }

    /// Calls `body` with the UTF-8 of the source file and function.
    package func withSourceNames<R>(
        _ sections: Sections,
        table: SourceLocationTable = .shared,
        _ body: (_ file: UnsafeBufferPointer<UInt8>, _ function: UnsafeBufferPointer<UInt8>) -> R
    ) -> R {
        if let inline = sections.inlineSource {
            return body(inline.file, inline.function)
        }
        return table.withSource(sourceID) { source in
            LogOutput.withUTF8(source.file) { file in
                LogOutput.withUTF8(source.function) { function in body(file, function) }
            }
        }
    }
}

extension LogOutput {
    /// Appends the record's source file, escaped.
    package mutating func appendSourceFile(
        _ record: EncodedRecord, _ sections: EncodedRecord.Sections, _ style: EscapeStyle = .text
    ) {
        record.withSourceNames(sections) { file, _ in appendEscaped(file, style.kind, limit: 1024) }
    }

    /// Appends the record's source function, escaped.
    package mutating func appendSourceFunction(
        _ record: EncodedRecord, _ sections: EncodedRecord.Sections, _ style: EscapeStyle = .text
    ) {
        record.withSourceNames(sections) { _, function in appendEscaped(function, style.kind, limit: 1024) }
    }

    /// Appends `file:line` as one text or logfmt value (quoted when it must be).
    package mutating func appendSourceLocationTextString(_ record: EncodedRecord, _ sections: EncodedRecord.Sections) {
        let start = count
        record.withSourceNames(sections) { file, _ in append(contentsOf: file) }
        append(UInt8(ascii: ":"))
        appendInteger(Int(truncatingIfNeeded: record.sourceLine(sections)))
        let length = count - start
        withScratch(copying: start, count: length) { output, location in
            output.removeLast(length)
            output.appendTextString(location, limit: 1024)
        }
    }
}
