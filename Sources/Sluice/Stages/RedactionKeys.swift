/// The keys a ``Redaction`` hides, prepared for matching encoded keys without allocating: a
/// 4096-bit filter on (length, first byte, last byte) rejects almost every other key in a few
/// instructions, and the survivors are compared byte by byte with the keys of their length.
///
/// Matching ignores ASCII case and treats `-` as `_`.
package final class RedactionKeys {
    /// 4096 bits, allocated once.
    private let filter: UnsafeMutablePointer<UInt64>
    /// Each byte's normalized form: ASCII lower case, `-` as `_`.
    private let fold: UnsafeMutablePointer<UInt8>
    /// Normalized keys, by length.
    private let byLength: [[[UInt8]]]
    /// One more than the longest key.
    private let lengthLimit: Int

    deinit {
        filter.deallocate()
        fold.deallocate()
    }

    package init(_ keys: some Sequence<String>) {
        filter = .allocate(capacity: 64)
        filter.initialize(repeating: 0, count: 64)
        fold = .allocate(capacity: 256)
        for byte in 0..<256 {
            (fold + byte).initialize(to: Self.normalized(UInt8(byte)))
        }
        var byLength: [[[UInt8]]] = []
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
        self.byLength = byLength
        lengthLimit = byLength.count
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

    /// The filter's bit for a key of `length` with these normalized first and last bytes.
    @inline(__always)
    private static func filterBit(length: Int, first: UInt8, last: UInt8) -> Int {
        ((length & 31) << 7) | ((Int(first) &* 3 &+ Int(last)) & 127)
    }

    /// Whether `key` is one of the keys.
    @inline(__always)
    package func contains(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = key.count
        guard n > 0, n < lengthLimit, let base = key.baseAddress else { return false }
        let bit = Self.filterBit(length: n, first: fold[Int(base[0])], last: fold[Int(base[n &- 1])])
        guard filter[bit >> 6] & (1 << UInt64(bit & 63)) != 0 else { return false }
        return containsSlowly(key)
    }

    @inline(never)
    private func containsSlowly(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        candidates: for candidate in byLength[key.count] {
            for index in 0..<key.count where fold[Int(key[index])] != candidate[index] {
                continue candidates
            }
            return true
        }
        return false
    }
}
