/// The awaitable log call: like the log call, but a call that has to wait for room suspends its task
/// instead of parking its thread.
extension PipelineStorage {
    /// Queues a record from async code. Under the `block` policies a full queue suspends the task
    /// until there is room (or memory), or until `block(timeout:)`'s timeout passes; if the task is
    /// cancelled while it waits, the record is dropped and counted as ``DropCounts/cancelled``. While
    /// it waits the call counts as in flight, so stats balance throughout.
    package func submitSuspending(
        level: LogLevel,
        label: String,
        message: String,
        file: String,
        function: String,
        line: UInt,
        callMetadata: LogMetadata,
        loggerMetadata: LogMetadata,
        extraFlags: UInt8 = 0
    ) async -> SubmitOutcome {
        var generation = roomWaiters.generation
        let timestamp = LogTimestamp.now().nanosecondsSinceEpoch
        let context = LogContext.forRecord
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
            holdsRoom = true
        }
        stripe.pointee.inTransit += 1
        stripes.unlock(index)
        var pending = PendingCall(stripe: index, holdsRoom: holdsRoom)
        func attempt() -> SubmitOutcome {
            complete(
                level: level, label: label, message: message, file: file, function: function, line: line,
                call: callMetadata, logger: loggerMetadata, context: context, extraFlags: extraFlags,
                timestamp: timestamp, &pending, canPark: false)
        }
        var outcome = attempt()
        // A task of another pipeline's executor holds that pipeline up while it waits: it waits
        // only if that pipeline does not wait on this one (``PipelineWaits``).
        var waitsOn: UInt64?
        defer {
            if let waitsOn {
                PipelineWaits.end(from: waitsOn, to: id)
            }
        }
        while outcome == .mustWait {
            guard beginWait(&waitsOn) else {
                finish(pending, .overflow)
                return .dropped(.overflow)
            }
            guard !Task.isCancelled else {
                finish(pending, .cancelled)
                return .dropped(.cancelled)
            }
            var deadline: ContinuousClock.Instant?
            if let end = startDeadline(&pending) {
                let now = MonotonicTime.nanoseconds()
                guard now < end else {
                    finish(pending, .timedOut)
                    return .dropped(.timedOut)
                }
                deadline = ContinuousClock.now.advanced(by: .nanoseconds(Int64(clamping: end - now)))
            }
            await roomWaiters.wait(after: generation, deadline: deadline, timers: timers)
            generation = roomWaiters.generation
            pending.waited = true
            outcome = attempt()
        }
        queued(level)
        return outcome
    }
}
