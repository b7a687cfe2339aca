import CMallocCounter
import Foundation

/// Monotonic nanoseconds (clock_gettime), for timing individual calls.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
}

/// The median cost of one `monotonicNanoseconds()` call, measured back to back.
func clockCost() -> Double {
    var samples: [UInt64] = []
    for _ in 0..<101 {
        let start = monotonicNanoseconds()
        for _ in 0..<1_000 {
            _ = monotonicNanoseconds()
        }
        samples.append(monotonicNanoseconds() - start)
    }
    return Double(samples.sorted()[50]) / 1_000
}

/// Peak resident set size of this process, in bytes: `VmHWM` from /proc/self/status. Not
/// `getrusage`'s `ru_maxrss`, which Linux carries across `execve`, so a child started by a large
/// parent would report the parent's peak.
func peakResidentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({
            Int($0)
        })
    else {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
    return kilobytes * 1024
}

/// Allocations made by the calling thread so far (counted by the malloc interposer).
func threadAllocations() -> UInt64 {
    sluice_bench_thread_allocations()
}

/// Allocations of 64 KiB or more (a queue chunk's size) made by the calling thread so far.
func threadLargeAllocations() -> UInt64 {
    sluice_bench_thread_large_allocations()
}

/// A log-linear latency histogram: exact below 1,024 ns, then 64 buckets per power of two
/// (under 1.6% error). Small enough to keep one per producer.
struct LatencyHistogram: Sendable {
    private var counts = [UInt64](repeating: 0, count: 1_024 + 64 * 54)
    private(set) var total: UInt64 = 0

    @inline(__always)
    mutating func record(_ nanoseconds: UInt64) {
        counts[Self.bucket(nanoseconds)] += 1
        total += 1
    }

    mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices {
            counts[index] += other.counts[index]
        }
        total += other.total
    }

    @inline(__always)
    private static func bucket(_ value: UInt64) -> Int {
        if value < 1_024 {
            return Int(value)
        }
        let exponent = 63 - value.leadingZeroBitCount  // >= 10
        let fraction = Int((value >> UInt64(exponent - 6)) & 63)
        return min(1_024 + (exponent - 10) * 64 + fraction, 1_024 + 64 * 54 - 1)
    }

    private static func lowerBound(_ bucket: Int) -> Double {
        if bucket < 1_024 {
            return Double(bucket)
        }
        let exponent = (bucket - 1_024) / 64 + 10
        let fraction = (bucket - 1_024) % 64
        return Double((UInt64(64 + fraction)) << UInt64(exponent - 6))
    }

    /// The value at quantile `q` (0...1), in nanoseconds.
    func percentile(_ q: Double) -> Double {
        guard total > 0 else { return 0 }
        let rank = UInt64((Double(total) * q).rounded(.up))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= rank {
                return Self.lowerBound(index)
            }
        }
        return Self.lowerBound(counts.count - 1)
    }
}
