/// The keys a ``Redaction`` hides, prepared for matching encoded keys without allocating: a
/// 4096-bit filter on (length, first byte, last byte) rejects almost every other key in a few
/// instructions, and the survivors are compared byte by byte with the keys of their length.
///
/// Matching ignores ASCII case and treats `-` as `_`.
package struct RedactionKeys: Sendable {
    private var filter = [UInt64](repeating: 0, count: 64)
    /// Normalized keys, by length.
    private var byLength: [[[UInt8]]] = []

    package init(_ keys: some Sequence<String>) {
        for key in keys {
            let normalized = Array(Self.normalized(key).utf8)
            guard !normalized.isEmpty else { continue }
            while byLength.count <= normalized.count {
                byLength.append([])
            }
            guard !byLength[normalized.count].contains(normalized) else { continue }
            byLength[normalized.count].append(normalized)
            let bit = Self.filterBit(
                length: normalized.count, first: normalized[0], last: normalized[normalized.count - 1])
            filter[bit >> 6] |= 1 << UInt64(bit & 63)
        }
    }

    /// Whether there are no keys.
    package var isEmpty: Bool { byLength.allSatisfy(\.isEmpty) }

    /// `key` lowercased (ASCII) with `-` as `_`.
    package static func normalized(_ key: String) -> String {
        String(decoding: key.utf8.map(normalized), as: UTF8.self)
    }

    @inline(__always)
    private static func normalized(_ byte: UInt8) -> UInt8 {
        if byte &- UInt8(ascii: "A") < 26 {
            return byte | 0x20
        }
        return byte == UInt8(ascii: "-") ? UInt8(ascii: "_") : byte
    }

    @inline(__always)
    private static func filterBit(length: Int, first: UInt8, last: UInt8) -> Int {
        var hash = UInt64(truncatingIfNeeded: length) &* 0x9E37_79B9_7F4A_7C15
        hash ^= UInt64(first) &* 0xC2B2_AE3D_27D4_EB4F
        hash ^= UInt64(last) &* 0x1656_67B1_9E37_79F9
        return Int(truncatingIfNeeded: (hash >> 40) & 4095)
    }

    /// Whether `key` is one of the keys.
    @inline(__always)
    package func contains(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = key.count
        guard n > 0, n < byLength.count else { return false }
        let bit = Self.filterBit(length: n, first: Self.normalized(key[0]), last: Self.normalized(key[n - 1]))
        guard filter[bit >> 6] & (1 << UInt64(bit & 63)) != 0 else { return false }
        return containsSlowly(key)
    }

    @inline(never)
    private func containsSlowly(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        candidates: for candidate in byLength[key.count] {
            for index in 0..<key.count where Self.normalized(key[index]) != candidate[index] {
                continue candidates
            }
            return true
        }
        return false
    }
}
