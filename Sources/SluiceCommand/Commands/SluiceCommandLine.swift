import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `sluice` command: parses the arguments and runs `run`, `pipe` or the help.
package enum SluiceCommandLine {
    /// Runs the command and returns its exit status. Call it first thing in `main`: it blocks the
    /// signals it handles before any thread starts.
    package static func main(_ arguments: [String]) -> Int32 {
        let sigpipeWasDefault = SignalWatcher.blockHandledSignals()
        // A closed standard descriptor would be reused by the first pipe and then clobbered when
        // the program's streams are set up: hold each with /dev/null, as daemons do.
        for descriptor in Int32(0)...2 where fcntl(descriptor, F_GETFD) == -1 {
            _ = open("/dev/null", O_RDWR)
        }
        let command: ParsedCommand
        do {
            command = try CommandLineParser.parse(arguments)
        } catch {
            printError("sluice: \(error.message)")
            return 2
        }
        do {
            switch command {
            case .help(let topic):
                print(HelpText.text(topic), terminator: "")
                return 0
            case .version:
                print(HelpText.version)
                return 0
            case .run(let options, let program):
                return try RunCommand(options: options, program: program, resetSIGPIPE: sigpipeWasDefault).run()
            case .pipe(let options):
                return try PipeCommand(options: options).run()
            }
        } catch {
            printError("sluice: \(error.message)")
            return 1
        }
    }

    static func printError(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { _ = FileDescriptorIO.writeAll(2, UnsafeRawBufferPointer($0)) }
    }

    /// Waits on this (plain) thread for async work that runs elsewhere.
    static func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let result = LockedValue<T?>(nil)
        let lock = Lock()
        let done = Condition()
        Task {
            let value = await body()
            lock.withLock { result.withLock { $0 = value } }
            done.broadcast()
        }
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let value = result.withLock({ $0 }) {
                return value
            }
            done.wait(lock)
        }
    }
}
