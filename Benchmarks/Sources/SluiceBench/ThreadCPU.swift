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
            let group: String
            if entry.name.hasPrefix("sluice-sink") {
                group = "sink"
            } else if entry.name.hasPrefix("sluice-collect") {
                group = "collector"
            } else if entry.name.hasPrefix("sluice-bench") {
                group = "main"
            } else {
                group = "producers"
            }
            groups[group, default: 0] += entry.nanoseconds
        }
        return groups
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
