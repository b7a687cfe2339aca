#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps `SIGPIPE` from killing the process while Sluice writes to a pipe whose reader is gone.
///
/// A library must not change the process's signal dispositions (the application owns them), so
/// instead of ignoring `SIGPIPE` process-wide, the writing thread blocks it for the duration of the
/// write. The write then fails with `EPIPE`, and the `SIGPIPE` it raised, which is directed at the
/// writing thread, is consumed with `sigtimedwait` before the old mask is restored.
package enum SignalMask {
    /// Runs `body` with `SIGPIPE` blocked on the calling thread.
    package static func withSIGPIPEBlocked<R>(_ body: () -> R) -> R {
        var pipeOnly = sigset_t()
        sigemptyset(&pipeOnly)
        sigaddset(&pipeOnly, SIGPIPE)
        var previous = sigset_t()
        guard pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous) == 0 else { return body() }
        if sigismember(&previous, SIGPIPE) == 1 {
            // Already blocked by the caller: whatever is pending is theirs to handle.
            return body()
        }
        var pendingBefore = sigset_t()
        sigpending(&pendingBefore)
        let alreadyPending = sigismember(&pendingBefore, SIGPIPE) == 1
        let result = body()
        if !alreadyPending {
            var pendingAfter = sigset_t()
            sigpending(&pendingAfter)
            if sigismember(&pendingAfter, SIGPIPE) == 1 {
                #if os(Linux)
                var noWait = timespec(tv_sec: 0, tv_nsec: 0)
                while sigtimedwait(&pipeOnly, nil, &noWait) < 0 && errno == EINTR {}
                #else
                var signal: Int32 = 0
                sigwait(&pipeOnly, &signal)
                #endif
            }
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        return result
    }
}
