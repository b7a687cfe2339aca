/// What the collector reacts to. Producers, timers, flushes and shutdown all speak to the collector
/// through one ``CollectorEvents`` channel; a flush barrier covers every record logged before it
/// because the collector takes everything queued when it handles the barrier.
package enum CollectorEvent: Sendable {
    /// The queue went from empty to non-empty.
    case recordsAvailable
    /// A stripe holds at least a full batch.
    case batchReady
    /// The queue (or the memory for records) is full: take everything now.
    case pressure
    /// A batch deadline may have passed.
    case tick
    /// A stage has something to write: a rate-limit window closed with calls suppressed, or a run
    /// of repeats may have outlived its window.
    case stageTick
    /// Deliver everything queued, then pass this barrier through every sink.
    case flush(FlushBarrier)
    /// A record at the pipeline's flush level arrived: deliver everything queued, then flush every
    /// sink behind it (nobody waits for this flush).
    case flushOnLevel
    /// Deliver everything queued, then ask every sink to reopen its files behind it.
    case reopen(FlushBarrier)
    /// Stop batching, drain everything, then close the sinks.
    case shutdown(deadline: ContinuousClock.Instant)
}
