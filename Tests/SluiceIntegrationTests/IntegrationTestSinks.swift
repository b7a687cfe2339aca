import Sluice

/// Suspends every write until the test opens the gate: a sink that cannot finish draining yet.
actor HeldSink: LogSink {
    nonisolated let name = "held"
    nonisolated let level = LogLevel.trace
    private var isOpen = false
    private var gateWaiters: [CheckedContinuation<Void, Never>] = []
    private var heldWaiters: [CheckedContinuation<Void, Never>] = []
    private(set) var received: [LogRecord] = []
    private var holding = false

    func write(_ records: [LogRecord]) async {
        while !isOpen {
            holding = true
            for waiter in heldWaiters {
                waiter.resume()
            }
            heldWaiters.removeAll()
            await withCheckedContinuation { gateWaiters.append($0) }
        }
        received.append(contentsOf: records)
    }

    /// Returns once a write is waiting at the gate.
    func waitUntilHolding() async {
        if holding {
            return
        }
        await withCheckedContinuation { heldWaiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in gateWaiters {
            waiter.resume()
        }
        gateWaiters.removeAll()
    }
}
