/// A command line the command cannot run: the message says what to change. Exit status 2.
struct UsageError: Error, Equatable, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}

/// Parsers for option values: sizes, durations, counts.
enum OptionValue {
    /// Bytes: a number with an optional `K`, `M` or `G` (powers of 1024, `KiB`/`KB`/`k` alike),
    /// e.g. `64M`, `512k`, `1G`, `4096`.
    static func bytes(_ text: String, option: String) throws(UsageError) -> Int {
        let lower = text.lowercased()
        var digits = Substring(lower)
        var multiplier = 1
        for (suffixes, factor) in [
            (["kib", "kb", "k"], 1 << 10), (["mib", "mb", "m"], 1 << 20), (["gib", "gb", "g"], 1 << 30),
        ] {
            if let suffix = suffixes.first(where: { digits.hasSuffix($0) }) {
                digits = digits.dropLast(suffix.count)
                multiplier = factor
                break
            }
        }
        if multiplier == 1 && digits.hasSuffix("b") {
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value > 0 else {
            throw UsageError("\(option): '\(text)' is not a size; use bytes or a number with K, M or G, e.g. 64M")
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw UsageError("\(option): '\(text)' is too large") }
        return product
    }

    /// A duration: a number with `ms`, `s`, `m` or `h` (seconds when bare), e.g. `100ms`, `1.5s`, `2m`.
    static func duration(_ text: String, option: String) throws(UsageError) -> Duration {
        let lower = text.lowercased()
        var number = Substring(lower)
        var scale = 1.0
        for (suffix, factor) in [("ms", 0.001), ("us", 0.000_001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)]
        where number.hasSuffix(suffix) {
            number = number.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let value = Double(number), value.isFinite, value >= 0, value * scale <= 31_536_000 else {
            throw UsageError(
                "\(option): '\(text)' is not a duration; use a number with ms, s, m or h (at most a year), e.g. 500ms")
        }
        return .nanoseconds(Int64((value * scale * 1e9).rounded()))
    }

    /// A whole number at least `minimum`.
    static func count(_ text: String, option: String, minimum: Int = 0) throws(UsageError) -> Int {
        guard let value = Int(text), value >= minimum else {
            throw UsageError("\(option): '\(text)' is not a whole number of at least \(minimum)")
        }
        return value
    }
}
