#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Compresses rotated files and applies retention, one job at a time, on a thread of its own: never
/// on the write path and never on Swift's cooperative pool.
///
/// Each job is a sweep of one naming scheme's archives: delete what retention no longer keeps, clean
/// up leftovers of an interrupted compression, then compress what is still uncompressed one archive
/// at a time, applying retention again as each is finished (compressed sizes count for the byte
/// limit, and archives rotated out meanwhile are counted at once rather than after the whole
/// backlog). Running every sweep on the one thread means retention and compression never work on
/// the same file at the same time.
package final class Archiver: Sendable {
    private struct State {
        var pending: [ArchiveNaming] = []
        /// A sweep of every naming scheme found in the directory, from one listing.
        var directorySweep: (@Sendable (String) -> ArchiveNaming?)?
        var running = false
        var idleWaiters: [Promise<Void>] = []
    }

    /// Guards age retention against wall-clock steps; used only on the archiver's thread.
    private let retentionClock: LockedValue<RetentionClock>

    private let executor: ThreadExecutor
    private let directory: LogDirectory
    private let retention: RetentionPolicy
    private let gzipLevel: Int32?
    private let mode: mode_t
    private let clock: WallClock
    private let stats: FileSinkStatsRecorder
    private let state = LockedValue(State())

    package init(
        name: String,
        directory: LogDirectory,
        rotation: RotationPolicy,
        mode: mode_t,
        clock: WallClock,
        stats: FileSinkStatsRecorder
    ) {
        executor = ThreadExecutor(name: "sluice-archive-\(name)")
        self.directory = directory
        retention = rotation.keep
        gzipLevel = rotation.compression.gzipLevel
        self.mode = mode
        self.clock = clock
        self.stats = stats
        retentionClock = LockedValue(RetentionClock(wall: clock.now(), monotonic: clock.monotonic()))
    }

    /// The archiver's thread, also used for the sink's timers.
    package var timers: ThreadExecutor { executor }

    /// Queues a sweep of `naming`'s archives (a sweep already queued for it covers this one too).
    package func sweep(_ naming: ArchiveNaming) {
        let start: Bool = state.withLock { state in
            if !state.pending.contains(naming) {
                state.pending.append(naming)
            }
            guard !state.running else { return false }
            state.running = true
            return true
        }
        if start {
            executor.schedule(at: .now) { [self] in drain() }
        }
    }

    /// Queues one sweep of every naming scheme in the directory: `naming(for:)` tells which
    /// scheme a file name belongs to, if any. The directory is listed once for all of them, so a
    /// directory holding the files of thousands of labels costs one listing, not one per label.
    package func sweepAll(naming: @escaping @Sendable (String) -> ArchiveNaming?) {
        let start: Bool = state.withLock { state in
            state.directorySweep = naming
            guard !state.running else { return false }
            state.running = true
            return true
        }
        if start {
            executor.schedule(at: .now) { [self] in drain() }
        }
    }

    /// Waits until every queued sweep has finished.
    package func waitUntilIdle() async {
        let promise = Promise<Void>()
        let idle = state.withLock { state in
            if !state.running && state.pending.isEmpty && state.directorySweep == nil {
                return true
            }
            state.idleWaiters.append(promise)
            return false
        }
        if !idle {
            await promise.wait()
        }
    }

    /// Lets the thread end once its work is done.
    package func stop() {
        executor.stop()
    }

    private func drain() {
        while true {
            enum Job {
                case directory(@Sendable (String) -> ArchiveNaming?)
                case naming(ArchiveNaming)
            }
            let next: Job? = state.withLock { state in
                if let namingFor = state.directorySweep {
                    state.directorySweep = nil
                    return .directory(namingFor)
                }
                guard !state.pending.isEmpty else {
                    state.running = false
                    return nil
                }
                return .naming(state.pending.removeFirst())
            }
            switch next {
            case .directory(let namingFor): runDirectory(namingFor)
            case .naming(let naming): run(naming)
            case nil: break
            }
            guard next != nil else { break }
        }
        let waiters: [Promise<Void>] = state.withLock { state in
            guard !state.running else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for waiter in waiters {
            waiter.fulfill(())
        }
    }

    /// For tests: called on the archiver's thread before each compression, with the archive's name.
    package let compressionStarting = LockedValue<(@Sendable (String) -> Void)?>(nil)

    private func run(_ naming: ArchiveNaming) {
        var plan = applyRetention(naming, cleanUp: true)
        guard gzipLevel != nil else { return }
        var attempted: Set<String> = []
        // One archive at a time, re-planning after each: while a backlog is compressed, rotations
        // keep adding archives, and retention must see them before the next compression, not after
        // the whole backlog (with .files(3), 8 to 14 archives sat on disk at once that way).
        while let next = plan.compress.first(where: { !attempted.contains($0) }) {
            attempted.insert(next)
            compressionStarting.withLock { $0 }?(next)
            compress(next)
            plan = applyRetention(naming, cleanUp: false)
        }
    }

    /// One listing, grouped by naming scheme; each scheme's plan applied from it. Only a scheme that
    /// has archives to compress is swept on its own (compression re-plans as it goes).
    private func runDirectory(_ namingFor: @Sendable (String) -> ArchiveNaming?) {
        let (entries, error) = directory.listRegularFiles()
        if let error {
            fail("cannot list '\(directory.path)' to apply retention: \(SluiceError.describe(errno: error))")
            return
        }
        var groups: [ArchiveNaming: [RetentionPlanner.Entry]] = [:]
        for entry in entries {
            if let naming = namingFor(entry.name) {
                groups[naming, default: []].append(entry)
            }
        }
        let now = retentionNow()
        for (naming, group) in groups {
            let plan = RetentionPlanner.plan(
                entries: group, naming: naming, retention: retention, compress: gzipLevel != nil, now: now)
            if plan.compress.isEmpty {
                apply(plan, cleanUp: true)
            } else {
                run(naming)
            }
        }
    }

    private func retentionNow() -> LogTimestamp {
        retentionClock.withLock { $0.reference(wall: clock.now(), monotonic: clock.monotonic()) }
    }

    private func currentPlan(_ naming: ArchiveNaming) -> RetentionPlanner.Plan {
        let (entries, error) = directory.listRegularFiles()
        if let error {
            fail("cannot list '\(directory.path)' to apply retention: \(SluiceError.describe(errno: error))")
        }
        return RetentionPlanner.plan(
            entries: entries, naming: naming, retention: retention, compress: gzipLevel != nil, now: retentionNow())
    }

    /// Deletes what retention no longer keeps; returns the plan (its `compress` list is still to do).
    @discardableResult
    private func applyRetention(_ naming: ArchiveNaming, cleanUp: Bool) -> RetentionPlanner.Plan {
        let plan = currentPlan(naming)
        apply(plan, cleanUp: cleanUp)
        return plan
    }

    /// Deletes what `plan` says retention no longer keeps (and its leftovers when `cleanUp`).
    private func apply(_ plan: RetentionPlanner.Plan, cleanUp: Bool) {
        var deleted = 0
        for name in plan.delete {
            if let error = directory.remove(name) {
                fail("cannot delete old archive '\(directory.display(name))': \(SluiceError.describe(errno: error))")
            } else if !name.hasSuffix(".gz.tmp") {
                deleted += 1
            }
        }
        if cleanUp {
            for name in plan.cleanUp {
                if let error = directory.remove(name) {
                    fail("cannot remove leftover '\(directory.display(name))': \(SluiceError.describe(errno: error))")
                }
            }
        }
        if deleted > 0 {
            stats.update { $0.archivesDeleted += deleted }
        }
        if !plan.delete.isEmpty || (cleanUp && !plan.cleanUp.isEmpty) {
            directory.sync()
        }
    }

    /// `name` → `name.gz.tmp` (synced) → renamed to `name.gz` → `name` deleted. At no point is there
    /// neither a complete `.gz` nor the original.
    private func compress(_ name: String) {
        guard let level = gzipLevel else { return }
        let temporary = name + ".gz.tmp"
        let input = directory.openFile(name, O_RDONLY)
        guard input >= 0 else {
            if errno != ENOENT {
                fail("cannot open '\(directory.display(name))' to compress it: \(SluiceError.describe(errno: errno))")
            }
            return
        }
        defer { close(input) }
        directory.remove(temporary)
        let output = directory.openFile(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard output >= 0 else {
            fail("cannot create '\(directory.display(temporary))': \(SluiceError.describe(errno: errno))")
            return
        }
        fchmod(output, mode)
        var failure = Gzip.compress(from: input, to: output, level: level)
        if failure == nil && fdatasync(output) != 0 {
            failure = (errno, "syncing the compressed file failed")
        }
        if close(output) != 0 && failure == nil {
            failure = (errno, "closing the compressed file failed")
        }
        if failure == nil, let error = directory.rename(temporary, to: name + ".gz") {
            failure = (error, "renaming the compressed file into place failed")
        }
        if let failure {
            directory.remove(temporary)
            fail(
                "cannot compress '\(directory.display(name))' (kept uncompressed, retried at the next rotation): \(failure.what): \(SluiceError.describe(errno: failure.errno))"
            )
            return
        }
        directory.remove(name)
        directory.sync()
        stats.update { $0.compressions += 1 }
    }

    private func fail(_ message: String) {
        stats.problem(.archiveFailed, message) { $0.archiveErrors += 1 }
    }
}
