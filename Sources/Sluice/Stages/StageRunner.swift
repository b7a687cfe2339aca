/// The stages that run in the pipeline, on the collector's thread, over the records each take
/// staged: the backtrace, transformers, redaction, deduplication and the sinks' filters, in that
/// order (see ``StageOptions``). It also writes the records the stages produce themselves: summaries
/// of rate-limited windows and of repeats, and rings written out ahead of an error.
///
/// Records nothing needs to change are only read, in place: the pass allocates nothing for them
/// and writes nothing. A record that must change (redacted, transformed, marked) is written once
/// more into the ``StageArena``; the original's bytes and its unit of queue room go back. Each pass
/// ends with one ``PipelineStorage/apply(_:)`` of what it changed, so every record stays counted in
/// exactly one place.
///
/// Not `Sendable`: owned by the collector and used only on its thread. User code (transformers,
/// metadata filters, custom redaction patterns) runs here, never under a lock.
// Dynamic exclusivity checks are off for the mutable state below (they cost more than the work per
// record): the runner is used by one thread, the collector's, one call at a time, so no two accesses
// can overlap.
package final class StageRunner {
    /// Unowned: every owner of a runner (the collector, synchronous mode's delivery, which the
    /// storage itself owns, and the benchmarks' encoded batch) holds the storage for longer.
    private unowned let core: PipelineStorage
    private let redactor: RecordRedactor?
    /// Copies records for a backtrace, marked, without redacting (that comes after).
    private let marker = RecordRedactor(.none)
    private let transformers: [LogTransformer]
    @exclusivity(unchecked) private var deduplicator: Deduplicator?
    @exclusivity(unchecked) private var backtrace: BacktraceRings?
    private let filters: [SinkFilterMatcher?]
    private let sinkLevels: [LogLevel]
    private let minimumSinkLevel: LogLevel
    private let reportError: @Sendable (InternalError) -> Void
    private let errorReports = RateLimiter(interval: .seconds(10))
    @exclusivity(unchecked) private var arena: StageArena
    @exclusivity(unchecked) private var tally: StageTally
    @exclusivity(unchecked) private var released: [ChunkRun] = []
    /// What a pass makes of its records. While every record stays as it was, nothing is copied:
    /// `copying` turns on at the first change, with the unchanged records before it copied over.
    @exclusivity(unchecked) private var output: [UnsafeRawPointer] = []
    @exclusivity(unchecked) private var outputMasks: [UInt64] = []
    @exclusivity(unchecked) private var copying = false
    @exclusivity(unchecked) private var input = UnsafeBufferPointer<UnsafeRawPointer>(start: nil, count: 0)
    @exclusivity(unchecked) private var inputIndex = 0
    @exclusivity(unchecked) private var emittedCurrent = false
    @exclusivity(unchecked) private var dumps: [UnsafeRawPointer] = []
    /// Rate-limit summaries that found no memory yet.
    @exclusivity(unchecked) private var waitingSummaries: [RateLimitTable.Summary] = []
    @exclusivity(unchecked) private var finished = false

    /// Whether routing follows per-record masks (sink filters or a backtrace).
    package let usesMasks: Bool
    /// Whether any stage runs on the collector at all.
    package let isActive: Bool

    package init(
        core: PipelineStorage, filters: [SinkFilter?], reportError: @escaping @Sendable (InternalError) -> Void
    ) {
        self.core = core
        let options = core.stageOptions
        redactor = options.redaction.isEnabled ? RecordRedactor(options.redaction) : nil
        transformers = options.transformers
        deduplicator = options.deduplication.map { Deduplicator(window: $0.window) }
        backtrace = options.backtrace.map(BacktraceRings.init)
        self.filters = filters.map { $0.map(SinkFilterMatcher.init) }
        sinkLevels = core.sinkLevels
        minimumSinkLevel = core.levels.minimumSinkLevel
        self.reportError = reportError
        arena = StageArena(chunks: core.chunks)
        tally = StageTally(sinks: core.sinkLevels.count, transformers: options.transformers.count)
        usesMasks = filters.contains { $0 != nil } || options.backtrace != nil
        isActive =
            redactor != nil || !transformers.isEmpty || options.deduplication != nil || options.backtrace != nil
            || usesMasks || options.rateLimit != nil
    }

    // MARK: Passes

    /// Runs the stages over the records staged since the last pass and replaces them with what the
    /// stages made of them.
    package func process(_ assembler: inout BatchAssembler) {
        guard isActive else { return }
        output.removeAll(keepingCapacity: true)
        outputMasks.removeAll(keepingCapacity: true)
        copying = false
        let count = assembler.withUnprocessed { records in
            input = records
            for index in records.indices {
                inputIndex = index
                emittedCurrent = false
                handle(records[index])
                if !copying && !emittedCurrent {
                    // Removed or held: from here on the pass writes a list of its own.
                    startCopying(upTo: index)
                }
            }
            input = UnsafeBufferPointer(start: nil, count: 0)
            return records.count
        }
        guard count > 0 else { return }
        if copying {
            assembler.replaceUnprocessed(with: output, masks: outputMasks)
        } else {
            assembler.markProcessed(masks: outputMasks)
        }
        commit()
    }

    /// The pass changes something: the records before `end` (kept as they were) start the list it
    /// writes.
    private func startCopying(upTo end: Int) {
        copying = true
        output.removeAll(keepingCapacity: true)
        output.append(contentsOf: input[0..<end])
    }

    /// Writes what is due at `now` (wall clock, nanoseconds): summaries of rate-limit windows the
    /// timer closed, and a run of repeats whose window passed. Returns whether it staged anything.
    @discardableResult
    package func sweep(into assembler: inout BatchAssembler, now: Int64) -> Bool {
        guard isActive, !finished else { return false }
        output.removeAll(keepingCapacity: true)
        outputMasks.removeAll(keepingCapacity: true)
        copying = true
        if let deduplicator, deduplicator.runExpired(now: now) {
            endRun()
        }
        writeRateLimitSummaries()
        return stage(into: &assembler)
    }

    /// Writes everything a stage holds back that a flush should show: a pending run of repeats and
    /// what the rate limit suppressed so far (the window goes on). Returns whether it staged
    /// anything.
    @discardableResult
    package func flush(into assembler: inout BatchAssembler) -> Bool {
        guard isActive, !finished else { return false }
        output.removeAll(keepingCapacity: true)
        outputMasks.removeAll(keepingCapacity: true)
        copying = true
        if deduplicator?.repeats ?? 0 > 0 {
            endRun()
        }
        core.rateLimit?.closeWindow(now: LogTimestamp.now().nanosecondsSinceEpoch, endingWindow: false)
        writeRateLimitSummaries()
        return stage(into: &assembler)
    }

    /// Shutdown, once the queue is drained: writes the pending run of repeats and the last window's
    /// summaries, stops the rate limit's timer and counts what the backtrace rings still hold as
    /// filtered. Returns whether it staged anything.
    @discardableResult
    package func finish(into assembler: inout BatchAssembler, executor: ThreadExecutor) -> Bool {
        guard isActive, !finished else { return false }
        output.removeAll(keepingCapacity: true)
        outputMasks.removeAll(keepingCapacity: true)
        copying = true
        if deduplicator?.repeats ?? 0 > 0 {
            endRun()
        }
        if let rateLimit = core.rateLimit {
            rateLimit.stop(on: executor)
            rateLimit.closeWindow(now: LogTimestamp.now().nanosecondsSinceEpoch)
            writeRateLimitSummaries()
        }
        discardRings()
        finished = true
        return stage(into: &assembler)
    }

    /// The collector is done without ``finish(into:executor:)`` (the shutdown deadline passed):
    /// what the stages still hold is let go. ``PipelineStorage/closeIntake()`` already counted it as
    /// dropped for shutdown.
    package func abandon(executor: ThreadExecutor) {
        if let rateLimit = core.rateLimit {
            rateLimit.stop(on: executor)
        }
        guard isActive, !finished else { return }
        _ = deduplicator?.endRun()
        _ = backtrace?.discardAll()
        finished = true
        arena.close()
        commit()
    }

    /// Lets go of the arena's memory (the collector is done).
    package func close() {
        arena.close()
        commit()
    }

    /// When the stages next want to run by themselves (a run of repeats whose window ends), wall
    /// clock nanoseconds; `nil` when nothing waits.
    package var nextDeadline: Int64? {
        guard let deduplicator, deduplicator.repeats > 0 else { return nil }
        return deduplicator.windowEnd
    }

    private func discardRings() {
        guard let held = backtrace?.discardAll(), held > 0 else { return }
        tally.heldChange -= held
        tally.backtrace += held
    }

    /// Appends the records in `output` to the staging area and commits the pass.
    private func stage(into assembler: inout BatchAssembler) -> Bool {
        let staged = !output.isEmpty
        for (index, record) in output.enumerated() {
            assembler.appendProcessed(record, mask: usesMasks ? outputMasks[index] : 0)
        }
        commit()
        return staged
    }

    private func commit() {
        arena.commit()
        if !tally.isEmpty {
            core.apply(tally)
            tally.reset()
        }
        if !released.isEmpty {
            core.chunks.release(released)
            released.removeAll(keepingCapacity: true)
        }
    }

    // MARK: One record

    private func handle(_ pointer: UnsafeRawPointer) {
        let original = EncodedRecord(pointer)
        if original.flags & RecordLayout.Flags.held != 0 {
            hold(original)
            return
        }
        if let trigger = backtrace?.options.trigger, original.level >= trigger {
            releaseRing(for: original)
        }
        var current = transformAndRedact(original, fromBacktrace: false)
        if let record = current, deduplicator != nil {
            switch deduplicator!.observe(record) {
            case .repeated(let replacedHeld):
                remove(record)
                if replacedHeld {
                    tally.deduplicated += 1
                } else {
                    tally.heldChange += 1
                }
                current = nil
            case .distinct(let endedRun):
                if endedRun > 0 {
                    endRun(count: endedRun)
                }
            }
        }
        var mask: UInt64 = 0
        if let record = current, usesMasks {
            mask = routeMask(record, counting: true)
            if mask == 0 {
                remove(record)
                tally.sinkFilter += 1
                current = nil
            }
        }
        if !dumps.isEmpty {
            // The ring goes to the sinks that take the error (or would have, had a stage removed it).
            let dumpMask = current != nil ? mask : routeMask(original, counting: false)
            writeDumps(mask: dumpMask)
        }
        if let record = current {
            emit(record.base, mask: mask)
        }
    }

    private func emit(_ record: UnsafeRawPointer, mask: UInt64) {
        if !copying {
            if !emittedCurrent && record == input[inputIndex] {
                // The record goes on as it was: nothing to copy.
                emittedCurrent = true
                if usesMasks {
                    outputMasks.append(mask)
                }
                return
            }
            startCopying(upTo: emittedCurrent ? inputIndex + 1 : inputIndex)
        }
        output.append(record)
        if usesMasks {
            outputMasks.append(mask)
        }
    }

    /// A record leaves the staging area: its bytes go back, and its unit of room unless the stages
    /// wrote it.
    private func remove(_ record: EncodedRecord) {
        tally.stagedRemoved += 1
        if record.flags & RecordLayout.Flags.detached == 0 {
            tally.roomReturned += 1
        }
        // Records of one take lie mostly in one chunk: one run per chunk, not per record.
        let chunk = UInt16(truncatingIfNeeded: record.chunk)
        if let last = released.indices.last, released[last].chunk == chunk {
            released[last].bytes += record.size
        } else {
            released.append(ChunkRun(chunk: chunk, bytes: record.size))
        }
    }

    /// Room in the arena for a record the stages write; its header's chunk is set once written.
    private func reserve(_ size: Int) -> (pointer: UnsafeMutableRawPointer, chunk: UInt16)? {
        guard size <= RecordLayout.maximumRecordSize else { return nil }
        return arena.reserve(size)
    }

    private static func setChunk(_ chunk: UInt16, of record: UnsafeMutableRawPointer) {
        record.storeBytes(of: chunk, toByteOffset: RecordLayout.chunkOffset, as: UInt16.self)
    }

    // MARK: Transformers and redaction

    /// The record after the transformers and the redaction: the same one, a rewritten copy (the
    /// original removed), or `nil` when a stage dropped it.
    private func transformAndRedact(_ record: EncodedRecord, fromBacktrace: Bool) -> EncodedRecord? {
        var current = record
        if !transformers.isEmpty {
            guard let transformed = transform(current, fromBacktrace: fromBacktrace) else { return nil }
            current = transformed
        }
        if let redactor, redactor.needsRedaction(current) {
            let size = redactor.rewrittenSize(current)
            guard let (pointer, chunk) = reserve(size) else {
                // Never written unredacted: without memory for the copy, it is dropped.
                remove(current)
                tally.droppedOverflow += 1
                return nil
            }
            redactor.rewrite(current, to: pointer, extraFlags: RecordLayout.Flags.detached)
            Self.setChunk(chunk, of: pointer)
            remove(current)
            tally.stagedAdded += 1
            tally.redacted += 1
            current = EncodedRecord(pointer)
        }
        return current
    }

    private func transform(_ record: EncodedRecord, fromBacktrace: Bool) -> EncodedRecord? {
        var decoded = record.decoded(sources: core.sources)
        decoded.sequence = 0
        for (index, transformer) in transformers.enumerated() {
            do {
                let result = try transformer.transform(decoded)
                tally.transformerSucceeded[index] = true
                tally.transformerTrailingErrors[index] = 0
                guard let result else {
                    tally.transformerDropped[index] += 1
                    tally.transformed += 1
                    remove(record)
                    return nil
                }
                decoded = result
            } catch {
                tally.transformerErrors[index] += 1
                tally.transformerTrailingErrors[index] += 1
                let description = String(describing: error)
                tally.transformerLastError[index] = description
                if let suppressed = errorReports.admit(key: transformer.name) {
                    reportError(
                        InternalError(
                            kind: .transformerFailed, sinkName: nil,
                            message:
                                "transformer '\(transformer.name)' threw; the record went on unchanged: \(description)"
                                + (suppressed > 0 ? " (and \(suppressed) more since the last report)" : ""),
                            underlying: error))
                }
            }
        }
        if !fromBacktrace && decoded.level < minimumSinkLevel {
            // Moved below every sink's level: no sink would take it.
            tally.transformed += 1
            remove(record)
            return nil
        }
        let size = RecordEncoder.size(
            label: decoded.label, message: decoded.message, inlineSource: true, file: decoded.source.file,
            function: decoded.source.function, call: decoded.callMetadata, logger: decoded.loggerMetadata,
            context: decoded.contextMetadata)
        guard let (pointer, chunk) = reserve(size) else {
            remove(record)
            tally.droppedOverflow += 1
            return nil
        }
        let flags =
            RecordEncoder.flags(
                inlineSource: true, call: decoded.callMetadata, logger: decoded.loggerMetadata,
                context: decoded.contextMetadata) | RecordLayout.Flags.detached
        let header = RecordEncoder.Header(
            size: size, previous: 0, timestamp: decoded.timestamp.nanosecondsSinceEpoch, order: 0,
            source: RecordLayout.inlineSource, chunk: chunk, level: decoded.level, flags: flags)
        RecordEncoder.write(
            header, to: pointer, label: decoded.label, message: decoded.message, file: decoded.source.file,
            function: decoded.source.function, line: decoded.source.line, call: decoded.callMetadata,
            logger: decoded.loggerMetadata, context: decoded.contextMetadata)
        remove(record)
        tally.stagedAdded += 1
        return EncodedRecord(pointer)
    }

    // MARK: Backtrace

    private func hold(_ record: EncodedRecord) {
        remove(record)
        if let pushedOut = backtrace!.hold(record) {
            tally.heldChange += 1 - pushedOut
            tally.backtrace += pushedOut
        } else {
            tally.backtrace += 1
        }
    }

    /// Copies the ring of `trigger`'s key into the arena, marked, into `dumps`.
    private func releaseRing(for trigger: EncodedRecord) {
        let count = backtrace!.release(for: trigger) { held in
            let size = marker.rewrittenSize(held, mark: true, redacting: false)
            guard let (pointer, chunk) = reserve(size) else {
                tally.droppedOverflow += 1
                return
            }
            marker.rewrite(
                held, to: pointer, extraFlags: RecordLayout.Flags.detached, clearingFlags: RecordLayout.Flags.held,
                mark: true, redacting: false)
            Self.setChunk(chunk, of: pointer)
            tally.stagedAdded += 1
            dumps.append(UnsafeRawPointer(pointer))
        }
        tally.heldChange -= count
    }

    private func writeDumps(mask: UInt64) {
        for pointer in dumps {
            guard let record = transformAndRedact(EncodedRecord(pointer), fromBacktrace: true) else { continue }
            if usesMasks && mask == 0 {
                remove(record)
                tally.sinkFilter += 1
                continue
            }
            emit(record.base, mask: mask)
        }
        dumps.removeAll(keepingCapacity: true)
    }

    // MARK: Deduplication

    /// Ends the pending run of repeats (its window passed, a flush, shutdown).
    private func endRun() {
        guard let ended = deduplicator?.endRun(), ended > 0 else { return }
        endRun(count: ended)
    }

    /// Writes the end of a run of `count` repeats, as rsyslog does: the held repeat itself when there
    /// was one, a "last message repeated N times" summary otherwise.
    private func endRun(count: Int) {
        let held = deduplicator!.held.record
        tally.heldChange -= 1
        if count == 1 {
            // The repeat was processed before it was held: it goes out as it is.
            guard let (pointer, chunk) = reserve(held.size) else {
                tally.droppedOverflow += 1
                return
            }
            pointer.copyMemory(from: held.base, byteCount: held.size)
            pointer.storeBytes(
                of: held.flags | RecordLayout.Flags.detached, toByteOffset: RecordLayout.flagsOffset, as: UInt8.self)
            Self.setChunk(chunk, of: pointer)
            tally.stagedAdded += 1
            route(EncodedRecord(pointer))
            return
        }
        tally.deduplicated += 1
        let message = core.stageOptions.deduplication!.summary(count: count, message: held.sections.message)
        guard let summary = writeSummary(like: held, message: message) else { return }
        tally.generated += 1
        tally.stagedAdded += 1
        guard let record = transformAndRedact(summary, fromBacktrace: false) else { return }
        route(record)
    }

    /// A record with `record`'s time, level, label and source, `message`, and no metadata.
    private func writeSummary(like record: EncodedRecord, message: [UInt8]) -> EncodedRecord? {
        let sections = record.sections
        var output = RecordOutput(base: nil)
        for pass in 0..<2 {
            let size = RecordLayout.aligned(output.count)
            var destination: (pointer: UnsafeMutableRawPointer, chunk: UInt16)?
            if pass == 1 {
                guard let reserved = reserve(size) else {
                    tally.droppedOverflow += 1
                    return nil
                }
                destination = reserved
            }
            output = RecordOutput(base: destination?.pointer)
            output.copy(record.base, RecordLayout.headerSize)
            output.string(sections.label)
            message.withUnsafeBufferPointer { output.string($0) }
            if let source = sections.inlineSource {
                output.string(source.file)
                output.string(source.function)
                output.raw(UInt64(source.line))
            }
            if let destination {
                output.pad(to: size)
                output.patchHeader(
                    size: size,
                    flags: (record.flags & RecordLayout.Flags.inlineSource) | RecordLayout.Flags.detached)
                Self.setChunk(destination.chunk, of: destination.pointer)
                return EncodedRecord(destination.pointer)
            }
        }
        return nil
    }

    // MARK: Rate-limit summaries

    private func writeRateLimitSummaries() {
        guard let rateLimit = core.rateLimit else { return }
        let summaries = waitingSummaries + rateLimit.takeSummaries()
        waitingSummaries.removeAll()
        for summary in summaries {
            guard let record = writeRateLimitSummary(summary, limit: rateLimit.options) else {
                waitingSummaries.append(summary)
                continue
            }
            tally.generated += 1
            tally.stagedAdded += 1
            if let record = transformAndRedact(record, fromBacktrace: false) {
                route(record)
            }
        }
    }

    private func writeRateLimitSummary(_ summary: RateLimitTable.Summary, limit: RateLimit) -> EncodedRecord? {
        let site = summary.site
        let start = Self.rfc3339(summary.windowStart)
        let end = Self.rfc3339(summary.windowEnd)
        let (seconds, attoseconds) = limit.interval.components
        let intervalSeconds = Double(seconds) + Double(attoseconds) / 1e18
        let message =
            "rate limit: \(summary.suppressed) records suppressed from \(site.file):\(site.line) between \(start) and \(end) (limit \(limit.records) per \(limit.interval.readable))"
        let metadata: LogMetadata = [
            "suppressed": .integer(summary.suppressed), "limit": .integer(limit.records),
            "interval_seconds": .double(intervalSeconds), "window_start": .string(start), "window_end": .string(end),
        ]
        let empty = LogMetadata()
        let size = RecordEncoder.size(
            label: site.label, message: message, inlineSource: true, file: site.file, function: site.function,
            call: metadata, logger: empty, context: empty)
        guard let (pointer, chunk) = reserve(size) else { return nil }
        let flags =
            RecordEncoder.flags(inlineSource: true, call: metadata, logger: empty, context: empty)
            | RecordLayout.Flags.detached
        let header = RecordEncoder.Header(
            size: size, previous: 0, timestamp: summary.windowEnd, order: 0, source: RecordLayout.inlineSource,
            chunk: chunk, level: site.level, flags: flags)
        RecordEncoder.write(
            header, to: pointer, label: site.label, message: message, file: site.file, function: site.function,
            line: site.line, call: metadata, logger: empty, context: empty)
        return EncodedRecord(pointer)
    }

    private static func rfc3339(_ nanoseconds: Int64) -> String {
        var output = LogOutput(capacity: 64)
        output.appendTimestamp(LogTimestamp(nanosecondsSinceEpoch: nanoseconds), fractionDigits: 6)
        return output.string
    }

    // MARK: Routing

    /// Emits a record the stages wrote (after its processing), routed by the sinks' filters.
    private func route(_ record: EncodedRecord) {
        var mask: UInt64 = 0
        if usesMasks {
            mask = routeMask(record, counting: true)
            if mask == 0 {
                remove(record)
                tally.sinkFilter += 1
                return
            }
        }
        emit(record.base, mask: mask)
    }

    /// The sinks that take `record`: its level is at or above theirs and it passes their filter.
    /// With `counting`, each sink whose level admits it but whose filter does not counts it.
    private func routeMask(_ record: EncodedRecord, counting: Bool) -> UInt64 {
        var mask: UInt64 = 0
        let level = record.level
        var metadata: LogMetadata?
        var label: UnsafeBufferPointer<UInt8>?
        for index in sinkLevels.indices where level >= sinkLevels[index] {
            if let filter = filters[index] {
                if label == nil {
                    label = record.sections.label
                }
                var passes = filter.passes(label: label!)
                if passes, let test = filter.metadata {
                    if metadata == nil {
                        metadata = Self.mergedMetadata(record)
                    }
                    passes = test(metadata!)
                }
                if !passes {
                    if counting {
                        tally.sinkFiltered[index] += 1
                    }
                    continue
                }
            }
            mask |= 1 << UInt64(index)
        }
        return mask
    }

    /// The record's metadata, merged with the precedence ``LogRecord/metadata`` uses.
    private static func mergedMetadata(_ record: EncodedRecord) -> LogMetadata {
        var pairs: [(String, LogMetadataValue)] = []
        record.sections.forEachMetadata { key, value in
            pairs.append((String(key), LogMetadataValue(decoding: value)))
        }
        return LogMetadata(uniquePairs: pairs)
    }
}
