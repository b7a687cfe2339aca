#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a signal sent to `sluice` does, as a plain state machine: forwarded to the program,
/// files reopened, reading stopped, a SIGKILL timer armed.
struct SignalStateMachine: Equatable {
    /// Whether there is a program to forward signals to.
    enum Mode: Equatable {
        case run, pipe
    }

    enum Action: Equatable {
        /// `kill(pid, signal)`.
        case forward(pid_t, Int32)
        /// Reopen the log files (after logrotate moved them).
        case reopenFiles
        /// `pipe`: take what is in the input and stop.
        case stopReading
        /// `run`: SIGKILL the program if it is still running after `--kill-after`.
        case armKillTimer(pid_t)
    }

    let mode: Mode
    /// The running program, while it runs.
    private(set) var child: pid_t?
    /// The first SIGTERM, SIGINT or SIGQUIT: from then on nothing is restarted.
    private(set) var stopSignal: Int32?
    private var killTimerArmed = false

    init(mode: Mode) {
        self.mode = mode
    }

    /// The program started as `pid`. Returns the stop signal to forward at once if one arrived
    /// while it was being started (before this, there was no program to forward it to).
    mutating func programStarted(_ pid: pid_t) -> Action? {
        child = pid
        killTimerArmed = false
        return stopSignal.map { .forward(pid, $0) }
    }

    /// The program exited (it is not reaped yet, so its pid is still its own).
    mutating func programExited() {
        child = nil
    }

    /// `signal` arrived; `reachedProgram` when it was sent to a whole process group the program is
    /// in (Ctrl-C in a terminal), so forwarding it would deliver it twice.
    mutating func signalArrived(_ signal: Int32, reachedProgram: Bool, killAfter: Bool) -> [Action] {
        var actions: [Action] = []
        let stops = signal == SIGTERM || signal == SIGINT || signal == SIGQUIT
        if stops && stopSignal == nil {
            stopSignal = signal
        }
        if signal == SIGHUP {
            actions.append(.reopenFiles)
        }
        switch mode {
        case .pipe:
            if stops {
                actions.append(.stopReading)
            }
        case .run:
            guard let child else { break }
            if !reachedProgram {
                actions.append(.forward(child, signal))
            }
            if stops && killAfter && !killTimerArmed {
                killTimerArmed = true
                actions.append(.armKillTimer(child))
            }
        }
        return actions
    }
}
