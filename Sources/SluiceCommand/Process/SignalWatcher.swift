import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Receives SIGTERM, SIGINT, SIGQUIT and SIGHUP on a thread of its own with `sigwaitinfo`, so the
/// signals are handled as ordinary code, and tells a handler who sent each.
enum SignalWatcher {
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGQUIT, SIGHUP]

    /// Blocks the handled signals in the calling thread. Call it first thing in `main`, before any
    /// other thread exists: every thread inherits the mask, so only the watcher receives them.
    /// Also ignores SIGPIPE (a closed console must not end `sluice`); returns whether SIGPIPE was
    /// at its default before, so the program can be started with it as it was.
    static func blockHandledSignals() -> Bool {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let previous = signal(SIGPIPE, SIG_IGN)
        // Function pointers are not Equatable: compare the addresses (SIG_IGN is 1, SIG_DFL 0).
        return unsafeBitCast(previous, to: Int.self) != unsafeBitCast(SIG_IGN, to: Int.self)
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for number in handled {
            sigaddset(&set, number)
        }
        return set
    }

    /// Starts the watcher thread; `handler` runs on it for each signal, with `fromTerminal` set
    /// when the kernel sent it to the whole process group.
    static func start(
        _ handler: @escaping @Sendable (_ signal: Int32, _ fromTerminal: Bool) -> Void
    ) throws(SluiceError) -> BlockingThread {
        try BlockingThread(name: "signal") {
            var set = signalSet()
            var info = siginfo_t()
            while true {
                let number = sigwaitinfo(&set, &info)
                if number > 0 {
                    handler(number, info.si_code == SI_KERNEL)
                }
            }
        }
    }
}
