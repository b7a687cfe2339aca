/// A ``Redaction`` compiled for the collector's thread: decides whether an encoded record holds
/// anything to redact (reading it in place, allocating nothing), and writes the redacted copy.
///
/// Not `Sendable`: it holds compiled regular expressions and scratch buffers, and belongs to the
/// collector's stage runner.
package final class RecordRedactor {
    private let keys: RedactionKeys
    private let builtIns: (bearer: Bool, cards: Bool, emails: Bool, aws: Bool)
    private let regexes: [Regex<AnyRegexOutput>]
    private let customs: [@Sendable (String) -> [Range<String.Index>]]
    private let hasPatterns: Bool
    private let redactsMessages: Bool
    /// The marker's UTF-8 bytes, with their read slack.
    private let marker: UnsafeMutableBufferPointer<UInt8>
    // Dynamic exclusivity checks are off: the redactor is used by one thread (the collector's), one
    // call at a time, so no two accesses can overlap.
    /// Scratch for the matches in one string.
    @exclusivity(unchecked) private var ranges: [Range<Int>] = []

    package init(_ redaction: Redaction) {
        keys = RedactionKeys(redaction.keys)
        var bearer = false
        var cards = false
        var emails = false
        var aws = false
        var regexes: [Regex<AnyRegexOutput>] = []
        var customs: [@Sendable (String) -> [Range<String.Index>]] = []
        for pattern in redaction.patterns {
            switch pattern.kind {
            case .bearerTokens: bearer = true
            case .cardNumbers: cards = true
            case .emailAddresses: emails = true
            case .awsAccessKeys: aws = true
            case .regex(let source):
                // Validated when the pattern was made; a failure here cannot happen, and would only
                // leave the pattern out.
                if let regex = try? Regex(source) {
                    regexes.append(regex)
                }
            case .custom(let find): customs.append(find)
            }
        }
        builtIns = (bearer, cards, emails, aws)
        self.regexes = regexes
        self.customs = customs
        hasPatterns = !redaction.patterns.isEmpty
        redactsMessages = redaction.redactsMessages && hasPatterns
        let bytes = Array(redaction.marker.utf8)
        marker = .allocate(capacity: bytes.count + RecordLayout.readSlack)
        marker.initialize(repeating: 0)
        _ = marker.initialize(from: bytes)
        markerCount = bytes.count
        ranges.reserveCapacity(16)
    }

    private let markerCount: Int

    deinit {
        marker.deallocate()
    }

    private var markerBytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: marker.baseAddress, count: markerCount)
    }

    // MARK: Deciding

    /// Whether `record` holds a key to redact or, with patterns, a match in a string value (or the
    /// message). Reads the record in place, in one pass over its bytes.
    package func needsRedaction(_ record: EncodedRecord) -> Bool {
        let flags = record.flags
        var layers =
            flags
            & (RecordLayout.Flags.callMetadata | RecordLayout.Flags.loggerMetadata
                | RecordLayout.Flags.contextMetadata)
        guard layers != 0 || redactsMessages else { return false }
        var reader = RecordReader(record.base + RecordLayout.headerSize)
        reader.skip(reader.length())
        if redactsMessages {
            if findMatches(in: reader.bytes()) {
                return true
            }
        } else {
            reader.skip(reader.length())
        }
        if flags & RecordLayout.Flags.inlineSource != 0 {
            reader.skip(reader.length())
            reader.skip(reader.length())
            reader.skip(8)
        }
        while layers != 0 {
            layers &= layers &- 1
            if entriesNeedRedaction(&reader, count: reader.length()) {
                return true
            }
        }
        return false
    }

    /// Reads `count` entries; true as soon as one needs redacting (the reader is then left
    /// somewhere inside them).
    @inline(__always)
    private func entriesNeedRedaction(_ reader: inout RecordReader, count: Int) -> Bool {
        for _ in 0..<count {
            let key = reader.bytes()
            if keys.contains(key) || valueNeedsRedaction(&reader) {
                return true
            }
        }
        return false
    }

    /// Reads one value; true when it needs redacting. Scalars are stepped over without being read,
    /// unless patterns look into strings.
    @inline(__always)
    private func valueNeedsRedaction(_ reader: inout RecordReader) -> Bool {
        switch reader.byte() {
        case RecordLayout.Tag.string:
            let text = reader.bytes()
            return hasPatterns && findMatches(in: text)
        case RecordLayout.Tag.integer, RecordLayout.Tag.double:
            reader.skip(8)
            return false
        case RecordLayout.Tag.array, RecordLayout.Tag.dictionary:
            return nestedNeedsRedaction(&reader)
        default:
            return false
        }
    }

    /// An array or dictionary (its tag just read): its byte length, count and elements.
    @inline(never)
    private func nestedNeedsRedaction(_ reader: inout RecordReader) -> Bool {
        let isDictionary = reader.cursor.load(fromByteOffset: -1, as: UInt8.self) == RecordLayout.Tag.dictionary
        let byteLength: UInt32 = reader.raw()
        let end = reader.cursor + Int(byteLength)
        var inner = reader
        reader = RecordReader(end)
        let count = inner.length()
        if isDictionary {
            return entriesNeedRedaction(&inner, count: count)
        }
        for _ in 0..<count where valueNeedsRedaction(&inner) {
            return true
        }
        return false
    }

    /// Fills `ranges` with the merged matches of every pattern in `text`; returns whether any.
    @discardableResult
    private func findMatches(in text: UnsafeBufferPointer<UInt8>) -> Bool {
        ranges.removeAll(keepingCapacity: true)
        guard hasPatterns, !text.isEmpty else { return false }
        if builtIns.bearer {
            SecretScanner.bearerTokens(in: text, into: &ranges)
        }
        if builtIns.cards {
            SecretScanner.cardNumbers(in: text, into: &ranges)
        }
        if builtIns.emails {
            SecretScanner.emailAddresses(in: text, into: &ranges)
        }
        if builtIns.aws {
            SecretScanner.awsAccessKeys(in: text, into: &ranges)
        }
        if !regexes.isEmpty || !customs.isEmpty {
            findUserMatches(in: text)
        }
        SecretScanner.normalize(&ranges)
        return !ranges.isEmpty
    }

    /// Runs the regular expressions and custom finders, which need a `String`.
    @inline(never)
    private func findUserMatches(in text: UnsafeBufferPointer<UInt8>) {
        let string = String(decoding: text, as: UTF8.self)
        guard string.utf8.count == text.count else {
            // Not valid UTF-8 (never the case for a record the pipeline encoded): offsets would not
            // line up, so hide it all rather than guess.
            ranges.append(0..<text.count)
            return
        }
        func add(_ range: Range<String.Index>) {
            guard range.lowerBound >= string.startIndex, range.upperBound <= string.endIndex else { return }
            let lower = string.utf8.distance(from: string.startIndex, to: range.lowerBound)
            let upper = string.utf8.distance(from: string.startIndex, to: range.upperBound)
            if lower < upper {
                ranges.append(lower..<upper)
            }
        }
        for regex in regexes {
            for range in string.ranges(of: regex) {
                add(range)
            }
        }
        for find in customs {
            for range in find(string) {
                add(range)
            }
        }
    }

    // MARK: Rewriting

    /// The size of the redacted copy of `record`, header and alignment included; with `mark`, the
    /// copy also carries `backtrace=true` in its call-site metadata.
    package func rewrittenSize(_ record: EncodedRecord, mark: Bool = false, redacting: Bool = true) -> Int {
        var output = RecordOutput(base: nil)
        write(record, to: &output, extraFlags: 0, clearingFlags: 0, mark: mark, redacting: redacting)
        return output.count
    }

    /// Writes the redacted copy of `record` at `base` (8-byte aligned,
    /// ``rewrittenSize(_:mark:redacting:)`` bytes) with `extraFlags` added to its flags; without
    /// `redacting`, an unredacted copy (to mark it). Returns its size.
    @discardableResult
    package func rewrite(
        _ record: EncodedRecord, to base: UnsafeMutableRawPointer, extraFlags: UInt8, clearingFlags: UInt8 = 0,
        mark: Bool = false, redacting: Bool = true
    ) -> Int {
        var output = RecordOutput(base: base)
        write(
            record, to: &output, extraFlags: extraFlags, clearingFlags: clearingFlags, mark: mark, redacting: redacting)
        return output.count
    }

    private func write(
        _ record: EncodedRecord, to output: inout RecordOutput, extraFlags: UInt8, clearingFlags: UInt8, mark: Bool,
        redacting: Bool
    ) {
        let sections = record.sections
        output.copy(record.base, RecordLayout.headerSize)
        output.string(sections.label)
        if redacting && redactsMessages {
            redacted(sections.message, to: &output)
        } else {
            output.string(sections.message)
        }
        if let source = sections.inlineSource {
            output.string(source.file)
            output.string(source.function)
            output.raw(UInt64(source.line))
        }
        var flags = (record.flags & ~clearingFlags) | extraFlags
        if mark || sections.call.count > 0 {
            flags |= RecordLayout.Flags.callMetadata
            output.length(sections.call.count + (mark ? 1 : 0))
            entries(sections.call, to: &output, redacting: redacting)
            if mark {
                Self.backtraceKey.withUTF8Buffer { output.string($0) }
                output.byte(RecordLayout.Tag.trueValue)
            }
        }
        if sections.logger.count > 0 {
            output.length(sections.logger.count)
            entries(sections.logger, to: &output, redacting: redacting)
        }
        if sections.context.count > 0 {
            output.length(sections.context.count)
            entries(sections.context, to: &output, redacting: redacting)
        }
        let size = RecordLayout.aligned(output.count)
        output.pad(to: size)
        output.patchHeader(size: size, flags: flags)
    }

    /// The key a record written out of a backtrace carries, with the value `true`.
    package static let backtraceKey: StaticString = "backtrace"

    private func entries(_ entries: EncodedMetadata, to output: inout RecordOutput, redacting: Bool) {
        guard var cursor = entries.start else { return }
        for _ in 0..<entries.count {
            var reader = RecordReader(cursor)
            let key = reader.bytes()
            let value = reader.value()
            cursor = reader.cursor
            output.string(key)
            if redacting && keys.contains(key) {
                output.byte(RecordLayout.Tag.string)
                output.string(markerBytes)
            } else {
                self.value(value, to: &output, redacting: redacting)
            }
        }
    }

    private func value(_ value: EncodedValue, to output: inout RecordOutput, redacting: Bool) {
        switch value {
        case .string(let text):
            output.byte(RecordLayout.Tag.string)
            if redacting && hasPatterns {
                redacted(text, to: &output)
            } else {
                output.string(text)
            }
        case .integer(let integer):
            output.byte(RecordLayout.Tag.integer)
            output.raw(Int64(integer))
        case .double(let double):
            output.byte(RecordLayout.Tag.double)
            output.raw(double.bitPattern)
        case .bool(let bool):
            output.byte(bool ? RecordLayout.Tag.trueValue : RecordLayout.Tag.falseValue)
        case .array(let count, let start):
            output.byte(RecordLayout.Tag.array)
            let sizeField = output.count
            output.raw(UInt32(0))
            output.length(count)
            var reader = RecordReader(start)
            for _ in 0..<count {
                self.value(reader.value(), to: &output, redacting: redacting)
            }
            output.patchLength(at: sizeField)
        case .dictionary(let nested):
            output.byte(RecordLayout.Tag.dictionary)
            let sizeField = output.count
            output.raw(UInt32(0))
            output.length(nested.count)
            entries(nested, to: &output, redacting: redacting)
            output.patchLength(at: sizeField)
        case .tooDeep(let isArray):
            output.byte(isArray ? RecordLayout.Tag.arrayTooDeep : RecordLayout.Tag.dictionaryTooDeep)
        }
    }

    /// Writes `text` with every match replaced by the marker.
    private func redacted(_ text: UnsafeBufferPointer<UInt8>, to output: inout RecordOutput) {
        guard findMatches(in: text) else {
            output.string(text)
            return
        }
        var length = text.count
        for range in ranges {
            length += markerCount - range.count
        }
        output.length(length)
        var position = 0
        for range in ranges {
            output.bytes(UnsafeBufferPointer(rebasing: text[position..<range.lowerBound]))
            output.bytes(markerBytes)
            position = range.upperBound
        }
        output.bytes(UnsafeBufferPointer(rebasing: text[position..<text.count]))
    }

    // MARK: Text

    /// `text` with every pattern match replaced by the marker (for tests and the fuzz target).
    package func redactedText(_ text: String) -> String {
        var utf8 = Array(text.utf8)
        utf8.append(contentsOf: repeatElement(0, count: RecordLayout.readSlack))
        return utf8.withUnsafeBufferPointer { all in
            let bytes = UnsafeBufferPointer(rebasing: all[0..<(all.count - RecordLayout.readSlack)])
            guard findMatches(in: bytes) else { return text }
            var result: [UInt8] = []
            var position = 0
            for range in ranges {
                result += bytes[position..<range.lowerBound]
                result += markerBytes
                position = range.upperBound
            }
            result += bytes[position...]
            return String(decoding: result, as: UTF8.self)
        }
    }

    /// Whether `key` is one this redaction hides.
    package func redactsKey(_ key: String) -> Bool {
        var bytes = Array(key.utf8)
        let count = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: RecordLayout.readSlack))
        return bytes.withUnsafeBufferPointer { keys.contains(UnsafeBufferPointer(rebasing: $0[0..<count])) }
    }
}

/// Writes (or, without a base, only measures) a record's bytes.
package struct RecordOutput {
    package let base: UnsafeMutableRawPointer?
    package private(set) var count = 0

    package init(base: UnsafeMutableRawPointer?) {
        self.base = base
    }

    @inline(__always)
    package mutating func byte(_ value: UInt8) {
        base?.storeBytes(of: value, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always)
    package mutating func raw<T: FixedWidthInteger>(_ value: T) {
        base?.storeBytes(of: value, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    @inline(__always)
    package mutating func length(_ length: Int) {
        if length < 255 {
            byte(UInt8(truncatingIfNeeded: length))
        } else {
            byte(255)
            raw(UInt32(truncatingIfNeeded: length))
        }
    }

    /// Bytes without a length.
    @inline(__always)
    package mutating func bytes(_ buffer: UnsafeBufferPointer<UInt8>) {
        if let base, let source = buffer.baseAddress, !buffer.isEmpty {
            (base + count).copyMemory(from: source, byteCount: buffer.count)
        }
        count += buffer.count
    }

    /// A length, then the bytes.
    @inline(__always)
    package mutating func string(_ buffer: UnsafeBufferPointer<UInt8>) {
        length(buffer.count)
        bytes(buffer)
    }

    package mutating func copy(_ source: UnsafeRawPointer, _ byteCount: Int) {
        base.map { ($0 + count).copyMemory(from: source, byteCount: byteCount) }
        count += byteCount
    }

    /// Fills the bytes up to `size` (alignment padding) with zeros.
    package mutating func pad(to size: Int) {
        if let base, size > count {
            (base + count).initializeMemory(as: UInt8.self, repeating: 0, count: size - count)
        }
        count = max(count, size)
    }

    /// Sets a nested value's byte length: what was written after its 4-byte field at `offset`.
    package mutating func patchLength(at offset: Int) {
        base?.storeBytes(of: UInt32(truncatingIfNeeded: count - offset - 4), toByteOffset: offset, as: UInt32.self)
    }

    /// Sets the header's size and flags (the header was copied first, at offset 0).
    package mutating func patchHeader(size: Int, flags: UInt8) {
        base?.storeBytes(of: UInt32(truncatingIfNeeded: size), toByteOffset: RecordLayout.sizeOffset, as: UInt32.self)
        base?.storeBytes(of: flags, toByteOffset: RecordLayout.flagsOffset, as: UInt8.self)
    }
}
