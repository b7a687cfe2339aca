/// The log call: encode the record straight into the caller's stripe.
extension PipelineStorage {
    /// How a call that left its stripe's lock ended, applied when it takes the lock again.
    private enum Outcome {
        case stored(QueueSignal?)
        case droppedForOverflow
        case droppedForShutdown
    }

    /// Queues a record (the hot path of every enabled log call).
    ///
    /// Takes the caller's stripe lock, uses one unit of the stripe's room, encodes the record into
    /// the stripe's open chunk and unlocks; the queue's own lock is taken only when the stripe has no
    /// room left (once per few dozen records) or the queue is full. Never awaits, never does I/O;
    /// under `block` it parks the calling thread until the collector makes room.
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
        submit(
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
        let index = stripes.current
        let stripe = stripes[index]
        stripes.lock(index)
        stripe.pointee.logged += 1
        guard stripe.pointee.intake == .open else {
            stripe.pointee.droppedShutdown += 1
            stripes.unlock(index)
            return
        }
        if stripe.pointee.credits > 0 {
            stripe.pointee.credits -= 1
            if case .stored(let signal) = store(
                stripe, grant: nil, timestamp: timestamp, level: level, label: label, message: message, file: file,
                function: function, line: line, call: callMetadata, logger: loggerMetadata, context: context,
                extraFlags: extraFlags)
            {
                stripes.unlock(index)
                send(signal)
                return
            }
            // No chunk to write into: keep the unit of room and go the slow way.
            stripe.pointee.inTransit += 1
            stripes.unlock(index)
            waitForMemory(
                stripe: index, timestamp: timestamp, level: level, label: label, message: message, file: file,
                function: function, line: line, call: callMetadata, logger: loggerMetadata, context: context,
                extraFlags: extraFlags)
            return
        }
        stripe.pointee.inTransit += 1
        stripes.unlock(index)

        switch makeRoom(level: level) {
        case .droppedForOverflow:
            finish(.droppedForOverflow, stripe: index)
        case .droppedForShutdown:
            finish(.droppedForShutdown, stripe: index)
        case .granted(let extra):
            stripes.lock(index)
            stripe.pointee.credits += extra
            guard stripe.pointee.intake != .closed else {
                stripe.pointee.inTransit -= 1
                stripe.pointee.droppedShutdown += 1
                stripes.unlock(index)
                events.yield(.recordsAvailable)
                return
            }
            let stored = store(
                stripe, grant: nil, timestamp: timestamp, level: level, label: label, message: message, file: file,
                function: function, line: line, call: callMetadata, logger: loggerMetadata, context: context,
                extraFlags: extraFlags)
            if case .stored(let signal) = stored {
                stripe.pointee.inTransit -= 1
                stripes.unlock(index)
                send(signal)
                return
            }
            stripes.unlock(index)
            waitForMemory(
                stripe: index, timestamp: timestamp, level: level, label: label, message: message, file: file,
                function: function, line: line, call: callMetadata, logger: loggerMetadata, context: context,
                extraFlags: extraFlags)
        }
    }

    /// Counts a call that left its stripe's lock as dropped, `returningRoom` it held.
    private func finish(_ outcome: Outcome, stripe index: Int, returningRoom: Bool = false) {
        let stripe = stripes[index]
        stripes.lock(index)
        stripe.pointee.inTransit -= 1
        if returningRoom {
            stripe.pointee.credits += 1
        }
        switch outcome {
        case .stored:
            preconditionFailure("internal inconsistency: a stored record is counted where it is stored")
        case .droppedForOverflow:
            stripe.pointee.droppedOverflow += 1
        case .droppedForShutdown:
            stripe.pointee.droppedShutdown += 1
        }
        let draining = stripe.pointee.intake != .open
        stripes.unlock(index)
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
    /// Returns `.droppedForOverflow` only when no memory was available (the unit is still held).
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
    ) -> Outcome {
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
            return .droppedForOverflow
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
                return .droppedForOverflow
            }
            _ = isProtected ? stripe.pointee.protected.open(chunk) : stripe.pointee.unprotected.open(chunk)
            reservation =
                isProtected ? stripe.pointee.protected.reserve(size) : stripe.pointee.unprotected.reserve(size)
            guard reservation != nil else {
                preconditionFailure("internal inconsistency: a \(size)-byte record does not fit a fresh chunk")
            }
        }
        guard let (pointer, previous, chunk) = reservation else { return .droppedForOverflow }
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

    /// Whether the calling thread may wait for room under `block`: an application thread may; a
    /// thread of this pipeline, or one of Sluice's threads tied to no pipeline, never does; a thread
    /// of another pipeline may, unless that would close a cycle of waits (``PipelineWaits``).
    private var callerMayWait: Bool {
        guard blockWhenFull else { return false }
        let role = PipelineThread.role
        return role != .unattached && role != .pipeline(id)
    }

    @inline(__always)
    private func queueIsProtected(_ level: LogLevel) -> Bool {
        !blockWhenFull && level >= protectedLevel
    }

    // MARK: Slow paths

    private enum Room {
        case granted(extra: Int)
        case droppedForOverflow
        case droppedForShutdown
    }

    /// Finds room for one record when the caller's stripe has none: from the pool, from other
    /// stripes' unused room, or by the overflow policy (waiting, evicting or dropping).
    private func makeRoom(level: LogLevel) -> Room {
        lock.lock()
        var waitsOn: UInt64?
        defer {
            lock.unlock()
            if let waitsOn {
                PipelineWaits.end(from: waitsOn, to: id)
            }
        }
        var waited = false
        while true {
            switch queue.intake {
            case .open:
                break
            case .draining where waited:
                break
            case .draining, .closed:
                return .droppedForShutdown
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
                // A thread of another pipeline waits only if that pipeline does not wait on this one.
                if case .pipeline(let source) = PipelineThread.role, waitsOn == nil {
                    guard PipelineWaits.begin(from: source, to: id) else { return .droppedForOverflow }
                    waitsOn = source
                }
                queue.waiting += 1
                roomAvailable.wait(lock)
                queue.waiting -= 1
                waited = true
            case .drop:
                return .droppedForOverflow
            case .evictOldest(let protectedToo):
                return evictOldest(protectedToo: protectedToo) ? .granted(extra: 0) : .droppedForOverflow
            case .evictNewestUnprotected:
                return evictNewestUnprotected() ? .granted(extra: 0) : .droppedForOverflow
            }
        }
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

    /// The record has room but no memory: under `block` wait for a chunk, otherwise drop it. The
    /// caller holds no lock and is counted in transit with one unit of room.
    private func waitForMemory(
        stripe index: Int,
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
    ) {
        events.yield(.pressure)
        guard callerMayWait else {
            finish(.droppedForOverflow, stripe: index, returningRoom: true)
            return
        }
        var waitsOn: UInt64?
        if case .pipeline(let source) = PipelineThread.role {
            guard PipelineWaits.begin(from: source, to: id) else {
                finish(.droppedForOverflow, stripe: index, returningRoom: true)
                return
            }
            waitsOn = source
        }
        defer {
            if let waitsOn {
                PipelineWaits.end(from: waitsOn, to: id)
            }
        }
        let stripe = stripes[index]
        let size = RecordEncoder.size(
            label: label, message: message, inlineSource: true, file: file, function: function, call: call,
            logger: logger, context: context)
        guard let grant = chunks.take(atLeast: size, waiting: true) else {
            // Closed for shutdown, or a record that can never fit.
            finish(chunks.isClosed ? .droppedForShutdown : .droppedForOverflow, stripe: index, returningRoom: true)
            return
        }
        stripes.lock(index)
        guard stripe.pointee.intake != .closed else {
            stripe.pointee.inTransit -= 1
            stripe.pointee.droppedShutdown += 1
            stripes.unlock(index)
            chunks.giveBack(grant)
            events.yield(.recordsAvailable)
            return
        }
        let outcome = store(
            stripe, grant: grant, timestamp: timestamp, level: level, label: label, message: message, file: file,
            function: function, line: line, call: call, logger: logger, context: context, extraFlags: extraFlags)
        stripe.pointee.inTransit -= 1
        guard case .stored(let signal) = outcome else {
            preconditionFailure("internal inconsistency: a record did not fit the chunk taken for it")
        }
        stripes.unlock(index)
        send(signal)
    }
}
