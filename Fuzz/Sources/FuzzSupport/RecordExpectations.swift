import Sluice

/// What a record's metadata should read back as, worked out from the documentation rather than from
/// Sluice's code, and comparisons that tell apart what `==` does not.

/// The metadata pairs of a record, in order.
public typealias MetadataPairs = [(key: String, value: LogMetadataValue)]

/// The merged metadata ``LogRecord/metadata`` documents: the call site's pairs, then the logger's
/// pairs whose keys the call site did not set, then the context's remaining pairs. Keys are Swift
/// strings, so canonically equivalent spellings (`é`, `e` + U+0301) are one key.
public func mergedMetadata(call: LogMetadata, logger: LogMetadata, context: LogMetadata) -> MetadataPairs {
    var merged = MetadataPairs(call)
    for pair in logger where call[pair.key] == nil {
        merged.append(pair)
    }
    for pair in context where call[pair.key] == nil && logger[pair.key] == nil {
        merged.append(pair)
    }
    return merged
}

/// How deep values may nest: an array or dictionary at this depth or deeper (a record's own
/// metadata values are at depth 1) reads back as a marker string.
public let maxNestingDepth = 32

/// `value` as it reads back from a record or a JSON rendering: arrays and dictionaries at depth
/// ``maxNestingDepth`` or deeper become `"[nested too deep]"` and `"{nested too deep}"`.
public func cutDeepNesting(_ value: LogMetadataValue, depth: Int = 1) -> LogMetadataValue {
    switch value {
    case .array(let values):
        guard depth < maxNestingDepth else { return .string("[nested too deep]") }
        return .array(values.map { cutDeepNesting($0, depth: depth + 1) })
    case .dictionary(let metadata):
        guard depth < maxNestingDepth else { return .string("{nested too deep}") }
        return .dictionary(cutDeepNesting(metadata, depth: depth + 1))
    case .string, .integer, .double, .bool:
        return value
    }
}

/// Every value of `metadata` with deep nesting cut (``cutDeepNesting(_:depth:)``).
public func cutDeepNesting(_ metadata: LogMetadata, depth: Int = 1) -> LogMetadata {
    var cut = LogMetadata()
    for pair in metadata {
        cut[pair.key] = cutDeepNesting(pair.value, depth: depth)
    }
    return cut
}

/// Whether two strings hold the same UTF-8 (Swift's `==` also equates canonically equivalent ones).
public func sameBytes(_ a: String, _ b: String) -> Bool {
    a.utf8.elementsEqual(b.utf8)
}

/// Whether two values are the same: strings byte for byte, doubles bit for bit (NaN equals
/// itself), dictionaries in the same order.
public func identical(_ a: LogMetadataValue, _ b: LogMetadataValue) -> Bool {
    switch (a, b) {
    case (.string(let x), .string(let y)): sameBytes(x, y)
    case (.integer(let x), .integer(let y)): x == y
    case (.double(let x), .double(let y)): x.bitPattern == y.bitPattern
    case (.bool(let x), .bool(let y)): x == y
    case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
    case (.dictionary(let x), .dictionary(let y)): identical(MetadataPairs(x), MetadataPairs(y))
    default: false
    }
}

/// Whether two lists of pairs are the same, in the same order, keys byte for byte.
public func identical(_ a: MetadataPairs, _ b: MetadataPairs) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { sameBytes($0.key, $1.key) && identical($0.value, $1.value) }
}

/// A short description of pairs for a failure message.
public func describe(_ pairs: MetadataPairs) -> String {
    String(pairs.map { "\($0.key.debugDescription): \($0.value)" }.joined(separator: ", ").prefix(600))
}
