/// The names of one log file and its archives: `app.log` → `app.2026-11-23T12-00-00.000000Z.log`,
/// then `….log.gz` once compressed (and `….log.gz.tmp` while compressing).
///
/// The UTC time in the name is when the file was rotated out (the end of the period it covers), to
/// the microsecond. Names sort lexically in time order, never change once written (so compression
/// and retention never race with a rename), and cannot be confused with another sink's files or
/// with anything else in the directory.
package struct ArchiveNaming: Sendable, Hashable {
    package enum Kind: Sendable, Hashable {
        case plain
        case gzip
        case gzipTemporary
    }

    /// The live file's name, e.g. `app.log`.
    package let liveName: String
    /// The part before the extension, e.g. `app`.
    package let stem: String
    /// The extension with its dot, e.g. `.log`, or empty.
    package let fileExtension: String

    package static let timestampLength = 27  // 2026-11-23T12-00-00.000000Z

    package init(liveName: String) {
        self.liveName = liveName
        if let dot = liveName.lastIndex(of: "."), dot != liveName.startIndex {
            stem = String(liveName[..<dot])
            fileExtension = String(liveName[dot...])
        } else {
            stem = liveName
            fileExtension = ""
        }
    }

    /// The uncompressed archive's name for a rotation at `time`.
    package func archiveName(at time: LogTimestamp) -> String {
        "\(stem).\(Self.timestampText(time))\(fileExtension)"
    }

    /// The name of an archive in the given form.
    package func name(at time: LogTimestamp, kind: Kind) -> String {
        switch kind {
        case .plain: archiveName(at: time)
        case .gzip: archiveName(at: time) + ".gz"
        case .gzipTemporary: archiveName(at: time) + ".gz.tmp"
        }
    }

    /// The time and form of one of our archives, or `nil` for any other name.
    package func parse(_ name: String) -> (time: LogTimestamp, kind: Kind)? {
        var rest = Substring(name)
        guard rest.hasPrefix(stem + ".") else { return nil }
        rest = rest.dropFirst(stem.count + 1)
        let kind: Kind
        if rest.hasSuffix(".gz.tmp") {
            kind = .gzipTemporary
            rest = rest.dropLast(7)
        } else if rest.hasSuffix(".gz") {
            kind = .gzip
            rest = rest.dropLast(3)
        } else {
            kind = .plain
        }
        guard rest.hasSuffix(fileExtension) else { return nil }
        rest = rest.dropLast(fileExtension.count)
        guard let time = Self.parseTimestamp(rest) else { return nil }
        return (time, kind)
    }

    /// `2026-11-23T12-00-00.123456Z`: RFC 3339 with dashes instead of colons (which some tools and
    /// file systems mishandle), microseconds, always UTC.
    package static func timestampText(_ time: LogTimestamp) -> String {
        var output = LogOutput(capacity: 32)
        output.appendTimestamp(time, fractionDigits: 6)
        return String(decoding: output.bytes.map { $0 == UInt8(ascii: ":") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
    }

    /// The time in an archive name, or `nil` when `text` is not a timestamp of this form or names a
    /// time a ``LogTimestamp`` cannot hold. Never traps, whatever the text.
    package static func parseTimestamp(_ text: Substring) -> LogTimestamp? {
        let bytes = Array(text.utf8)
        guard bytes.count == timestampLength else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        let separators: [(Int, Character)] = [
            (4, "-"), (7, "-"), (10, "T"), (13, "-"), (16, "-"), (19, "."), (26, "Z"),
        ]
        for (index, character) in separators where bytes[index] != character.asciiValue {
            return nil
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let micros = number(20..<26),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        // Days since 1970-01-01 from a civil date (H. Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
        // Names after 2262-04-11 (or before 1677) are valid text but no LogTimestamp: not ours.
        guard let time = LogTimestamp(seconds: seconds, nanoseconds: micros * 1_000) else { return nil }
        // Only the canonical spelling is ours: February 31st or second 60 would name another
        // instant, so retention would plan deletions of a name that is not the file's.
        guard timestampText(time).utf8.elementsEqual(bytes) else { return nil }
        return time
    }
}
