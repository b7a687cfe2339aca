import CMallocCounter
import Foundation

/// Samples every thread's CPU time (from /proc/self/task/*/schedstat) every 20 milliseconds, so the
/// CPU used by threads that exit before the end (a pipeline's sink threads stop at shutdown) is still
/// counted. Grouped by thread name: `sluice-sink-0`, `sluice-collecto`, everything else.
final class ThreadCPUSampler: @unchecked Sendable {
    // @unchecked Sendable is safe: `latest` is only touched with `lock` held.
    private let lock = NSLock()
    private var latest: [Int: (name: String, nanoseconds: UInt64)] = [:]
    private var running = true
    private var thread: Thread?

    func start() {
        let thread = Thread { [self] in
            Thread.current.name = "sluice-sampler"
            while lock.withLock({ running }) {
                sample()
                usleep(20_000)
            }
        }
        self.thread = thread
        thread.start()
    }

    /// Stops sampling and returns CPU nanoseconds per thread-name group.
    func stop() -> [String: UInt64] {
        sample()
        lock.withLock { running = false }
        var groups: [String: UInt64] = [:]
        for (_, entry) in lock.withLock({ latest }) {
            groups[Self.group(named: entry.name), default: 0] += entry.nanoseconds
        }
        return groups
    }

    private static func group(named name: String) -> String {
        if name.hasPrefix("sluice-sink") {
            return "sink"
        } else if name.hasPrefix("sluice-collect") {
            return "collector"
        } else if name.hasPrefix("sluice-bench") {
            return "main"
        } else if name.hasPrefix("sluice-archive") {
            return "archive"
        } else {
            return "producers"
        }
    }

    /// The group of a thread seen by the sampler.
    func group(of tid: Int) -> String {
        lock.withLock { latest[tid] }.map { Self.group(named: $0.name) } ?? "other"
    }

    private func sample() {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return }
        var readings: [(Int, String, UInt64)] = []
        for task in tasks {
            guard let tid = Int(task),
                let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/schedstat", encoding: .utf8),
                let nanoseconds = stat.split(separator: " ").first.flatMap({ UInt64($0) }),
                let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            else { continue }
            readings.append((tid, name.trimmingCharacters(in: .whitespacesAndNewlines), nanoseconds))
        }
        lock.withLock {
            for (tid, name, nanoseconds) in readings where name != "sluice-sampler" {
                latest[tid] = (name, nanoseconds)
            }
        }
    }
}

/// Allocations and frees per thread, read from the malloc counter's slots at one moment, into memory
/// reserved beforehand so taking a snapshot allocates nothing itself.
final class AllocationSnapshot: @unchecked Sendable {
    // @unchecked Sendable is safe: `take()` is called by one thread, and the counts are read only
    // after that thread finished (the task group orders it).
    private let capacity = 4096
    private let tids: UnsafeMutablePointer<Int32>
    private let allocations: UnsafeMutablePointer<UInt64>
    private let frees: UnsafeMutablePointer<UInt64>
    private(set) var count = 0

    init() {
        tids = .allocate(capacity: capacity)
        allocations = .allocate(capacity: capacity)
        frees = .allocate(capacity: capacity)
    }

    deinit {
        tids.deallocate()
        allocations.deallocate()
        frees.deallocate()
    }

    func take() {
        count = min(Int(sluice_bench_thread_slots()), capacity)
        for index in 0..<count {
            sluice_bench_thread_slot(Int32(index), tids + index, allocations + index, frees + index)
        }
    }

    /// Allocations and frees per thread id.
    var byThread: [Int32: (allocations: UInt64, frees: UInt64)] {
        var result: [Int32: (allocations: UInt64, frees: UInt64)] = [:]
        for index in 0..<count {
            result[tids[index]] = (allocations[index], frees[index])
        }
        return result
    }
}

extension ThreadCPUSampler {
    /// Allocations and frees between two snapshots, per thread-name group, divided by `records`.
    func allocationsPerRecord(from start: AllocationSnapshot, to end: AllocationSnapshot, records: Int)
        -> [String: Double]
    {
        let before = start.byThread
        var result: [String: Double] = [:]
        for (tid, counts) in end.byThread {
            let group = self.group(of: Int(tid))
            let earlier = before[tid] ?? (0, 0)
            result[group + " allocations", default: 0] +=
                Double(counts.allocations - earlier.allocations) / Double(records)
            result[group + " frees", default: 0] += Double(counts.frees - earlier.frees) / Double(records)
        }
        return result
    }
}
