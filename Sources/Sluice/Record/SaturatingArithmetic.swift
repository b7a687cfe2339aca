/// Arithmetic on values that come from outside (file names, `stat`, clocks, configuration): it
/// saturates at the type's bounds instead of trapping, so no input can crash the process.
extension Int64 {
    /// `self + other`, clamped to `Int64.min...Int64.max`.
    @inline(__always)
    package func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, clamped to `Int64.min...Int64.max`.
    @inline(__always)
    package func saturatingSubtract(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }

    /// `self / divisor` rounded toward minus infinity, for a positive `divisor`. Cannot overflow,
    /// even at `Int64.min` (where subtracting `divisor - 1` first, the usual trick, would).
    @inline(__always)
    package func dividedRoundingDown(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return self % divisor < 0 ? quotient - 1 : quotient
    }

    /// `self * other`, clamped to `Int64.min...Int64.max`.
    @inline(__always)
    package func saturatingMultiply(_ other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }
}

extension LogTimestamp {
    /// The timestamp for whole seconds and nanoseconds since the epoch, or `nil` outside the range a
    /// `LogTimestamp` can hold (1677-09-21 to 2262-04-11).
    package init?(seconds: Int64, nanoseconds: Int64) {
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (sum, overflowed) = scaled.addingReportingOverflow(nanoseconds)
        guard !overflowed else { return nil }
        self.init(nanosecondsSinceEpoch: sum)
    }

    /// The timestamp for whole seconds and nanoseconds since the epoch, clamped to the range a
    /// `LogTimestamp` can hold.
    package init(clampingSeconds seconds: Int64, nanoseconds: Int64) {
        self.init(nanosecondsSinceEpoch: seconds.saturatingMultiply(1_000_000_000).saturatingAdd(nanoseconds))
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to `Int64` (a `Duration` holds far more).
    package var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.saturatingMultiply(1_000_000_000).saturatingAdd(attoseconds / 1_000_000_000)
    }
}
