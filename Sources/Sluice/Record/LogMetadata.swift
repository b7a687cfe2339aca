/// Key/value metadata attached to a record, a logger or a task context.
///
/// `LogMetadata` keeps keys in the order they were first added, so output is stable from run to run
/// (a Swift `Dictionary` would shuffle them), and each key appears once: setting a key again replaces
/// its value in place. A dictionary literal with a repeated key keeps the last value instead of
/// trapping.
///
/// ```swift
/// var metadata: LogMetadata = ["request_id": "abc", "status": 200]
/// metadata["user"] = "u-42"
/// metadata["status"] = nil            // removes the key
/// let merged = metadata.merging(["status": 500])  // the argument wins
/// ```
public struct LogMetadata: Sendable, ExpressibleByDictionaryLiteral {
    /// The pairs in insertion order, each key once. Stored as plain tuples so a dictionary literal's
    /// variadic array becomes the storage without a copy (one allocation per literal).
    package var pairs: [(String, LogMetadataValue)]

    /// Creates empty metadata.
    public init() {
        pairs = []
    }

    public init(dictionaryLiteral elements: (String, LogMetadataValue)...) {
        self.init(pairs: elements)
    }

    /// Creates metadata from a dictionary, with keys in sorted order so output is deterministic.
    ///
    /// - Parameter dictionary: Keys and values.
    public init(_ dictionary: [String: LogMetadataValue]) {
        pairs = dictionary.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Creates metadata from pairs; for a repeated key the last value wins, at the first position.
    package init(pairs: [(String, LogMetadataValue)]) {
        self.pairs = pairs
        if pairs.count > 1 && Self.containsDuplicateKeys(pairs) {
            self.pairs = []
            for (key, value) in pairs {
                self[key] = value
            }
        }
    }

    /// Creates metadata from pairs whose keys are known to be unique.
    package init(uniquePairs pairs: [(String, LogMetadataValue)]) {
        self.pairs = pairs
    }

    private static func containsDuplicateKeys(_ pairs: [(String, LogMetadataValue)]) -> Bool {
        pairs.withUnsafeBufferPointer { pairs in
            if pairs.count <= 16 {
                // Comparing lengths first settles most pairs of distinct keys without a string
                // comparison; the buffer lets the loops borrow the keys instead of copying them.
                for i in 0..<(pairs.count - 1) {
                    let length = pairs[i].0.utf8.count
                    for j in (i + 1)..<pairs.count where pairs[j].0.utf8.count == length && pairs[i].0 == pairs[j].0 {
                        return true
                    }
                }
                return false
            }
            var seen = Set<String>(minimumCapacity: pairs.count)
            for index in pairs.indices where !seen.insert(pairs[index].0).inserted {
                return true
            }
            return false
        }
    }

    /// The number of keys.
    public var count: Int { pairs.count }

    /// Whether there are no keys.
    public var isEmpty: Bool { pairs.isEmpty }

    /// The keys in insertion order.
    public var keys: [String] { pairs.map(\.0) }

    /// The value for `key`, or `nil`. Setting `nil` removes the key; setting an existing key
    /// replaces its value in place.
    public subscript(key: String) -> LogMetadataValue? {
        get {
            pairs.first { $0.0 == key }?.1
        }
        set {
            if let index = pairs.firstIndex(where: { $0.0 == key }) {
                if let newValue {
                    pairs[index].1 = newValue
                } else {
                    pairs.remove(at: index)
                }
            } else if let newValue {
                pairs.append((key, newValue))
            }
        }
    }

    /// Adds every pair of `other`; where a key exists in both, `other`'s value wins.
    ///
    /// - Parameter other: The metadata to merge in.
    public mutating func merge(_ other: LogMetadata) {
        if pairs.isEmpty {
            pairs = other.pairs
            return
        }
        for (key, value) in other.pairs {
            self[key] = value
        }
    }

    /// Returns this metadata with every pair of `other` added; where a key exists in both, `other`'s
    /// value wins.
    ///
    /// - Parameter other: The metadata to merge in.
    /// - Returns: The merged metadata.
    public func merging(_ other: LogMetadata) -> LogMetadata {
        var copy = self
        copy.merge(other)
        return copy
    }

    /// Whether `key` is present.
    package func contains(key: String) -> Bool {
        for pair in pairs where pair.0 == key {
            return true
        }
        return false
    }
}

extension LogMetadata: Sequence {
    public typealias Element = (key: String, value: LogMetadataValue)

    /// Iterates the pairs in insertion order.
    public struct Iterator: IteratorProtocol {
        private var base: IndexingIterator<[(String, LogMetadataValue)]>

        fileprivate init(_ pairs: [(String, LogMetadataValue)]) {
            base = pairs.makeIterator()
        }

        public mutating func next() -> (key: String, value: LogMetadataValue)? {
            guard let (key, value) = base.next() else { return nil }
            return (key, value)
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(pairs)
    }

    public var underestimatedCount: Int { pairs.count }
}

extension LogMetadata: Hashable {
    /// Two metadata values are equal when they hold the same keys with equal values, in any order.
    public static func == (lhs: LogMetadata, rhs: LogMetadata) -> Bool {
        guard lhs.pairs.count == rhs.pairs.count else { return false }
        for (key, value) in lhs.pairs where rhs[key] != value {
            return false
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine per-pair hashes commutatively.
        var combined = 0
        for (key, value) in pairs {
            var pairHasher = Hasher()
            pairHasher.combine(key)
            pairHasher.combine(value)
            combined ^= pairHasher.finalize()
        }
        hasher.combine(pairs.count)
        hasher.combine(combined)
    }
}

extension LogMetadata: CustomStringConvertible {
    public var description: String {
        "[" + pairs.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "]"
    }
}
