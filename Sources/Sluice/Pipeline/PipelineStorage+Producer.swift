/// The log call: encode the record straight into the caller's stripe.
extension PipelineStorage {
    /// What became of one call's record.
    package enum SubmitOutcome: Sendable, Equatable {
        /// Stored in the queue: it will be written or counted.
        case queued
        /// Dropped, and counted for this reason.
        case dropped(DropReason)
        /// An awaitable call found no room (or memory) and may not park its thread: it is still
        /// counted in transit; wait for ``roomWaiters`` and call ``complete(_:canPark:)`` again.
        case mustWait
    }

    /// Where a call that left its stripe's lock without storing its record stands. Its record's
    /// fields travel as separate arguments, only read: held in a struct, they made the compiler stop
    /// keeping the caller's metadata arrays on the stack (measured: one more allocation per call).
    package struct PendingCall: Sendable {
        let stripe: Int
        /// Whether the call holds a unit of room (it found room but no memory).
        var holdsRoom: Bool
        /// Whether the call waited for room already: a waiting call still gets in while draining.
        var waited = false
        /// When a `block(timeout:)` wait ends (monotonic nanoseconds), from the first wait on.
        var deadline: UInt64?
    }

    /// Queues a record (the hot path of every enabled log call).
    ///
    /// Takes the caller's stripe lock, uses one unit of the stripe's room, encodes the record into
    /// the stripe's open chunk and unlocks; the queue's own lock is taken only when the stripe has no
    /// room left (once per few dozen records) or the queue is full. Never awaits, never does I/O;
    /// under the `block` policies it parks the calling thread until the collector makes room (or
    /// the timeout passes).
    @inline(__always)
    package func submit(
        level: LogLevel,
        label: String,
        message: String,
        file: String,
        function: String,
        line: UInt,
        callMetadata: LogMetadata,
        loggerMetadata: LogMetadata,
        extraFlags: UInt8 = 0
    ) {
        _ = enqueue(
            timestamp: LogTimestamp.now().nanosecondsSinceEpoch, level: level, label: label, message: message,
            file: file, function: function, line: line, callMetadata: callMetadata, loggerMetadata: loggerMetadata,
            context: LogContext.forRecord, extraFlags: extraFlags)
    }

    /// Queues a record with its time and context given: the raw-line path, which reads neither the
    /// task's context nor (when its reader timestamps a whole `read`) the clock per line.
    package func submit(
        timestamp: Int64,
        level: LogLevel,
        label: String,
        message: some RecordMessage,
        file: String,
        function: String,
        line: UInt,
        callMetadata: LogMetadata,
        loggerMetadata: LogMetadata,
        context: LogMetadata,
        extraFlags: UInt8 = 0
    ) {
        _ = enqueue(
            timestamp: timestamp, level: level, label: label, message: message, file: file, function: function,
            line: line, callMetadata: callMetadata, loggerMetadata: loggerMetadata, context: context,
            extraFlags: extraFlags)
    }

    /// ``submit(level:label:message:file:function:line:callMetadata:loggerMetadata:)``, saying what
    /// became of the record. (A separate entry point: returning the outcome measurably costs the
    /// plain log call instructions, so that one discards it inside.)
    package func submitReporting(
        level: LogLevel,
        label: String,
        message: String,
        file: String,
        function: String,
        line: UInt,
        callMetadata: LogMetadata,
        loggerMetadata: LogMetadata,
        extraFlags: UInt8 = 0
    ) -> SubmitOutcome {
        enqueue(
            timestamp: LogTimestamp.now().nanosecondsSinceEpoch, level: level, label: label, message: message,
            file: file, function: function, line: line, callMetadata: callMetadata, loggerMetadata: loggerMetadata,
            context: LogContext.forRecord, extraFlags: extraFlags)
    }

    /// After a record at `level` was handed over: asks for the flush its level calls for, if any
    /// (harmless when the record was dropped). The log call's caller does this, not the queueing
    /// code itself: measured under callgrind, the check costs the hot path less there.
    @inline(__always)
    package func queued(_ level: LogLevel) {
        if level.rawValue >= flushLevel {
            requestFlush(level: level)
        }
    }

    @inline(__always)
    private func enqueue(
        timestamp: Int64,
        level: LogLevel,
        label: String,
        message: some RecordMessage,
        file: String,
        function: String,
        line: UInt,
        callMetadata: LogMetadata,
        loggerMetadata: LogMetadata,
        context: LogMetadata,
        extraFlags: UInt8
    ) -> SubmitOutcome {
        let index = stripes.current
        let stripe = stripes[index]
        stripes.lock(index)
        stripe.pointee.logged += 1
        guard stripe.pointee.intake == .open else {
            let reason = refuse(stripe)
            stripes.unlock(index)
            return .dropped(reason)
        }
        var holdsRoom = false
        if stripe.pointee.credits > 0 {
            stripe.pointee.credits -= 1
            if case .stored(let signal) = store(
                stripe, grant: nil, timestamp: timestamp, level: level, label: label, message: message, file: file,
                function: function, line: line, call: callMetadata, logger: loggerMetadata, context: context,
                extraFlags: extraFlags)
            {
                stripes.unlock(index)
                send(signal)
                return .queued
            }
            // No chunk to write into: keep the unit of room and go the slow way.
            holdsRoom = true
        }
        stripe.pointee.inTransit += 1
        stripes.unlock(index)
        var pending = PendingCall(stripe: index, holdsRoom: holdsRoom)
        return complete(
            level: level, label: label, message: message, file: file, function: function, line: line,
            call: callMetadata, logger: loggerMetadata, context: context, extraFlags: extraFlags,
            timestamp: timestamp, &pending, canPark: true)
    }

    /// A record at or above ``flushLevel`` was stored. In ``ExecutionMode/synchronous`` mode (where
    /// the flush level is `trace`) the caller writes it out now; otherwise the collector is asked,
    /// once until it starts, to write out and flush every sink.
    @inline(never)
    package func requestFlush(level: LogLevel) {
        if let direct = directDelivery {
            direct.deliver(flush: level.rawValue >= flushOnLevel)
            return
        }
        if !flushRequested.load(ordering: .relaxed)
            && flushRequested.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent)
                .exchanged
        {
            events.yield(.flushOnLevel)
        }
    }

    /// What storing a record into a stripe came to.
    private enum StoreResult {
        case stored(QueueSignal?)
        case noMemory
    }

    /// Counts a call refused at the door (intake not open). The caller holds the stripe's lock.
    @inline(never)
    package func refuse(_ stripe: UnsafeMutablePointer<RecordStripe>) -> DropReason {
        if stripe.pointee.intake == .stopped {
            // Not a loss: there is nothing left to write it with. Out of `logged` and of the total.
            stripe.pointee.logged -= 1
            stripe.pointee.afterShutdown += 1
            return .afterShutdown
        }
        stripe.pointee.droppedShutdown += 1
        return .shutdown
    }

    /// Carries a call that found no room or no memory in its stripe to its end: room from the pool
    /// or other stripes, the overflow policy, then memory. With `canPark` it parks the thread when
    /// the policy says wait; otherwise it returns ``SubmitOutcome/mustWait``, still in transit.
    @inline(never)
    package func complete(
        level: LogLevel,
        label: String,
        message: some RecordMessage,
        file: String,
        function: String,
        line: UInt,
        call: LogMetadata,
        logger: LogMetadata,
        context: LogMetadata,
        extraFlags: UInt8,
        timestamp: Int64,
        _ pending: inout PendingCall,
        canPark: Bool
    ) -> SubmitOutcome {
        let stripe = stripes[pending.stripe]
        var extra = 0
        if !pending.holdsRoom {
            switch makeRoom(level: level, for: &pending, canPark: canPark) {
            case .granted(let granted):
                pending.holdsRoom = true
                extra = granted
            case .mustWait:
                return .mustWait
            case .dropped(let reason):
                finish(pending, reason)
                return .dropped(reason)
            }
        }
        stripes.lock(pending.stripe)
        stripe.pointee.credits += extra
        guard stripe.pointee.intake.admitsWaitingCalls else {
            stripe.pointee.inTransit -= 1
            stripe.pointee.droppedShutdown += 1
            stripes.unlock(pending.stripe)
            events.yield(.recordsAvailable)
            return .dropped(.shutdown)
        }
        if case .stored(let signal) = store(
            stripe, grant: nil, timestamp: timestamp, level: level, label: label, message: message, file: file,
            function: function, line: line, call: call, logger: logger, context: context,
            extraFlags: extraFlags)
        {
            stripe.pointee.inTransit -= 1
            stripes.unlock(pending.stripe)
            send(signal)
            return .queued
        }
        stripes.unlock(pending.stripe)
        return storeWaitingForMemory(
            level: level, label: label, message: message, file: file, function: function, line: line, call: call,
            logger: logger, context: context, extraFlags: extraFlags, timestamp: timestamp, &pending,
            canPark: canPark)
    }

    /// Counts a call that left its stripe's lock as dropped, giving back the room it held.
    package func finish(_ pending: PendingCall, _ reason: DropReason) {
        let stripe = stripes[pending.stripe]
        stripes.lock(pending.stripe)
        stripe.pointee.inTransit -= 1
        if pending.holdsRoom {
            stripe.pointee.credits += 1
        }
        switch reason.kind {
        case .overflow:
            stripe.pointee.droppedOverflow += 1
        case .timedOut:
            stripe.pointee.droppedTimedOut += 1
        case .cancelled:
            stripe.pointee.droppedCancelled += 1
        case .shutdown:
            stripe.pointee.droppedShutdown += 1
        case .afterShutdown:
            stripe.pointee.logged -= 1
            stripe.pointee.afterShutdown += 1
        }
        let draining = stripe.pointee.intake != .open
        stripes.unlock(pending.stripe)
        if draining {
            // The collector may be waiting for the last calls on their way in before it closes the
            // sinks; this one will never store anything, so tell it to look again.
            events.yield(.recordsAvailable)
        }
    }

    @inline(__always)
    package func send(_ signal: QueueSignal?) {
        switch signal {
        case .recordsAvailable:
            // Only a parked collector needs waking; the first caller to see it parked does it.
            if collectorParked.load(ordering: .relaxed)
                && collectorParked.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent)
                    .exchanged
            {
                events.yield(.recordsAvailable)
            }
        case .batchReady:
            events.yield(.batchReady)
        case nil:
            break
        }
    }

    /// Writes the record into the right chain of `stripe`, opening a chunk if needed (`grant`, or
    /// one from the store without waiting). The caller holds the stripe's lock and a unit of room.
    /// Returns `.noMemory` when no memory was available (the unit of room is still held).
    @inline(__always)
    private func store(
        _ stripe: UnsafeMutablePointer<RecordStripe>,
        grant: ChunkStore.Grant?,
        timestamp: Int64,
        level: LogLevel,
        label: String,
        message: some RecordMessage,
        file: String,
        function: String,
        line: UInt,
        call: LogMetadata,
        logger: LogMetadata,
        context: LogMetadata,
        extraFlags: UInt8
    ) -> StoreResult {
        let source = stripe.pointee.sources.id(file: file, function: function, line: line, table: sources)
        let inlineSource = source == RecordLayout.inlineSource
        let isProtected = queueIsProtected(level)
        let flags =
            RecordEncoder.flags(inlineSource: inlineSource, call: call, logger: logger, context: context) | extraFlags
        if grant == nil {
            // The common case: write straight into the open chunk's free space, sizing as it goes.
            let space = isProtected ? stripe.pointee.protected.openSpace() : stripe.pointee.unprotected.openSpace()
            if let space {
                let order = stripe.pointee.nextOrder
                let header = RecordEncoder.Header(
                    size: 0, previous: space.previous, timestamp: timestamp, order: order, source: source,
                    chunk: space.chunk, level: level, flags: flags)
                if let size = RecordEncoder.writeIfFits(
                    header, to: space.pointer, capacity: space.available, label: label, message: message, file: file,
                    function: function, line: line, call: call, logger: logger, context: context)
                {
                    stripe.pointee.nextOrder = order &+ 1
                    if isProtected {
                        stripe.pointee.protected.commit(size)
                    } else {
                        stripe.pointee.unprotected.commit(size)
                    }
                    return .stored(stripe.pointee.stored(batchSize: batchSize))
                }
            }
        }
        let size = RecordEncoder.size(
            label: label, message: message, inlineSource: inlineSource, file: file, function: function, call: call,
            logger: logger, context: context)
        guard size <= RecordLayout.maximumRecordSize else {
            return .noMemory
        }
        var reservation =
            grant != nil
            ? nil : isProtected ? stripe.pointee.protected.reserve(size) : stripe.pointee.unprotected.reserve(size)
        if reservation == nil {
            // Seal the open chunk first: if everything in it was taken, it can come back right away.
            if let left = isProtected ? stripe.pointee.protected.sealLast() : stripe.pointee.unprotected.sealLast() {
                chunks.leftChain(CollectionOfOne(left))
            }
            guard let chunk = grant ?? chunks.take(atLeast: size), chunk.capacity >= size else {
                return .noMemory
            }
            _ = isProtected ? stripe.pointee.protected.open(chunk) : stripe.pointee.unprotected.open(chunk)
            reservation =
                isProtected ? stripe.pointee.protected.reserve(size) : stripe.pointee.unprotected.reserve(size)
            guard reservation != nil else {
                preconditionFailure("internal inconsistency: a \(size)-byte record does not fit a fresh chunk")
            }
        }
        guard let (pointer, previous, chunk) = reservation else { return .noMemory }
        let order = stripe.pointee.nextOrder
        stripe.pointee.nextOrder = order &+ 1
        let header = RecordEncoder.Header(
            size: size, previous: previous, timestamp: timestamp, order: order, source: source, chunk: chunk,
            level: level, flags: flags)
        RecordEncoder.write(
            header, to: pointer, label: label, message: message, file: file, function: function, line: line,
            call: call, logger: logger, context: context)
        if size > chunks.chunkSize {
            // A jumbo record has its chunk to itself.
            if isProtected {
                stripe.pointee.protected.sealLast()
            } else {
                stripe.pointee.unprotected.sealLast()
            }
        }
        return .stored(stripe.pointee.stored(batchSize: batchSize))
    }

    /// Whether the calling thread may wait for room under the `block` policies: an application
    /// thread may; a thread of this pipeline, or one of Sluice's threads tied to no pipeline, never
    /// does; a thread of another pipeline may, unless that would close a cycle of waits
    /// (``PipelineWaits``, checked where it waits).
    package var callerMayWait: Bool {
        guard waitsWhenFull else { return false }
        let role = PipelineThread.role
        return role != .unattached && role != .pipeline(id)
    }

    /// Registers a wait of the calling thread on this pipeline when it is a thread of another
    /// pipeline; returns false when that wait would close a cycle (it must not wait then). On true,
    /// `source` is set when a wait was registered, to end with ``PipelineWaits/end(from:to:)``.
    package func beginWait(_ source: inout UInt64?) -> Bool {
        guard source == nil, case .pipeline(let pipeline) = PipelineThread.role else { return true }
        guard PipelineWaits.begin(from: pipeline, to: id) else { return false }
        source = pipeline
        return true
    }

    @inline(__always)
    private func queueIsProtected(_ level: LogLevel) -> Bool {
        !waitsWhenFull && level >= protectedLevel
    }

    // MARK: Slow paths

    private enum Room {
        case granted(extra: Int)
        case mustWait
        case dropped(DropReason)
    }

    /// Finds room for one record when the caller's stripe has none: from the pool, from other
    /// stripes' unused room, or by the overflow policy (waiting, evicting or dropping).
    private func makeRoom(level: LogLevel, for pending: inout PendingCall, canPark: Bool) -> Room {
        lock.lock()
        var waitsOn: UInt64?
        defer {
            lock.unlock()
            if let waitsOn {
                PipelineWaits.end(from: waitsOn, to: id)
            }
        }
        while true {
            switch queue.intake {
            case .open:
                break
            case .draining where pending.waited:
                break
            case .draining, .closed:
                return .dropped(.shutdown)
            case .stopped:
                return .dropped(pending.waited ? .shutdown : .afterShutdown)
            }
            if let extra = queue.takeRoom() {
                return .granted(extra: extra)
            }
            if reclaimUnusedRoom() {
                continue
            }
            // Full: every unit of room is held by a record.
            queue.observeDepth(queue.capacity)
            if !queue.pressureSignalled {
                queue.pressureSignalled = true
                events.yield(.pressure)
            }
            switch queue.overflowAction(level: level, canWait: callerMayWait) {
            case .wait:
                guard canPark else { return .mustWait }
                let deadline = startDeadline(&pending)
                if let deadline, MonotonicTime.nanoseconds() >= deadline {
                    return .dropped(.timedOut)
                }
                // A thread of another pipeline waits only if that pipeline does not wait on this one.
                guard beginWait(&waitsOn) else { return .dropped(.overflow) }
                pending.waited = true
                if let host {
                    // The pipeline runs as tasks, maybe on the very pool this thread belongs to:
                    // do its pending work here rather than wait for a thread that may never come.
                    let mark = host.beginHelping()
                    defer { host.endHelping() }
                    lock.unlock()
                    let ran = host.helpOnce()
                    lock.lock()
                    if ran || host.workArrived(since: mark) {
                        continue
                    }
                }
                queue.waiting += 1
                if let deadline {
                    roomAvailable.wait(lock, untilMonotonicNanoseconds: deadline)
                } else {
                    roomAvailable.wait(lock)
                }
                queue.waiting -= 1
            case .drop:
                return .dropped(.overflow)
            case .evictOldest(let protectedToo):
                return evictOldest(protectedToo: protectedToo) ? .granted(extra: 0) : .dropped(.overflow)
            case .evictNewestUnprotected:
                return evictNewestUnprotected() ? .granted(extra: 0) : .dropped(.overflow)
            }
        }
    }

    /// Waits for a chunk of at least `size` bytes (until `deadline`, if any). Where the pipeline runs
    /// as tasks, the waiting thread runs the pipeline's pending work meanwhile, looking for memory
    /// again every millisecond.
    private func takeMemory(_ size: Int, deadline: UInt64?) -> ChunkStore.Grant? {
        guard let host else {
            return chunks.take(atLeast: size, waiting: true, deadline: deadline)
        }
        while true {
            if let grant = chunks.take(atLeast: size) {
                return grant
            }
            let now = MonotonicTime.nanoseconds()
            if let deadline, now >= deadline {
                return nil
            }
            if chunks.isClosed {
                return nil
            }
            if host.helpOnce() {
                continue
            }
            let slice = now &+ 1_000_000
            if let grant = chunks.take(atLeast: size, waiting: true, deadline: deadline.map { min($0, slice) } ?? slice)
            {
                return grant
            }
        }
    }

    /// For `block(timeout:)`: the end of the call's wait, fixed when it first has to wait.
    package func startDeadline(_ pending: inout PendingCall) -> UInt64? {
        guard let waitTimeout else { return nil }
        if let deadline = pending.deadline {
            return deadline
        }
        let (seconds, attoseconds) = waitTimeout.components
        let nanoseconds = UInt64(clamping: seconds) &* 1_000_000_000 &+ UInt64(clamping: attoseconds / 1_000_000_000)
        let deadline = MonotonicTime.nanoseconds() &+ nanoseconds
        pending.deadline = deadline
        return deadline
    }

    /// Moves room the stripes hold but have not used back to the pool. The caller holds `lock`.
    private func reclaimUnusedRoom() -> Bool {
        var reclaimed = 0
        for index in 0..<stripes.count {
            stripes.lock(index)
            reclaimed += stripes[index].pointee.credits
            stripes[index].pointee.credits = 0
            stripes.unlock(index)
        }
        queue.returnRoom(reclaimed)
        return reclaimed > 0
    }

    /// Drops the oldest queued record below the protected level (or, with `protectedToo` and none
    /// left, the oldest protected one), counting it, so its room goes to the caller. The caller
    /// holds `lock`.
    private func evictOldest(protectedToo: Bool) -> Bool {
        stripes.lockAll()
        var left: UInt16?
        var evicted = evict(oldest: true, protected: false, left: &left)
        if !evicted && protectedToo {
            evicted = evict(oldest: true, protected: true, left: &left)
        }
        stripes.unlockAll()
        if let left {
            chunks.leftChain(CollectionOfOne(left))
        }
        return evicted
    }

    /// Drops the newest queued record below the protected level, counting it, so its room goes to
    /// the caller (a protected record). The caller holds `lock`.
    private func evictNewestUnprotected() -> Bool {
        stripes.lockAll()
        var left: UInt16?
        let evicted = evict(oldest: false, protected: false, left: &left)
        stripes.unlockAll()
        if let left {
            chunks.leftChain(CollectionOfOne(left))
        }
        return evicted
    }

    /// Evicts the oldest (or newest) record of one kind across all stripes, by timestamp. The caller
    /// holds every lock.
    private func evict(oldest: Bool, protected: Bool, left: inout UInt16?) -> Bool {
        var best = -1
        var bestTimestamp: Int64 = 0
        for index in 0..<stripes.count {
            let stripe = stripes[index]
            let candidate: UnsafeMutableRawPointer?
            if protected {
                candidate = oldest ? stripe.pointee.protected.first : stripe.pointee.protected.last
            } else {
                candidate = oldest ? stripe.pointee.unprotected.first : stripe.pointee.unprotected.last
            }
            guard let candidate else { continue }
            let timestamp = EncodedRecord(candidate).timestamp.nanosecondsSinceEpoch
            if best < 0 || (oldest ? timestamp < bestTimestamp : timestamp > bestTimestamp) {
                best = index
                bestTimestamp = timestamp
            }
        }
        guard best >= 0 else { return false }
        let stripe = stripes[best]
        if protected {
            left = oldest ? stripe.pointee.protected.removeFirst() : stripe.pointee.protected.removeLast()
        } else {
            left = oldest ? stripe.pointee.unprotected.removeFirst() : stripe.pointee.unprotected.removeLast()
        }
        stripe.pointee.droppedOverflow += 1
        return true
    }

    /// The call has room but no memory: under the `block` policies wait for a chunk (parking, or
    /// returning `.mustWait` when it may not park), otherwise drop it. The caller holds no lock and
    /// is counted in transit with one unit of room.
    private func storeWaitingForMemory(
        level: LogLevel,
        label: String,
        message: some RecordMessage,
        file: String,
        function: String,
        line: UInt,
        call: LogMetadata,
        logger: LogMetadata,
        context: LogMetadata,
        extraFlags: UInt8,
        timestamp: Int64,
        _ pending: inout PendingCall,
        canPark: Bool
    ) -> SubmitOutcome {
        events.yield(.pressure)
        let size = RecordEncoder.size(
            label: label, message: message, inlineSource: true, file: file, function: function, call: call,
            logger: logger, context: context)
        guard callerMayWait, size <= RecordLayout.maximumRecordSize, chunks.canEverHold(size) else {
            finish(pending, .overflow)
            return .dropped(.overflow)
        }
        guard canPark else { return .mustWait }
        var waitsOn: UInt64?
        guard beginWait(&waitsOn) else {
            finish(pending, .overflow)
            return .dropped(.overflow)
        }
        defer {
            if let waitsOn {
                PipelineWaits.end(from: waitsOn, to: id)
            }
        }
        let deadline = startDeadline(&pending)
        guard let grant = takeMemory(size, deadline: deadline) else {
            let reason: DropReason = chunks.isClosed ? .shutdown : deadline != nil ? .timedOut : .overflow
            finish(pending, reason)
            return .dropped(reason)
        }
        let stripe = stripes[pending.stripe]
        stripes.lock(pending.stripe)
        guard stripe.pointee.intake.admitsWaitingCalls else {
            stripe.pointee.inTransit -= 1
            stripe.pointee.droppedShutdown += 1
            stripes.unlock(pending.stripe)
            chunks.giveBack(grant)
            events.yield(.recordsAvailable)
            return .dropped(.shutdown)
        }
        let outcome = store(
            stripe, grant: grant, timestamp: timestamp, level: level, label: label, message: message, file: file,
            function: function, line: line, call: call, logger: logger, context: context, extraFlags: extraFlags)
        stripe.pointee.inTransit -= 1
        guard case .stored(let signal) = outcome else {
            preconditionFailure("internal inconsistency: a record did not fit the chunk taken for it")
        }
        stripes.unlock(pending.stripe)
        send(signal)
        return .queued
    }
}
