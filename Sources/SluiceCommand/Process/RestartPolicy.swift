/// When `sluice run` starts the program again after it exits, and how long it waits first.
struct RestartPolicy: Equatable {
    /// Which exits lead to a restart.
    enum Mode: String, CaseIterable {
        /// Never restart: `sluice` exits with the program.
        case never
        /// Restart after an exit status other than 0 or a signal.
        case onFailure = "on-failure"
        /// Restart after every exit.
        case always
    }

    var mode = Mode.never
    /// The wait before the first restart; doubled after each restart up to `maxBackoff`.
    var backoff = Duration.seconds(1)
    /// The longest wait. A program that ran at least this long starts the next series from `backoff`.
    var maxBackoff = Duration.seconds(60)
    /// Restarts allowed over the whole run; `nil` for no limit.
    var maxRestarts: Int?
}
