// The program `sluice run` captures in SluiceCommandTests. Each mode writes something a test can
// predict exactly; lines carry per-stream numbers so order and completeness can be checked.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Buffered output to one descriptor, flushed in 8 KiB writes, so lines straddle `write(2)` calls
/// the way a program with stdio buffering splits them.
struct Output {
    let descriptor: Int32
    var buffer: [UInt8] = []

    mutating func line(_ text: String) {
        bytes(Array(text.utf8) + [UInt8(ascii: "\n")])
    }

    mutating func bytes(_ bytes: [UInt8]) {
        buffer += bytes
        if buffer.count >= 8192 {
            flush()
        }
    }

    mutating func flush() {
        var offset = 0
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard n > 0 else { exit(99) }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes `text` with one `write(2)` at once, without a newline.
    func raw(_ text: String) {
        var copy = text
        _ = copy.withUTF8 { write(descriptor, $0.baseAddress, $0.count) }
    }
}

func blockSignals(_ numbers: [Int32]) -> sigset_t {
    var set = sigset_t()
    sigemptyset(&set)
    for number in numbers {
        sigaddset(&set, number)
    }
    pthread_sigmask(SIG_BLOCK, &set, nil)
    return set
}

func signalName(_ number: Int32) -> String {
    [SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGHUP: "SIGHUP", SIGUSR1: "SIGUSR1"][number]
        ?? "\(number)"
}

var out = Output(descriptor: 1)
var err = Output(descriptor: 2)
let arguments = CommandLine.arguments
let mode = arguments.count > 1 ? arguments[1] : ""

switch mode {
case "mixed":
    // Everything the capture test checks, in one run: see SluiceCommandTests.
    let flood = Int(arguments[2]) ?? 0
    out.line("out 0 start")
    err.line("err 0 start")
    out.flush()
    err.flush()
    out.raw("out 1 par")
    out.raw("tial li")
    out.raw("ne\n")
    out.bytes(Array("out 2 junk ".utf8) + [0xFF, 0xFE, 0x00, 0x1B, 0x5B, 0x33, 0x31, 0x6D, 0xC3, 0x28, 0x0A])
    out.bytes(Array("out 3 crlf\r\n".utf8))
    err.bytes(Array("err 1 ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20) + [0x0A])
    var errNumber = 2
    for i in 0..<flood {
        out.line("out \(4 + i) flood")
        if i % 3 == 0 {
            err.line("err \(errNumber) flood")
            errNumber += 1
        }
    }
    out.flush()
    err.flush()
    exit(0)

case "flood-until-term":
    // Numbered lines until SIGTERM, then a last line and exit status 42.
    var set = blockSignals([SIGTERM])
    var i = 0
    while true {
        for _ in 0..<100 {
            out.line("line \(i)")
            i += 1
        }
        out.flush()
        var pending = sigset_t()
        sigpending(&pending)
        if sigismember(&pending, SIGTERM) == 1 {
            var received: Int32 = 0
            sigwait(&set, &received)
            out.line("got SIGTERM after \(i) lines")
            out.flush()
            exit(42)
        }
    }

case "flood":
    // Numbered lines until a signal ends the program by its default action.
    var i = 0
    while true {
        out.line("line \(i)")
        i += 1
    }

case "signals":
    // Reports every signal it receives; exits 0 after SIGTERM.
    var set = blockSignals([SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1])
    out.line("ready")
    out.flush()
    while true {
        var received: Int32 = 0
        sigwait(&set, &received)
        out.line("got \(signalName(received))")
        out.flush()
        if received == SIGTERM {
            exit(0)
        }
    }

case "ignore-term":
    // Ignores SIGTERM, so only SIGKILL ends it.
    _ = blockSignals([SIGTERM])
    out.line("ignoring SIGTERM")
    out.flush()
    while true {
        pause()
    }

case "crash":
    // A line on each stream, then death by SIGABRT (without a core file).
    var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
    setrlimit(Int32(RLIMIT_CORE.rawValue), &noCore)
    out.line("run of pid \(getpid())")
    err.line("about to crash")
    out.flush()
    err.flush()
    // The Swift runtime's backtracer would catch the signal: let it kill the process as C would.
    signal(SIGABRT, SIG_DFL)
    raise(SIGABRT)
    exit(98)

case "fail-times":
    // Fails (status 3) until it has been run arguments[3] times, counted in the file arguments[2].
    let path = arguments[2]
    var runs = 0
    if let file = fopen(path, "r") {
        var value: Int32 = 0
        if readCount(file, &value) {
            runs = Int(value)
        }
        fclose(file)
    }
    runs += 1
    if let file = fopen(path, "w") {
        fputs("\(runs)", file)
        fclose(file)
    }
    out.line("run \(runs)")
    out.flush()
    exit(runs >= (Int(arguments[3]) ?? 1) ? 0 : 3)

case "prompt":
    // A prompt without a newline, then waits for a line on standard input before answering.
    out.raw("name? ")
    var byte: UInt8 = 0
    while read(0, &byte, 1) == 1 && byte != UInt8(ascii: "\n") {}
    out.line("answered")
    out.flush()
    exit(0)

case "lines":
    // arguments[2] numbered lines on standard output, as fast as it can.
    let count = Int(arguments[2]) ?? 0
    for i in 0..<count {
        out.line("line \(i) with some padding to make the files grow faster")
    }
    out.flush()
    exit(0)

default:
    err.line("unknown mode '\(mode)'")
    err.flush()
    exit(64)
}

/// Reads one integer from `file`.
func readCount(_ file: UnsafeMutablePointer<FILE>, _ value: inout Int32) -> Bool {
    var line = [CChar](repeating: 0, count: 32)
    guard fgets(&line, Int32(line.count), file) != nil else { return false }
    let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let parsed = Int32(text.trimmingSpaces) else { return false }
    value = parsed
    return true
}

extension String {
    var trimmingSpaces: String {
        String(self.filter { !$0.isWhitespace })
    }
}
