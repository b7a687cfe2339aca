import Synchronization

/// The ``RateLimit`` at run time: one counter per key (call site and label, or label), counted at
/// the call with one atomic add and no lock; a timer on the collector's thread closes each window.
///
/// A call hashes its key (the bits of its `#fileID` literal, its line and its label's key), finds
/// its slot in an open-addressed table of ``RateLimit/maximumKeys`` slots, and adds one to the
/// slot's count: the call is logged while the count is below the limit. When the window ends, the
/// timer swaps every count back to zero under the table's lock; what exceeded the limit becomes a
/// summary for the collector to write, and moves from the slots to the running total of suppressed
/// calls. A stats snapshot reads that total and the slots' excess under the same lock, so each
/// suppressed call is counted exactly once, in exactly one window.
//
// @unchecked Sendable is safe: `slots` is allocated once and only touched through atomics; `sites`,
// `claimed`, `summarized`, `pending`, `windowStart` and `timer` are only accessed with `lock` held;
// every other stored property is an immutable `let`.
package final class RateLimitTable: @unchecked Sendable {
    /// One call site (or label) the table tracks.
    package struct Site: Sendable {
        package var label: String
        package var file: String
        package var function: String
        package var line: UInt
        package var level: LogLevel
        /// The end of the last summary written for the current window (a flush's), if later than the
        /// window's start.
        package var reportedUntil: Int64 = .min
    }

    /// A window of one key that ended with calls suppressed.
    package struct Summary: Sendable {
        package var site: Site
        package var suppressed: Int
        package var windowStart: Int64
        package var windowEnd: Int64
    }

    package let limit: UInt64
    package let options: RateLimit
    private let byLabel: Bool
    /// Levels at or above this raw value are never limited (8: none is exempt).
    private let exemptRaw: UInt8
    private let capacity = RateLimit.maximumKeys
    /// Two atomics per slot: the key (0 while free) and the calls counted in the current window.
    private let slots: UnsafeMutablePointer<Atomic<UInt64>>
    private let lock = Lock()
    private var sites: [Int: Site] = [:]
    private var claimed: [Int] = []
    private var summarized = 0
    private var pending: [Summary] = []
    private var windowStart: Int64
    private var timer: ThreadExecutor.TimerHandle?
    private var stopped = false

    package init(_ options: RateLimit) {
        self.options = options
        limit = UInt64(options.records)
        byLabel = options.key == .label
        exemptRaw = options.exemptLevel?.rawValue ?? UInt8.max
        slots = .allocate(capacity: 2 * capacity)
        for index in 0..<(2 * capacity) {
            (slots + index).initialize(to: Atomic(0))
        }
        windowStart = LogTimestamp.now().nanosecondsSinceEpoch
    }

    deinit {
        slots.deinitialize(count: 2 * capacity)
        slots.deallocate()
    }

    // MARK: At the call

    /// The key of a label: computed once per logger.
    package static func labelKey(_ label: String) -> UInt64 {
        Sampler.mix(Self.contentHash(label) ^ 0x6C61_6265_6C00_0000)
    }

    /// What the table says about a call, without touching anything but integers.
    package enum Decision {
        case admitted
        case suppressed
        /// The key has no slot yet: ask ``admitsNewKey(level:labelKey:label:file:function:line:)``.
        case unknownKey
    }

    /// Whether a call may be logged; counts it either way.
    @inline(__always)
    package func admits(
        level: LogLevel, labelKey: UInt64, label: String, file: String, function: String, line: UInt
    ) -> Bool {
        switch decide(level: level, labelKey: labelKey, file: file, line: line) {
        case .admitted: true
        case .suppressed: false
        case .unknownKey:
            admitsNewKey(level: level, labelKey: labelKey, label: label, file: file, function: function, line: line)
        }
    }

    /// The fast path of a call: its key's slot, one atomic add.
    @inline(__always)
    package func decide(level: LogLevel, labelKey: UInt64, file: String, line: UInt) -> Decision {
        guard level.rawValue < exemptRaw else { return .admitted }
        let key = (byLabel ? labelKey : Self.siteHash(file: file, line: line) ^ labelKey) | 1
        var index = Int(truncatingIfNeeded: key >> 40) & (capacity - 1)
        for _ in 0..<8 {
            let tag = slots[2 * index].load(ordering: .acquiring)
            if tag == key {
                return slots[2 * index + 1].wrappingAdd(1, ordering: .relaxed).oldValue < limit
                    ? .admitted : .suppressed
            }
            if tag == 0 {
                return .unknownKey
            }
            index = (index + 1) & (capacity - 1)
        }
        // Eight keys collide here: this one is not limited.
        return .admitted
    }

    /// The first call of a key: takes a slot for it (remembering where it comes from, for its
    /// summaries) and counts the call.
    @inline(never)
    package func admitsNewKey(
        level: LogLevel, labelKey: UInt64, label: String, file: String, function: String, line: UInt
    ) -> Bool {
        let key = (byLabel ? labelKey : Self.siteHash(file: file, line: line) ^ labelKey) | 1
        guard let slot = claim(key: key, level: level, label: label, file: file, function: function, line: line)
        else { return true }
        return slots[2 * slot + 1].wrappingAdd(1, ordering: .relaxed).oldValue < limit
    }

    /// The identity of a call site: the bits of an immortal `#fileID` string (a literal's address, or
    /// a small string's bytes) and the line, mixed so the top bits (the slot) spread; other file
    /// strings are hashed by content.
    @inline(__always)
    private static func siteHash(file: String, line: UInt) -> UInt64 {
        let bits = unsafeBitCast(file, to: (UInt64, UInt64).self)
        guard bits.1 & (1 << 63) != 0 else { return contentHash(file) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(line) }
        return ((bits.0 ^ bits.1 ^ (UInt64(line) << 32)) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(line)
    }

    @inline(never)
    private static func contentHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0100_0000_01B3
        }
        return hash
    }

    /// Takes a free slot for `key` (or finds the one another thread just took); `nil` when the table
    /// is full around the key's place.
    @inline(never)
    private func claim(
        key: UInt64, level: LogLevel, label: String, file: String, function: String, line: UInt
    ) -> Int? {
        lock.withLock {
            var index = Int(truncatingIfNeeded: key >> 40) & (capacity - 1)
            for _ in 0..<8 {
                let tag = slots[2 * index].load(ordering: .acquiring)
                if tag == key {
                    return index
                }
                if tag == 0 {
                    sites[index] = Site(label: label, file: file, function: function, line: line, level: level)
                    claimed.append(index)
                    slots[2 * index].store(key, ordering: .releasing)
                    return index
                }
                index = (index + 1) & (capacity - 1)
            }
            return nil
        }
    }

    // MARK: Windows

    /// Ends the current window at `now` (wall clock, nanoseconds): every key's count goes back to
    /// zero, and each key that went over the limit gets a summary. With `endingWindow` false (a
    /// flush), only what was suppressed so far is summarised and the window goes on: the counts
    /// stay at the limit, so a flush lets no more calls through. Returns whether any summary is
    /// waiting.
    @discardableResult
    package func closeWindow(now: Int64, endingWindow: Bool = true) -> Bool {
        lock.withLock {
            for index in claimed {
                let count: UInt64
                if endingWindow {
                    count = slots[2 * index + 1].exchange(0, ordering: .relaxed)
                } else {
                    var current = slots[2 * index + 1].load(ordering: .relaxed)
                    while current > limit {
                        let (exchanged, found) = slots[2 * index + 1].compareExchange(
                            expected: current, desired: limit, ordering: .relaxed)
                        if exchanged {
                            break
                        }
                        current = found
                    }
                    count = current
                }
                guard var site = sites[index] else { continue }
                let start = max(windowStart, site.reportedUntil)
                if count > limit {
                    let suppressed = Int(truncatingIfNeeded: count - limit)
                    summarized += suppressed
                    pending.append(Summary(site: site, suppressed: suppressed, windowStart: start, windowEnd: now))
                }
                if !endingWindow && count > limit {
                    site.reportedUntil = now
                    sites[index] = site
                }
            }
            if endingWindow {
                windowStart = now
            }
            return !pending.isEmpty
        }
    }

    /// The summaries of windows closed so far, handed over once.
    package func takeSummaries() -> [Summary] {
        lock.withLock {
            defer { pending.removeAll() }
            return pending
        }
    }

    /// Calls suppressed so far: the closed windows' and the current window's excess.
    package var suppressed: Int {
        lock.withLock {
            var total = summarized
            for index in claimed {
                let count = slots[2 * index + 1].load(ordering: .relaxed)
                if count > limit {
                    total += Int(truncatingIfNeeded: count - limit)
                }
            }
            return total
        }
    }

    /// Keys tracked now.
    package var keys: Int {
        lock.withLock { claimed.count }
    }

    // MARK: Timer

    /// Closes a window every interval on `executor`'s thread, calling `summariesReady` when a window
    /// ended with summaries, until ``stop()``.
    package func start(on executor: ThreadExecutor, summariesReady: @escaping @Sendable () -> Void) {
        let first = ContinuousClock.now.advanced(by: options.interval)
        schedule(at: first, on: executor, summariesReady: summariesReady)
    }

    private func schedule(
        at deadline: ContinuousClock.Instant, on executor: ThreadExecutor,
        summariesReady: @escaping @Sendable () -> Void
    ) {
        lock.withLock {
            guard !stopped else { return }
            timer = executor.schedule(at: deadline) { [self] in
                if closeWindow(now: LogTimestamp.now().nanosecondsSinceEpoch) {
                    summariesReady()
                }
                // The next deadline follows from this one, so windows do not drift; after a stall,
                // the next window starts now.
                let next = max(deadline.advanced(by: options.interval), .now)
                schedule(at: next, on: executor, summariesReady: summariesReady)
            }
        }
    }

    /// Stops the timer (shutdown); the caller closes the last window itself.
    package func stop(on executor: ThreadExecutor) {
        let handle: ThreadExecutor.TimerHandle? = lock.withLock {
            stopped = true
            defer { timer = nil }
            return timer
        }
        if let handle {
            executor.cancel(handle)
        }
    }
}
