#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Formats batches into a ``LogFile`` with rotation, retries, the circuit breaker, the fallback sink
/// and the durability policy. Shared by ``FileSink`` and ``LabelFileSink``; owned and called by one
/// of those actors (its async methods run isolated to that actor).
package final class FileWriteEngine {
    package let format: any EncodedRecordFormat
    package let durability: Durability
    package let stats: FileSinkStatsRecorder
    package let clock: WallClock
    package let archiver: Archiver
    /// Whether rotated files need a background sweep (compression or retention).
    package let archives: Bool
    private let fallback: (any LogSink)?
    private var retry: RetryStateMachine<ContinuousClock>
    private var output = LogOutput()
    private var syncTimerPending = false

    package init(
        format: any LogFormat,
        rotation: RotationPolicy,
        durability: Durability,
        failure: FailurePolicy,
        fallback: (any LogSink)?,
        stats: FileSinkStatsRecorder,
        clock: WallClock,
        archiver: Archiver
    ) {
        self.format = format.encoded
        self.durability = durability
        self.stats = stats
        self.clock = clock
        self.archiver = archiver
        self.fallback = fallback
        archives = !rotation.keep.keepsEverything || rotation.compression.gzipLevel != nil
        retry = RetryStateMachine(policy: failure)
    }

    /// Where a batch stands: records before `next` are in a file; the current file held `offset`
    /// bytes when it received record `firstInFile` of this batch.
    private struct Progress {
        var next = 0
        var firstInFile = 0
        var offset: Int64?
        /// An `fdatasync` under `fsyncEveryBatch` failed: what this batch wrote to the current file
        /// may not be on the disk, and a later sync would wrongly vouch for it, so it is written again.
        var mustRewrite = false
    }

    /// Writes `records` to `file`, retrying transient failures with backoff. Throws once it gives
    /// up, after cutting the file back to where the batch began in it and handing the records that
    /// are in no file to the fallback sink.
    package func write(
        _ records: EncodedRecords,
        to file: LogFile,
        isolation: isolated (any Actor) = #isolation
    ) async throws(SluiceError) {
        let started = ContinuousClock.now
        defer { stats.recordWrite(duration: started.duration(to: .now)) }
        if case .reject(let until) = retry.batchArrived(now: .now) {
            let wait = ContinuousClock.now.duration(to: until)
            let error = SluiceError(
                .writeFailed,
                "not writing to '\(file.displayPath)' for another \(wait.readable): the circuit breaker is open after repeated failures (last: \(stats.snapshot.lastError ?? "unknown"))"
            )
            await giveUp(records, from: 0)
            throw error
        }
        updateCircuit()
        var progress = Progress()
        while true {
            guard let error = attempt(records, to: file, progress: &progress) else {
                retry.attemptSucceeded()
                updateCircuit()
                return
            }
            stats.update { stats in
                stats.writeErrors += 1
                stats.lastError = error.message
            }
            if progress.mustRewrite {
                progress.mustRewrite = false
                guard rewind(file, &progress) else {
                    await giveUp(records, from: progress.firstInFile)
                    throw SluiceError(
                        .writeFailed,
                        "\(error.message); the batch could not be cut back to be written again, so it is counted as dropped although part of it may be in '\(file.displayPath)'",
                        errno: error.errno)
                }
            }
            let action = retry.attemptFailed(now: .now, errno: error.errno ?? EIO)
            updateCircuit()
            switch action {
            case .retry(let delay):
                // The sink's own timer thread, not Task.sleep: its wake-up needs Swift's cooperative
                // pool, which producers parked under `block` (or any busy program) can saturate.
                await archiver.timers.sleep(until: ContinuousClock.now.advanced(by: delay))
            case .giveUp(let circuitOpened):
                if let offset = progress.offset, offset < file.size {
                    let removedBytes = Int(file.size - offset)
                    let removedLines = progress.next - progress.firstInFile
                    if file.truncate(to: offset) {
                        // Those lines are gone again: the counters follow the file.
                        stats.update { stats in
                            stats.bytesWritten -= removedBytes
                            stats.linesWritten -= removedLines
                        }
                    } else {
                        stats.recordError("cannot cut '\(file.displayPath)' back after a failed batch")
                    }
                }
                await giveUp(records, from: progress.firstInFile)
                let suffix =
                    circuitOpened
                    ? "; the circuit breaker is now open and batches are dropped until a probe succeeds" : ""
                throw SluiceError(.writeFailed, "\(error.message)\(suffix)", errno: error.errno)
            }
        }
    }

    /// Cuts the current file back to where this batch began in it, so the next attempt writes the
    /// batch's lines again (after a failed sync). Returns whether it could.
    private func rewind(_ file: LogFile, _ progress: inout Progress) -> Bool {
        guard let offset = progress.offset else { return true }
        let removedBytes = Int(max(file.size - offset, 0))
        let removedLines = progress.next - progress.firstInFile
        guard file.truncate(to: offset) else { return false }
        stats.update { stats in
            stats.bytesWritten -= removedBytes
            stats.linesWritten -= removedLines
        }
        progress.next = progress.firstInFile
        return true
    }

    private func giveUp(
        _ records: EncodedRecords,
        from index: Int,
        isolation: isolated (any Actor) = #isolation
    ) async {
        stats.update { $0.recordsGivenUp += records.count }
        guard let fallback, index < records.count else { return }
        let rest = records.decoded(from: index, atOrAbove: fallback.level)
        guard !rest.isEmpty else { return }
        do {
            try await fallback.write(rest)
            stats.update { $0.fallbackRecords += rest.count }
        } catch {
            stats.recordError("the fallback sink '\(fallback.name)' failed too: \(error)")
        }
    }

    private func updateCircuit() {
        let circuit = retry.circuit
        stats.update { $0.circuitState = circuit }
    }

    /// One try: check the path, format, rotate where needed, write in chunks of whole lines.
    private func attempt(_ records: EncodedRecords, to file: LogFile, progress: inout Progress) -> SluiceError? {
        let now = clock.now()
        do {
            switch try file.checkPath(now: now) {
            case .reopened:
                stats.update { $0.reopens += 1 }
                progress.firstInFile = progress.next
                progress.offset = file.size
            case .truncated:
                progress.firstInFile = progress.next
                progress.offset = file.size
            case .none:
                if progress.offset == nil {
                    progress.offset = file.size
                }
            }
        } catch {
            return error
        }
        output.removeAll()
        var chunkLines = 0
        var index = progress.next
        // Without rotation, format chunk by chunk through the format's batch entry point (one
        // dynamic call per chunk, and no copy of each record).
        while !file.schedule.rotates && index < records.count {
            let first = index
            index = format.write(records, from: index, to: &output, byteLimit: LineWriter.chunkSize)
            chunkLines += index - first
            if output.count >= LineWriter.chunkSize {
                if let error = writeOut(to: file, count: output.count, lines: chunkLines) {
                    return error
                }
                progress.next = index
                output.removeAll()
                chunkLines = 0
            }
        }
        while index < records.count {
            let before = output.count
            format.write(records[index], to: &output)
            if file.schedule.rotates,
                case .rotate(let archiveTime) = file.schedule.check(
                    now: now, fileSize: file.size + Int64(before), lineLength: output.count - before)
            {
                if before > 0 {
                    if let error = writeOut(to: file, count: before, lines: chunkLines) {
                        return error
                    }
                    progress.next = index
                    output.removeFirst(before)
                    chunkLines = 0
                }
                if let error = rotate(file, archiveTime: archiveTime, now: now, progress: &progress) {
                    return error
                }
                progress.firstInFile = index
                progress.offset = file.size
            }
            index += 1
            chunkLines += 1
            if output.count >= LineWriter.chunkSize {
                if let error = writeOut(to: file, count: output.count, lines: chunkLines) {
                    return error
                }
                progress.next = index
                output.removeAll()
                chunkLines = 0
            }
        }
        if !output.isEmpty {
            if let error = writeOut(to: file, count: output.count, lines: chunkLines) {
                return error
            }
            progress.next = records.count
            output.removeAll()
        }
        if let error = afterBatch(file) {
            progress.mustRewrite = durability.kind == .everyBatch
            return error
        }
        return nil
    }

    private func writeOut(to file: LogFile, count: Int, lines: Int) -> SluiceError? {
        let error = output.withUnsafeBytes { file.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        if let error {
            return SluiceError(
                .writeFailed, "writing to '\(file.displayPath)' failed: \(SluiceError.describe(errno: error))",
                errno: error)
        }
        stats.update { stats in
            stats.bytesWritten += count
            stats.linesWritten += lines
        }
        return nil
    }

    private func rotate(
        _ file: LogFile, archiveTime: LogTimestamp, now: LogTimestamp, progress: inout Progress
    ) -> SluiceError? {
        if durability.kind != .noSync, let error = sync(file), durability.kind == .everyBatch {
            // The part of this batch in the file about to become an archive may not be on the disk:
            // write it again (in the current file, which then rotates on the next attempt).
            progress.mustRewrite = true
            return error
        }
        switch file.rotate(archiveTime: archiveTime, now: now, syncData: false) {
        case .rotated:
            stats.update { $0.rotations += 1 }
            file.lastSync = .now
            if archives {
                archiver.sweep(file.naming)
            }
            return nil
        case .failed(let error):
            // Keep writing to the current file (better an oversized file than lost records) and
            // try again later.
            file.schedule.rotationFailed(now: now)
            stats.problem(.rotationFailed, error.message + "; still writing to the current file, retrying later") {
                $0.rotationFailures += 1
            }
            return nil
        case .rotatedWithoutNewFile(_, let error):
            stats.update { $0.rotations += 1 }
            if archives {
                archiver.sweep(file.naming)
            }
            return error
        }
    }

    private func afterBatch(_ file: LogFile) -> SluiceError? {
        stats.update { $0.batchesWritten += 1 }
        switch durability.kind {
        case .everyBatch:
            return sync(file)
        case .interval(let interval):
            if file.lastSync.duration(to: .now) >= interval {
                return sync(file)
            }
            return nil
        case .noSync, .onFlush:
            return nil
        }
    }

    /// `fdatasync` of `file` if it has unsynced data. A failure is counted in `syncFailures`.
    package func sync(_ file: LogFile) -> SluiceError? {
        guard file.unsynced else { return nil }
        file.lastSync = .now
        if let error = file.sync() {
            stats.update { $0.syncFailures += 1 }
            return SluiceError(
                .writeFailed, "fdatasync of '\(file.displayPath)' failed: \(SluiceError.describe(errno: error))",
                errno: error)
        }
        return nil
    }

    /// For ``Durability/flushEvery(_:)``: when the sink should look again for unsynced data (an
    /// idle sink gets no batch to do it), or `nil` when no timer is needed or one is pending.
    package func syncTimerDeadline(for files: [LogFile]) -> ContinuousClock.Instant? {
        guard case .interval(let interval) = durability.kind, !syncTimerPending else { return nil }
        guard let oldest = files.filter(\.unsynced).map(\.lastSync).min() else { return nil }
        syncTimerPending = true
        return oldest.advanced(by: interval)
    }

    /// The sync timer fired: sync what is due.
    package func syncTimerFired(files: [LogFile]) {
        syncTimerPending = false
        guard case .interval(let interval) = durability.kind else { return }
        for file in files where file.unsynced && file.lastSync.duration(to: .now) >= interval {
            if let error = sync(file) {
                stats.recordError(error.message)
            }
        }
    }

    /// A flush: `fdatasync` where the policy asks for it.
    package func flush(_ files: [LogFile]) throws(SluiceError) {
        let started = ContinuousClock.now
        defer { stats.recordFlush(duration: started.duration(to: .now)) }
        if case .noSync = durability.kind {
            return
        }
        var firstError: SluiceError?
        for file in files {
            if let error = sync(file), firstError == nil {
                firstError = error
            }
        }
        if let firstError {
            stats.recordError(firstError.message)
            throw firstError
        }
    }
}
