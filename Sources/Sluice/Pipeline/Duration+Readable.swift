extension Duration {
    /// A short human-readable rendering for stats and reports: `850 ns`, `12 µs`, `27 ms`, `1.4 s`.
    package var readable: String {
        let (seconds, attoseconds) = components
        let nanoseconds = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
        switch nanoseconds {
        case ..<1e3: return "\(Int(nanoseconds)) ns"
        case ..<1e6: return "\(Int(nanoseconds / 1e3)) µs"
        case ..<1e9: return "\(Int(nanoseconds / 1e6)) ms"
        default:
            let tenths = Int(nanoseconds / 1e8)
            return "\(tenths / 10).\(tenths % 10) s"
        }
    }
}
