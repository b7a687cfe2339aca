#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes each label's records to a file of its own, `<directory>/<label>.log`: one log per app or
/// component, as a process supervisor keeps them.
///
/// ```swift
/// let perApp = try LabelFileSink(
///     directory: "/var/log/apps",
///     format: .json,
///     rotation: .init(trigger: .size(megabytes: 20), keep: .files(5), compression: .gzip),
///     maxOpenFiles: 64
/// )
/// // records from logger "billing" go to /var/log/apps/billing.log,
/// // archived as billing.2026-11-23T12-00-00.000000Z.log.gz
/// ```
///
/// Every file follows the same rotation, retention, durability and failure rules as a ``FileSink``
/// (and the same security: `O_NOFOLLOW`, operations relative to the directory, no world-writable
/// directory unless allowed, `mode` whatever the umask). At most `maxOpenFiles` files are open at
/// once; the least recently used one is closed when another is needed.
///
/// Labels never escape the directory: ``fileName(forLabel:ignoringCase:)`` keeps letters, digits,
/// `.`, `-` and `_` and percent-encodes every other byte (`/` → `%2F`, NUL → `%00`), a leading dot
/// included, so `../x` becomes `%2E.%2Fx.log`; an empty label becomes `%.log`. A label that ends like
/// an archive timestamp has that dot encoded too, so no label's file can pass for another label's
/// archive. Distinct labels get distinct files (labels over 200 bytes are cut and end in a hash),
/// also on a file system that ignores case (macOS's default APFS, FAT, casefolded ext4): the sink
/// finds that out when it starts (``directoryIgnoresCase``) and then encodes upper-case letters too,
/// so `API` and `api` never share a file.
///
/// The directory is swept for leftovers (uncompressed or expired archives) once at start-up, in one
/// listing for all labels, and each file again after each of its rotations.
///
/// - Important: The pipeline counts a batch as a unit: when one label's file fails, the whole batch
///   is reported as dropped (reason `sinkFailure`) although the other labels' records were written.
public actor LabelFileSink: LogSink, EncodedRecordSink, SinkExecutorOwning {
    /// The thread the sink's work runs on (also the pipeline's driver for it).
    private nonisolated let executor = ThreadExecutor(name: "sluice-sink-labels")

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    package nonisolated var sinkExecutor: ThreadExecutor { executor }

    public nonisolated let name: String
    public nonisolated let level: LogLevel
    /// The directory, as given.
    public nonisolated let directoryPath: String
    /// The most files open at once.
    public nonisolated let maxOpenFiles: Int
    /// Whether the directory's file system treats names differing only in case as one file (found
    /// out at start-up); upper-case letters in labels are then percent-encoded.
    public nonisolated let directoryIgnoresCase: Bool
    private let directory: LogDirectory
    private let mode: mode_t
    private let trigger: RotationTrigger
    private let utcOffset: (@Sendable (Int64) -> Int64)?
    private let engine: FileWriteEngine
    private let recorder: FileSinkStatsRecorder
    private let archiver: Archiver
    private let fallback: (any LogSink)?
    private var files: [String: LogFile] = [:]
    private var lastUse: [String: UInt64] = [:]
    private var useCounter: UInt64 = 0
    private var closed = false
    /// File names of recently seen labels (bounded; cleared when full).
    private var fileNames: [String: String] = [:]
    /// The batch's records grouped by file, reused from batch to batch.
    private let grouped = PointerBuffer()
    private let perLabel = LockedValue(LabelStatsTable())

    /// Per-label counters, bounded so that a flood of distinct labels cannot grow memory without end.
    private struct LabelStatsTable {
        static let limit = 4096
        var byFileName: [String: LabelFileStats] = [:]
    }

    /// Creates the directory if needed and prepares to write one file per label.
    ///
    /// - Parameters:
    ///   - directory: Where the files go; created (mode 0750) if missing.
    ///   - level: The lowest level written; default `.trace`.
    ///   - format: How records look, e.g. `.json`, `.logfmt`, `.text`.
    ///   - mode: Permissions for new files and archives; default `0o640`.
    ///   - rotation: Rotation, retention and compression for every file; default none.
    ///   - durability: When to `fdatasync`; default one second.
    ///   - failure: Retries and circuit breaker (shared by all files: they share a disk).
    ///   - maxOpenFiles: Files kept open at once, at least 1; default 64.
    ///   - fallback: A sink for the batches this sink gives up on; default none.
    ///   - allowWorldWritableDirectory: Accept a directory any user may write to; default `false`.
    ///   - name: The name in stats and errors; default `"files:<directory>"`.
    /// - Throws: ``SluiceError`` with code ``SluiceError/Code/fileOpenFailed`` when the directory
    ///   cannot be created or opened or is world-writable; ``SluiceError/Code/invalidConfiguration``
    ///   when `maxOpenFiles` is less than 1.
    public init(
        directory: String,
        level: LogLevel = .trace,
        format: some LogFormat,
        mode: UInt32 = 0o640,
        rotation: RotationPolicy = .never,
        durability: Durability = .flushEvery(.seconds(1)),
        failure: FailurePolicy = FailurePolicy(),
        maxOpenFiles: Int = 64,
        fallback: (any LogSink)? = nil,
        allowWorldWritableDirectory: Bool = false,
        name: String? = nil
    ) throws(SluiceError) {
        try self.init(
            directory: directory, level: level, format: format, mode: mode, rotation: rotation,
            durability: durability, failure: failure, maxOpenFiles: maxOpenFiles, fallback: fallback,
            allowWorldWritableDirectory: allowWorldWritableDirectory, name: name, clock: .system, ignoresCase: nil)
    }

    /// The full initialiser, with the wall clock as an input (tests pass a manual one).
    package init(
        directory: String,
        level: LogLevel,
        format: some LogFormat,
        mode: UInt32,
        rotation: RotationPolicy,
        durability: Durability,
        failure: FailurePolicy,
        maxOpenFiles: Int,
        fallback: (any LogSink)?,
        allowWorldWritableDirectory: Bool,
        name: String?,
        clock: WallClock,
        ignoresCase: Bool?
    ) throws(SluiceError) {
        guard maxOpenFiles >= 1 else {
            throw SluiceError(
                .invalidConfiguration, "maxOpenFiles is \(maxOpenFiles); it must be at least 1 (64 is a good default)")
        }
        guard !directory.isEmpty else {
            throw SluiceError(.fileOpenFailed, "the log directory path is empty; pass a path such as 'logs/apps'")
        }
        let logDirectory = try LogDirectory.open(directory, allowWorldWritable: allowWorldWritableDirectory)
        let recorder = FileSinkStatsRecorder()
        let archiver = Archiver(
            name: "labels", directory: logDirectory, rotation: rotation, mode: mode_t(mode), clock: clock,
            stats: recorder)
        self.directory = logDirectory
        self.directoryPath = directory
        self.level = level
        self.name = name ?? "files:\(directory)"
        self.maxOpenFiles = maxOpenFiles
        self.mode = mode_t(mode)
        self.trigger = rotation.trigger
        self.utcOffset = rotation.timeZone.isLocal ? clock.utcOffset : nil
        self.recorder = recorder
        self.archiver = archiver
        self.fallback = fallback
        self.engine = FileWriteEngine(
            format: format, rotation: rotation, durability: durability, failure: failure, fallback: fallback,
            stats: recorder, clock: clock, archiver: archiver)
        directoryIgnoresCase = ignoresCase ?? logDirectory.ignoresCase()
        if engine.archives {
            // Leftovers of an earlier run, for every label at once.
            archiver.sweepAll(naming: Self.naming(ofFile:))
        }
    }

    /// The naming scheme a file in the directory belongs to: `x.log` and its archives
    /// `x.<time>.log[.gz[.tmp]]` belong to `x.log`; anything else to none.
    package static func naming(ofFile name: String) -> ArchiveNaming? {
        var rest = Substring(name)
        if rest.hasSuffix(".gz.tmp") {
            rest = rest.dropLast(7)
        } else if rest.hasSuffix(".gz") {
            rest = rest.dropLast(3)
        }
        guard rest.hasSuffix(".log"), rest.count > 4 else { return nil }
        let stem = rest.dropLast(4)
        let tail = ArchiveNaming.timestampLength + 1
        if stem.utf8.count > tail, stem.utf8.dropLast(tail - 1).last == UInt8(ascii: "."),
            ArchiveNaming.parseTimestamp(Substring(stem.utf8.suffix(tail - 1))) != nil
        {
            return ArchiveNaming(liveName: String(stem.utf8.dropLast(tail))! + ".log")
        }
        return rest.count == name.count ? ArchiveNaming(liveName: name) : nil
    }

    deinit {
        archiver.stop()
    }

    /// The file name a label's records go to, inside the directory.
    ///
    /// ```swift
    /// LabelFileSink.fileName(forLabel: "billing")                    // "billing.log"
    /// LabelFileSink.fileName(forLabel: "../etc")                     // "%2E.%2Fetc.log"
    /// LabelFileSink.fileName(forLabel: "API", ignoringCase: true)    // "%41%50%49.log"
    /// ```
    ///
    /// - Parameters:
    ///   - label: A logger's label.
    ///   - ignoringCase: Whether the file system treats names differing only in case as one file
    ///     (``directoryIgnoresCase``); upper-case letters are then percent-encoded. Default `false`.
    /// - Returns: A name without `/` or NUL that is never `.` or `..` and never starts with a dot.
    ///   Labels longer than 200 bytes are cut and end in a hash of the whole label.
    public static func fileName(forLabel label: String, ignoringCase: Bool = false) -> String {
        var encoded: [UInt8] = []
        for (index, byte) in label.utf8.enumerated() {
            let safe =
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (!ignoringCase && byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || (byte == UInt8(ascii: ".") && index > 0)
            if safe {
                encoded.append(byte)
            } else {
                let digits = Array("0123456789ABCDEF".utf8)
                encoded += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
            }
        }
        if encoded.isEmpty {
            encoded = [UInt8(ascii: "%")]
        }
        // "api.2026-11-23T12-00-00.000000Z" would look like an archive of label "api" (and could be
        // deleted by its retention): encode the dot before such a tail.
        let tail = ArchiveNaming.timestampLength + 1
        if encoded.count > tail, encoded[encoded.count - tail] == UInt8(ascii: "."),
            ArchiveNaming.parseTimestamp(Substring(decoding: encoded.suffix(tail - 1), as: UTF8.self)) != nil
        {
            encoded.replaceSubrange((encoded.count - tail)..<(encoded.count - tail + 1), with: Array("%2E".utf8))
        }
        if encoded.count > 200 {
            // FNV-1a of the whole label keeps long labels distinct after the cut.
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in label.utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
            let suffix = String(hash, radix: 16)
            encoded = Array(encoded.prefix(200 - suffix.count - 1)) + [UInt8(ascii: "~")] + Array(suffix.utf8)
        }
        return String(decoding: encoded, as: UTF8.self) + ".log"
    }

    /// The counters of all files together. Cheap, no `await`, safe from any thread.
    public nonisolated var stats: FileSinkStats {
        recorder.snapshot
    }

    public nonisolated var bytesWritten: Int? {
        recorder.snapshot.bytesWritten
    }

    /// Counters per label, sorted by label: lines, bytes and rotations of each label's file. Cheap, no
    /// `await`, safe from any thread.
    ///
    /// At most 4,096 labels are tracked; records of labels beyond that are counted only in ``stats``.
    public nonisolated var labelStats: [LabelFileStats] {
        perLabel.withLock { Array($0.byFileName.values) }.sorted { $0.label < $1.label }
    }

    /// The counters of one label, or `nil` if it wrote nothing yet (or is beyond the 4,096 tracked).
    ///
    /// - Parameter label: The label.
    /// - Returns: Its counters.
    public nonisolated func stats(forLabel label: String) -> LabelFileStats? {
        let fileName = Self.fileName(forLabel: label)
        return perLabel.withLock { $0.byFileName[fileName] }
    }

    /// The number of files open now.
    public var openFileCount: Int {
        files.count
    }

    /// How many times the directory was listed (for retention), for tests.
    package nonisolated var directoryListings: Int {
        directory.listings
    }

    public func write(_ records: [LogRecord]) async throws(SluiceError) {
        try await write(EncodedRecordArray(records).batch)
    }

    package func write(_ batch: EncodedBatch) async throws(SluiceError) {
        guard !closed else {
            throw SluiceError(.writeFailed, "label file sink for '\(directoryPath)' is closed")
        }
        // Group by file, keeping each label's order.
        let records = batch.records
        var order: [(label: String, fileName: String)] = []
        var groupIndex: [String: Int] = [:]
        var groupOf: [Int] = []
        groupOf.reserveCapacity(records.count)
        var previousLabel = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        var previousGroup = -1
        for index in 0..<records.count {
            let label = records[index].sections.label
            if previousGroup >= 0 && EncodedMetadata.equal(label, previousLabel) {
                groupOf.append(previousGroup)
                continue
            }
            let (labelString, fileName) = fileName(forLabel: label)
            let group: Int
            if let existing = groupIndex[fileName] {
                group = existing
            } else {
                group = order.count
                groupIndex[fileName] = group
                order.append((labelString, fileName))
            }
            groupOf.append(group)
            previousLabel = label
            previousGroup = group
        }
        let groups = grouped.group(records, by: groupOf, groups: order.count)
        var firstError: SluiceError?
        for (group, (label, fileName)) in order.enumerated() {
            let records = groups[group]
            let before = recorder.writeCounters
            let file: LogFile
            do {
                file = try openFile(fileName)
            } catch {
                recorder.update { stats in
                    stats.recordsGivenUp += records.count
                    stats.lastError = error.message
                }
                countForLabel(label, fileName: fileName, before: before)
                firstError = firstError ?? error
                continue
            }
            do {
                try await engine.write(records, to: file)
            } catch {
                firstError = firstError ?? error
            }
            countForLabel(label, fileName: fileName, before: before)
        }
        scheduleSyncTimer()
        if let firstError {
            throw firstError
        }
    }

    /// The label and its file name for a label's bytes, from a small cache.
    private func fileName(forLabel utf8: UnsafeBufferPointer<UInt8>) -> (label: String, fileName: String) {
        let label = String(utf8)
        if let cached = fileNames[label] {
            return (label, cached)
        }
        if fileNames.count >= 4_096 {
            fileNames.removeAll(keepingCapacity: true)
        }
        let fileName = Self.fileName(forLabel: label, ignoringCase: directoryIgnoresCase)
        fileNames[label] = fileName
        return (label, fileName)
    }

    /// Adds what the sink's counters gained since `before` to the label's counters. Only this actor
    /// changes them while it writes (the archiver counts compressions and deletions, not these).
    private func countForLabel(_ label: String, fileName: String, before: FileSinkStatsRecorder.WriteCounters) {
        let after = recorder.writeCounters
        let now = engine.clock.now()
        perLabel.withLock { table in
            guard table.byFileName[fileName] != nil || table.byFileName.count < LabelStatsTable.limit else { return }
            var stats = table.byFileName[fileName] ?? LabelFileStats(label: label, fileName: fileName)
            stats.linesWritten += after.lines - before.lines
            stats.bytesWritten += after.bytes - before.bytes
            stats.rotations += after.rotations - before.rotations
            stats.recordsGivenUp += after.givenUp - before.givenUp
            stats.lastWrite = now
            table.byFileName[fileName] = stats
        }
    }

    private func openFile(_ fileName: String) throws(SluiceError) -> LogFile {
        useCounter += 1
        lastUse[fileName] = useCounter
        if let file = files[fileName] {
            return file
        }
        if files.count >= maxOpenFiles,
            let victim = lastUse.filter({ files[$0.key] != nil }).min(by: { $0.value < $1.value })?.key
        {
            closeFile(victim)
        }
        let schedule = RotationSchedule(trigger: trigger, utcOffset: utcOffset)
        let file = LogFile(directory: directory, name: fileName, mode: mode, schedule: schedule)
        let opened = try file.open(now: engine.clock.now())
        recorder.update { $0.repairedBytes += Int(opened.repairedBytes) }
        files[fileName] = file
        return file
    }

    private func closeFile(_ fileName: String) {
        guard let file = files.removeValue(forKey: fileName) else { return }
        lastUse[fileName] = nil
        if case .noSync = engine.durability.kind {
        } else if let error = engine.sync(file) {
            recorder.recordError(error.message)
        }
        file.closeFile()
    }

    /// `fdatasync`s the open files as the ``Durability`` policy asks.
    public func flush() async throws(SluiceError) {
        guard !closed else { return }
        try engine.flush(Array(files.values))
    }

    /// Closes every file; each is opened again at the path when its label next logs.
    public func reopen() async throws(SluiceError) {
        for fileName in Array(files.keys) {
            closeFile(fileName)
        }
        recorder.update { $0.reopens += 1 }
    }

    /// Syncs and closes every file, then waits for background compression and retention.
    public func close() async throws(SluiceError) {
        guard !closed else { return }
        closed = true
        for fileName in Array(files.keys) {
            closeFile(fileName)
        }
        if let fallback {
            try? await fallback.flush()
        }
        await archiver.waitUntilIdle()
        archiver.stop()
    }

    /// Waits until the background compression and retention of every file rotated so far are done,
    /// so the directory is tidy: archives compressed, and no more kept than the policy allows.
    ///
    /// ```swift
    /// await perApp.waitForArchiving()
    /// ```
    ///
    /// Rotations that happen while it waits are waited for too. ``close()`` (and so a pipeline's
    /// `shutdown`, within its deadline) waits the same way.
    public func waitForArchiving() async {
        await archiver.waitUntilIdle()
    }

    private func scheduleSyncTimer() {
        guard let deadline = engine.syncTimerDeadline(for: Array(files.values)) else { return }
        let timers = archiver.timers
        timers.schedule(at: deadline) {
            Task(name: "sluice file sync", executorPreference: timers) {
                await self.syncTimerFired()
            }
        }
    }

    private func syncTimerFired() {
        guard !closed else { return }
        engine.syncTimerFired(files: Array(files.values))
        scheduleSyncTimer()
    }
}

extension LabelFileSink: ProblemReportingSink {
    package nonisolated func reportProblems(to report: @escaping @Sendable (InternalError.Kind, String) -> Void) {
        recorder.reportProblems(to: report)
    }
}
