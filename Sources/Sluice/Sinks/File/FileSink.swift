#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends records to a file through one long-lived descriptor, with rotation, retention, gzip,
/// a durability policy, retries with a circuit breaker, and `logrotate` support.
///
/// ```swift
/// let file = try FileSink(
///     path: "/var/log/myapp/app.log",
///     format: .json,
///     rotation: .init(
///         trigger: .size(megabytes: 50).or(.daily),
///         keep: [.files(10), .age(days: 14)],
///         compression: .gzip
///     ),
///     durability: .flushEvery(.milliseconds(100))
/// )
/// ```
///
/// **Writing.** Each batch is formatted into a reusable buffer and written in chunks of whole lines
/// of about 64 KiB, on the sink's own thread. A line is never split across files: a failed write is
/// cut back to the last whole line (unless another process appended meanwhile: its lines are never
/// cut, and the fragment's line is ended instead), and an unterminated last line found when the file
/// is opened (a crash mid-write, another program's output) is kept and ended with a newline.
///
/// **Rotation** (``RotationPolicy``) happens between records: the file is flushed, renamed to
/// `<stem>.<UTC time>[.<extension>]` (`app.2026-11-23T12-00-00.000000Z.log`), a new file is opened
/// and the directory is `fsync`ed. Compression (`….log.gz`) and retention run in the background on
/// a thread the sink owns. Retention only ever deletes files matching this naming scheme.
///
/// **Moved or truncated files.** Before each batch the sink checks that the path still leads to the
/// file it has open; after `mv` (for example by `logrotate`) or deletion it opens a new file at the
/// path, and after truncation (`copytruncate`) it keeps appending at the new end. Call
/// ``LogPipeline/reopenFiles(timeout:)`` (for example on `SIGHUP`) to reopen unconditionally.
///
/// **Failures** (``FailurePolicy``): transient errors such as `ENOSPC` are retried with jittered
/// exponential backoff; after repeated failures a circuit breaker stops touching the disk until a
/// probe succeeds. A batch the sink gives up on is thrown, so the pipeline counts it as dropped
/// (`sinkFailure`) and reports it to `onInternalError`; the optional `fallback` sink receives it.
///
/// **Security.** The file is opened with `O_NOFOLLOW | O_CLOEXEC` relative to a descriptor of its
/// directory (as are renames and deletions), a symbolic link at the path is refused, a directory
/// others may write to is refused unless allowed, and a file the sink creates gets `mode` (0640 by
/// default) whatever the umask.
///
/// - Important: See ``Durability`` for what survives a process crash and what survives a power
///   loss. `stats` can be read from any thread without `await`.
public actor FileSink: LogSink, EncodedRecordSink, SinkExecutorOwning {
    /// The thread the sink's work runs on (also the pipeline's driver for it).
    private nonisolated let executor = ThreadExecutor(name: "sluice-sink-file")

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    package nonisolated var sinkExecutor: ThreadExecutor { executor }

    public nonisolated let name: String
    public nonisolated let level: LogLevel
    /// The file's path, as given.
    public nonisolated let path: String
    private let file: LogFile
    private let engine: FileWriteEngine
    private let recorder: FileSinkStatsRecorder
    private let archiver: Archiver
    private let fallback: (any LogSink)?
    private var closed = false

    /// Opens (or creates) the file for appending.
    ///
    /// - Parameters:
    ///   - path: The file; relative paths are relative to the working directory. Missing parent
    ///     directories are created (mode 0750).
    ///   - level: The lowest level written; default `.trace` (the pipeline's level decides).
    ///   - format: How records look, e.g. `.json`, `.logfmt`, `.text`.
    ///   - mode: Permissions for a newly created file or archive; default `0o640`.
    ///   - rotation: When to rotate, what to keep, whether to gzip; default ``RotationPolicy/never``.
    ///   - durability: When to `fdatasync`; default ``Durability/flushEvery(_:)`` with one second.
    ///   - failure: Retries and circuit breaker; default ``FailurePolicy/init(attempts:initialBackoff:maxBackoff:jitter:openCircuitAfter:probeAfter:maxProbeInterval:)``.
    ///   - fallback: A sink (say, a `ConsoleSink` on standard error) that receives the batches this
    ///     sink gives up on; default none.
    ///   - allowWorldWritableDirectory: Accept a directory any user may write to; default `false`.
    ///   - name: The name in stats and errors; default `"file:<path>"`.
    /// - Throws: ``SluiceError`` with code ``SluiceError/Code/fileOpenFailed`` naming the path, the
    ///   operating system's reason and what to check; ``SluiceError/Code/invalidConfiguration`` for
    ///   a rotation policy on something that is not a regular file.
    public init(
        path: String,
        level: LogLevel = .trace,
        format: some LogFormat,
        mode: UInt32 = 0o640,
        rotation: RotationPolicy = .never,
        durability: Durability = .flushEvery(.seconds(1)),
        failure: FailurePolicy = FailurePolicy(),
        fallback: (any LogSink)? = nil,
        allowWorldWritableDirectory: Bool = false,
        name: String? = nil
    ) throws(SluiceError) {
        try self.init(
            path: path, level: level, format: format, mode: mode, rotation: rotation, durability: durability,
            failure: failure, fallback: fallback, allowWorldWritableDirectory: allowWorldWritableDirectory,
            name: name, clock: .system)
    }

    /// Opens (or creates) the file for appending, writing JSON Lines.
    ///
    /// ```swift
    /// let file = try FileSink(path: "logs/app.log", rotation: .init(trigger: .daily, keep: .files(7)))
    /// ```
    ///
    /// - Parameters:
    ///   - path: The file; relative paths are relative to the working directory.
    ///   - level: The lowest level written; default `.trace` (the pipeline's level decides).
    ///   - mode: Permissions for a newly created file or archive; default `0o640`.
    ///   - rotation: When to rotate, what to keep, whether to gzip; default ``RotationPolicy/never``.
    ///   - durability: When to `fdatasync`; default one second.
    ///   - failure: Retries and circuit breaker.
    ///   - fallback: A sink for the batches this sink gives up on; default none.
    ///   - allowWorldWritableDirectory: Accept a directory any user may write to; default `false`.
    ///   - name: The name in stats and errors; default `"file:<path>"`.
    /// - Throws: ``SluiceError`` with code ``SluiceError/Code/fileOpenFailed``.
    public init(
        path: String,
        level: LogLevel = .trace,
        mode: UInt32 = 0o640,
        rotation: RotationPolicy = .never,
        durability: Durability = .flushEvery(.seconds(1)),
        failure: FailurePolicy = FailurePolicy(),
        fallback: (any LogSink)? = nil,
        allowWorldWritableDirectory: Bool = false,
        name: String? = nil
    ) throws(SluiceError) {
        try self.init(
            path: path, level: level, format: JSONFormat(), mode: mode, rotation: rotation, durability: durability,
            failure: failure, fallback: fallback, allowWorldWritableDirectory: allowWorldWritableDirectory,
            name: name)
    }

    /// The full initialiser, with the wall clock as an input (tests pass a manual one).
    package init(
        path: String,
        level: LogLevel,
        format: some LogFormat,
        mode: UInt32,
        rotation: RotationPolicy,
        durability: Durability,
        failure: FailurePolicy,
        fallback: (any LogSink)?,
        allowWorldWritableDirectory: Bool,
        name: String?,
        clock: WallClock
    ) throws(SluiceError) {
        guard !path.isEmpty else {
            throw SluiceError(.fileOpenFailed, "the log file path is empty; pass a path such as 'logs/app.log'")
        }
        let (directoryPath, fileName) = LogDirectory.split(path)
        guard !fileName.isEmpty, fileName != ".", fileName != ".." else {
            throw SluiceError(
                .fileOpenFailed,
                "cannot open log file '\(path)': the path names a directory (EISDIR); add a file name such as '\(path.hasSuffix("/") ? path : path + "/")app.log'"
            )
        }
        let directory = try LogDirectory.open(directoryPath, allowWorldWritable: allowWorldWritableDirectory)
        var utcOffset: ((Int64) -> Int64)?
        if rotation.timeZone.isLocal {
            utcOffset = clock.utcOffset
        }
        let schedule = RotationSchedule(trigger: rotation.trigger, utcOffset: utcOffset)
        let file = LogFile(directory: directory, name: fileName, mode: mode_t(mode), schedule: schedule)
        let opened = try file.open(now: clock.now())
        let recorder = FileSinkStatsRecorder()
        recorder.update { $0.repairedBytes = Int(opened.repairedBytes) }
        let resolvedName = name ?? "file:\(path)"
        let archiver = Archiver(
            name: fileName, directory: directory, rotation: rotation, mode: mode_t(mode), clock: clock,
            stats: recorder)
        let engine = FileWriteEngine(
            format: format, rotation: rotation, durability: durability, failure: failure, fallback: fallback,
            stats: recorder, clock: clock, archiver: archiver)
        if engine.archives {
            // Leftovers of an earlier run: uncompressed or half-compressed archives, expired ones.
            archiver.sweep(file.naming)
        }
        self.path = path
        self.level = level
        self.name = resolvedName
        self.file = file
        self.engine = engine
        self.recorder = recorder
        self.archiver = archiver
        self.fallback = fallback
    }

    deinit {
        archiver.stop()
    }

    /// This sink's counters: bytes, lines, rotations, compressions, errors, circuit state and
    /// latencies. Cheap, no `await`, safe from any thread.
    public nonisolated var stats: FileSinkStats {
        recorder.snapshot
    }

    public nonisolated var bytesWritten: Int? {
        recorder.snapshot.bytesWritten
    }

    public func write(_ records: [LogRecord]) async throws(SluiceError) {
        try await write(EncodedRecordArray(records).batch)
    }

    package func write(_ batch: EncodedBatch) async throws(SluiceError) {
        guard !closed else {
            throw SluiceError(.writeFailed, "file sink for '\(path)' is closed")
        }
        try await engine.write(batch.records, to: file)
        scheduleSyncTimer()
    }

    /// Hands everything to the operating system (it already is, after every batch) and
    /// `fdatasync`s as the ``Durability`` policy asks.
    public func flush() async throws(SluiceError) {
        guard !closed else { return }
        try engine.flush([file])
    }

    /// Closes the file and opens the path again (after `logrotate` moved it, say). Called by
    /// ``LogPipeline/reopenFiles(timeout:)`` in order with the batches.
    public func reopen() async throws(SluiceError) {
        guard !closed else { return }
        if let error = engine.sync(file) {
            recorder.recordError(error.message)
        }
        file.closeFile()
        do {
            _ = try file.open(now: engine.clock.now())
        } catch {
            recorder.recordError(error.message)
            throw error
        }
        recorder.update { $0.reopens += 1 }
    }

    /// Syncs and closes the file, then waits for background compression and retention to finish.
    public func close() async throws(SluiceError) {
        guard !closed else { return }
        closed = true
        var firstError: SluiceError?
        if case .noSync = engine.durability.kind {
        } else {
            firstError = engine.sync(file)
        }
        if let error = file.closeFile(), firstError == nil {
            firstError = SluiceError(
                .writeFailed, "closing '\(path)' failed: \(SluiceError.describe(errno: error))", errno: error)
        }
        if let fallback {
            try? await fallback.flush()
        }
        await archiver.waitUntilIdle()
        archiver.stop()
        if let firstError {
            throw firstError
        }
    }

    /// Waits until the background compression and retention of every file rotated so far are done,
    /// so the directory is tidy: archives compressed, and no more kept than the policy allows.
    ///
    /// ```swift
    /// try await file.write(records)      // rotates a few times
    /// await file.waitForArchiving()      // every archive is now .gz, old ones are gone
    /// ```
    ///
    /// Rotations that happen while it waits are waited for too. ``close()`` (and so a pipeline's
    /// `shutdown`, within its deadline) waits the same way.
    public func waitForArchiving() async {
        await archiver.waitUntilIdle()
    }

    private func scheduleSyncTimer() {
        guard let deadline = engine.syncTimerDeadline(for: [file]) else { return }
        let timers = archiver.timers
        timers.schedule(at: deadline) {
            Task(name: "sluice file sync", executorPreference: timers) {
                await self.syncTimerFired()
            }
        }
    }

    private func syncTimerFired() {
        guard !closed else { return }
        engine.syncTimerFired(files: [file])
        scheduleSyncTimer()
    }
}

extension FileSink: ProblemReportingSink {
    package nonisolated func reportProblems(to report: @escaping @Sendable (InternalError.Kind, String) -> Void) {
        recorder.reportProblems(to: report)
    }
}
