import Sluice

/// Finds the level a program wrote into a line (`--parse-level`), without allocating.
///
/// Recognised, case-insensitively, after optional leading spaces:
/// - a leading level word, bare or bracketed, followed by a space, `:`, `]`, `|` or the end of the
///   line: `ERROR: disk full`, `[warn] slow`, `INFO  started`, `[DEBUG]`;
/// - a systemd/`sd-daemon` priority prefix: `<3>disk full` (0–2 critical, 3 error, 4 warning,
///   5 notice, 6 info, 7 debug);
/// - a logfmt field anywhere in the line: `level=warn`, `lvl=error`, `severity="info"`.
///
/// Level words are LogLevel's names and aliases (`trace`, `debug`, `info`, `notice`, `warn`,
/// `warning`, `err`, `error`, `crit`, `critical`, `fatal`) plus `dbg`, `information`, `panic`,
/// `alert` and `emerg`.
enum LineLevelParser {
    static func level(in line: UnsafeRawBufferPointer) -> LogLevel? {
        let bytes = line.assumingMemoryBound(to: UInt8.self)
        var i = 0
        while i < bytes.count && (bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t")) {
            i += 1
        }
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: "<") {
            return priorityPrefix(bytes, at: i + 1)
        }
        if let level = leadingWord(bytes, at: i) {
            return level
        }
        return logfmtField(bytes)
    }

    /// `<N>` with a single digit 0–7.
    private static func priorityPrefix(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> LogLevel? {
        guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: ">"),
            (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(bytes[i])
        else { return nil }
        switch bytes[i] - UInt8(ascii: "0") {
        case 0, 1, 2: return .critical
        case 3: return .error
        case 4: return .warning
        case 5: return .notice
        case 6: return .info
        default: return .debug
        }
    }

    private static func leadingWord(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> LogLevel? {
        var i = start
        let bracketed = bytes[i] == UInt8(ascii: "[")
        if bracketed {
            i += 1
        }
        let wordStart = i
        while i < bytes.count && isLetter(bytes[i]) {
            i += 1
        }
        guard let level = levelWord(UnsafeBufferPointer(rebasing: bytes[wordStart..<i])) else { return nil }
        guard i < bytes.count else { return bracketed ? nil : level }
        switch bytes[i] {
        case UInt8(ascii: "]"): return bracketed ? level : nil
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: ":"), UInt8(ascii: "|"): return bracketed ? nil : level
        default: return nil
        }
    }

    /// `level=`, `lvl=` or `severity=` at the start of the line or after a space.
    private static func logfmtField(_ bytes: UnsafeBufferPointer<UInt8>) -> LogLevel? {
        var i = 0
        while i < bytes.count {
            if i == 0 || bytes[i - 1] == UInt8(ascii: " ") {
                if let level = fieldValue(bytes, at: i) {
                    return level
                }
            }
            i += 1
        }
        return nil
    }

    private static func fieldValue(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> LogLevel? {
        var i = start
        while i < bytes.count && isLetter(bytes[i]) {
            i += 1
        }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { return nil }
        let key = UnsafeBufferPointer(rebasing: bytes[start..<i])
        guard equalsIgnoringCase(key, "level") || equalsIgnoringCase(key, "lvl") || equalsIgnoringCase(key, "severity")
        else { return nil }
        i += 1
        let quoted = i < bytes.count && bytes[i] == UInt8(ascii: "\"")
        if quoted {
            i += 1
        }
        let valueStart = i
        while i < bytes.count && isLetter(bytes[i]) {
            i += 1
        }
        let value = UnsafeBufferPointer(rebasing: bytes[valueStart..<i])
        if quoted {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
        } else if i < bytes.count && bytes[i] != UInt8(ascii: " ") {
            return nil
        }
        return levelWord(value)
    }

    /// The level a word names, ignoring case; `nil` for any other word.
    static func levelWord(_ word: UnsafeBufferPointer<UInt8>) -> LogLevel? {
        switch word.count {
        case 3:
            if equalsIgnoringCase(word, "err") { return .error }
            if equalsIgnoringCase(word, "dbg") { return .debug }
        case 4:
            if equalsIgnoringCase(word, "info") { return .info }
            if equalsIgnoringCase(word, "warn") { return .warning }
            if equalsIgnoringCase(word, "crit") { return .critical }
        case 5:
            if equalsIgnoringCase(word, "trace") { return .trace }
            if equalsIgnoringCase(word, "debug") { return .debug }
            if equalsIgnoringCase(word, "error") { return .error }
            if equalsIgnoringCase(word, "fatal") { return .critical }
            if equalsIgnoringCase(word, "panic") { return .critical }
            if equalsIgnoringCase(word, "alert") { return .critical }
            if equalsIgnoringCase(word, "emerg") { return .critical }
        case 6:
            if equalsIgnoringCase(word, "notice") { return .notice }
        case 7:
            if equalsIgnoringCase(word, "warning") { return .warning }
        case 8:
            if equalsIgnoringCase(word, "critical") { return .critical }
        case 11:
            if equalsIgnoringCase(word, "information") { return .info }
        default:
            break
        }
        return nil
    }

    /// The level named by a JSON field's string value, such as `"WARN"`.
    static func levelWord(_ text: String) -> LogLevel? {
        var copy = text
        return copy.withUTF8 { levelWord($0) }
    }

    @inline(__always)
    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    private static func equalsIgnoringCase(_ word: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        guard word.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<word.count where word[index] | 0x20 != expected[index] {
            return false
        }
        return true
    }
}
