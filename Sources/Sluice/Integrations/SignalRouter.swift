import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One Dispatch signal source per signal for the whole process, routing each delivery to the
/// actions currently registered for it.
///
/// Sources are never cancelled: on Linux, Dispatch installs its own `sigaction` the first time a
/// signal gets a source and never again, so cancelling a source and creating a new one later would
/// leave the signal undeliverable. A signal that arrives with no action registered gets its default
/// action (for `SIGTERM`, `SIGINT`, `SIGHUP`, `SIGUSR1`: the process ends), as if no one had
/// handled it.
package enum SignalRouter {
    private struct State {
        var sources: [Int32: any DispatchSourceSignal] = [:]
        var actions: [Int32: [(id: UInt64, action: @Sendable () -> Void)]] = [:]
        var nextID: UInt64 = 0
    }

    private static let state = LockedValue(State())
    private static let queue = DispatchQueue(label: "sluice.signals")

    /// Registers `action` for signal `number`; returns an id for ``remove(_:)``. Returns once Dispatch
    /// delivers the signal, so a signal sent right after this call is not missed.
    package static func add(_ number: Int32, _ action: @escaping @Sendable () -> Void) -> UInt64 {
        let (id, newSource) = state.withLock { state -> (UInt64, (any DispatchSourceSignal)?) in
            state.nextID += 1
            state.actions[number, default: []].append((state.nextID, action))
            guard state.sources[number] == nil else { return (state.nextID, nil) }
            // Until Dispatch registers its handler, the default action would end the process.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { deliver(number) }
            state.sources[number] = source
            return (state.nextID, source)
        }
        if let newSource {
            let registered = DispatchSemaphore(value: 0)
            newSource.setRegistrationHandler { registered.signal() }
            newSource.resume()
            registered.wait()
        }
        return id
    }

    /// Unregisters the actions with these ids.
    package static func remove(_ ids: [UInt64]) {
        state.withLock { state in
            for (number, actions) in state.actions {
                state.actions[number] = actions.filter { !ids.contains($0.id) }
            }
        }
    }

    private static func deliver(_ number: Int32) {
        let actions = state.withLock { $0.actions[number] ?? [] }
        guard !actions.isEmpty else {
            // Nobody handles it any more: let the default action happen.
            signal(number, SIG_DFL)
            kill(getpid(), number)
            return
        }
        for (_, action) in actions {
            action()
        }
    }
}
