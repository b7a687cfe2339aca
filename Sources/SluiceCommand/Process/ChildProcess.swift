import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One run of the program: started with `posix_spawnp`, its standard output and standard error on
/// pipes whose read ends `sluice` keeps.
struct ChildProcess {
    let pid: pid_t
    /// The read end of the program's standard output.
    let standardOutput: Int32
    /// The read end of the program's standard error.
    let standardError: Int32

    /// Starts `arguments[0]` (searched on `PATH`) with `arguments`, inheriting the environment,
    /// working directory and standard input, with an empty signal mask and `SIGPIPE` as it was when
    /// `sluice` started.
    ///
    /// - Returns: The running child, or the `errno` of the failure.
    static func spawn(_ arguments: [String], resetSIGPIPE: Bool) -> Result<ChildProcess, SpawnError> {
        guard let output = Pipe.make() else { return .failure(SpawnError(errno: errno)) }
        guard let error = Pipe.make() else {
            let saved = errno
            output.closeBoth()
            return .failure(SpawnError(errno: saved))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the copies; every other descriptor of ours is close-on-exec.
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        posix_spawn_file_actions_adddup2(&actions, error.write, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        if resetSIGPIPE {
            sigaddset(&defaults, SIGPIPE)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let rc = posix_spawnp(&pid, arguments[0], &actions, &attributes, cArguments, environ)
        close(output.write)
        close(error.write)
        guard rc == 0 else {
            close(output.read)
            close(error.read)
            return .failure(SpawnError(errno: rc))
        }
        return .success(ChildProcess(pid: pid, standardOutput: output.read, standardError: error.read))
    }

    struct SpawnError: Error {
        var errno: Int32
    }

    /// A pipe whose both ends are close-on-exec.
    struct Pipe {
        let read: Int32
        let write: Int32

        static func make() -> Pipe? {
            var descriptors: [Int32] = [-1, -1]
            // `pipe2` is not in Swift's Glibc module; only this thread starts programs, so no
            // other spawn can inherit the ends between `pipe` and `fcntl`.
            guard pipe(&descriptors) == 0 else { return nil }
            _ = fcntl(descriptors[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(descriptors[1], F_SETFD, FD_CLOEXEC)
            enlarge(descriptors[0])
            return Pipe(read: descriptors[0], write: descriptors[1])
        }

        /// A larger pipe means fewer wake-ups under a flood; best effort (Linux only, up to
        /// /proc/sys/fs/pipe-max-size).
        static func enlarge(_ descriptor: Int32) {
            #if os(Linux)
            let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ, hidden behind _GNU_SOURCE
            _ = fcntl(descriptor, setPipeSize, 1 << 20)
            #endif
        }

        func closeBoth() {
            close(read)
            close(write)
        }
    }

    /// Waits until the child has exited, without reaping it: until it is reaped its pid cannot be
    /// reused, so a signal forwarded meanwhile can only reach it.
    func waitForExit() {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
    }

    /// Reaps the exited child and returns how it ended.
    func reap() -> ChildExit {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return .exited(255) }
        }
        return ChildExit(waitStatus: status)
    }
}
