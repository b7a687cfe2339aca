/// A sink that takes a batch into a bounded buffer of its own and settles it later, once it was
/// delivered or given up on: the network sinks, which keep accepting batches while their receiver
/// is away and retry in the background.
///
/// The pipeline calls ``accept(_:settlement:)`` instead of ``LogSink/write(_:)``. The batch stays in
/// flight in the pipeline's ledger until the sink calls ``BatchSettlement/settle(error:)`` exactly
/// once, so `logged == written + dropped + inFlight` holds at every moment. A flush of such a sink
/// waits until every accepted batch is settled. When the shutdown deadline passes first, the
/// pipeline counts what is unsettled as dropped (reason `shutdown`) and calls
/// ``abandonPending()`` so the sink stops retrying; a later settlement is then ignored.
package protocol SettlingSink: LogSink {
    /// Takes a batch. Returns once it is buffered (or settled); throwing counts it as dropped.
    func accept(_ records: [LogRecord], settlement: BatchSettlement) async throws

    /// The shutdown deadline passed: drop everything pending without settling it and stop retrying.
    /// Called from any thread; must not block.
    func abandonPending()
}

/// How a ``SettlingSink`` reports the end of one batch, and its other troubles.
package struct BatchSettlement: Sendable {
    private let finish: @Sendable ((any Error)?) -> Void
    /// Reports a problem to the pipeline's ``InternalErrorHandler`` (the sink rate-limits its own
    /// repeats; drops are reported by ``settle(error:)``).
    package let report: @Sendable (InternalError) -> Void

    package init(
        finish: @escaping @Sendable ((any Error)?) -> Void,
        report: @escaping @Sendable (InternalError) -> Void
    ) {
        self.finish = finish
        self.report = report
    }

    /// The batch was delivered (`nil`) or dropped (the error says why). Call exactly once.
    package func settle(error: (any Error)?) {
        finish(error)
    }
}

extension SettlingSink {
    /// Writes a batch outside a pipeline: accepts it and waits until it is delivered or dropped.
    package func writeAndWait(_ records: [LogRecord]) async throws {
        let outcome = Promise<Result<Void, any Error>>()
        let settlement = BatchSettlement(
            finish: { error in outcome.fulfill(error.map { .failure($0) } ?? .success(())) },
            report: { _ in }
        )
        try await accept(records, settlement: settlement)
        try await outcome.wait().get()
    }
}
