import Foundation
import Testing

/// A real rsyslogd started by the test in the foreground with its own configuration: imudp and
/// imtcp on 127.0.0.1 at free ports, imuxsock on a socket in a temporary directory, everything
/// written with RSYSLOG_SyslogProtocol23Format to one file.
final class Rsyslog: @unchecked Sendable {
    static let executable: String? = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd", "/usr/bin/rsyslogd"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    /// CI always installs rsyslog, so there the tests run (and fail loudly if it is missing).
    static let shouldRun = executable != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    static let skipMessage: Comment =
        "rsyslog is not installed; install it with: sudo apt-get install -y --no-install-recommends rsyslog"

    let directory: URL
    let udpPort: Int
    let tcpPort: Int
    var socketPath: String { directory.appendingPathComponent("log.sock").path }
    var outputPath: String { directory.appendingPathComponent("out.log").path }
    private var pid: pid_t?

    /// - Parameter extraConfiguration: Lines placed before the output action (legacy directives
    ///   such as `$RepeatedMsgReduction on` apply to the actions that follow them).
    init(extraConfiguration: String = "") throws {
        directory = URL(fileURLWithPath: "/tmp/sluice-rsyslog-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        udpPort = try freePort(type: SOCK_DGRAM)
        tcpPort = try freePort(type: SOCK_STREAM)
        let config = """
            global(workDirectory="\(directory.path)" maxMessageSize="64k")
            module(load="imudp")
            module(load="imtcp")
            module(load="imuxsock" SysSock.Use="off")
            input(type="imudp" address="127.0.0.1" port="\(udpPort)")
            input(type="imtcp" address="127.0.0.1" port="\(tcpPort)")
            input(type="imuxsock" Socket="\(socketPath)")
            \(extraConfiguration)
            *.* action(type="omfile" file="\(outputPath)" template="RSYSLOG_SyslogProtocol23Format")

            """
        try config.write(to: directory.appendingPathComponent("rsyslog.conf"), atomically: true, encoding: .utf8)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts rsyslogd and waits (bounded poll on the external process) until it accepts TCP and
    /// has written a UDP probe to its file.
    func start() async throws {
        guard let executable = Self.executable else {
            throw TestFailure("rsyslogd is not installed: apt-get install -y --no-install-recommends rsyslog")
        }
        let pid = try spawn(
            executable,
            [
                "-n", "-f", directory.appendingPathComponent("rsyslog.conf").path,
                "-i", directory.appendingPathComponent("rsyslogd.pid").path,
            ])
        self.pid = pid
        let probe = "probe-\(UUID().uuidString)"
        // Generous: an external process starting while the whole suite runs under ThreadSanitizer
        // on two cores took more than 30 s in CI.
        let deadline = ContinuousClock.now.advanced(by: .seconds(120))
        while ContinuousClock.now < deadline {
            guard isRunning(pid) else {
                self.pid = nil
                throw TestFailure("rsyslogd exited at start-up; run it by hand with the config in \(directory.path)")
            }
            if canConnect(port: tcpPort) {
                sendUDP("<14>1 - - probe - - - \(probe)", port: udpPort)
                if lines().contains(where: { $0.contains(probe) }) {
                    return
                }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("rsyslogd did not become ready within 120 seconds")
    }

    /// Stops rsyslogd (SIGTERM, then SIGKILL after 10 seconds) and waits for it to exit.
    func stop() {
        guard let pid else { return }
        self.pid = nil
        terminate(pid)
    }

    /// Every line rsyslog wrote so far.
    func lines() -> [String] {
        guard let data = FileManager.default.contents(atPath: outputPath) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Parsed messages from `appName`, polling until `count` arrived or 30 seconds passed.
    func messages(from appName: String, atLeast count: Int) async throws -> [SyslogLine] {
        // Generous: an external process starting while the whole suite runs under ThreadSanitizer
        // on two cores took more than 30 s in CI.
        let deadline = ContinuousClock.now.advanced(by: .seconds(120))
        while true {
            let found = lines().compactMap(SyslogLine.init).filter { $0.appName == appName }
            if found.count >= count || ContinuousClock.now >= deadline {
                return found
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// One line of RSYSLOG_SyslogProtocol23Format: `<PRI>1 TS HOST APP PROCID MSGID SD MSG`.
struct SyslogLine {
    var priority: Int
    var hostname: String
    var appName: String
    var procID: String
    var messageID: String
    /// SD-ID → params (unescaped), in order.
    var structuredData: [(id: String, params: [(String, String)])]
    var message: String

    var severity: Int { priority % 8 }
    var facility: Int { priority / 8 }

    func param(_ id: String, _ name: String) -> String? {
        structuredData.first { $0.id == id }?.params.first { $0.0 == name }?.1
    }

    init?(_ line: String) {
        var rest = Substring(line)
        guard rest.hasPrefix("<"), let close = rest.firstIndex(of: ">"),
            let pri = Int(rest[rest.index(after: rest.startIndex)..<close])
        else { return nil }
        priority = pri
        rest = rest[rest.index(after: close)...]
        func field() -> String {
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            let value = String(rest[..<end])
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            return value
        }
        _ = field()  // version
        _ = field()  // timestamp
        hostname = field()
        appName = field()
        procID = field()
        messageID = field()
        structuredData = []
        if rest.hasPrefix("-") {
            rest = rest.dropFirst()
        } else {
            while rest.hasPrefix("[") {
                rest = rest.dropFirst()
                let idEnd = rest.firstIndex { $0 == " " || $0 == "]" } ?? rest.endIndex
                let id = String(rest[..<idEnd])
                rest = rest[idEnd...]
                var params: [(String, String)] = []
                while rest.hasPrefix(" ") {
                    rest = rest.dropFirst()
                    guard let equals = rest.firstIndex(of: "=") else { return nil }
                    let name = String(rest[..<equals])
                    rest = rest[rest.index(after: equals)...]
                    guard rest.hasPrefix("\"") else { return nil }
                    rest = rest.dropFirst()
                    var value = ""
                    while let c = rest.first, c != "\"" {
                        rest = rest.dropFirst()
                        if c == "\\", let next = rest.first, next == "\"" || next == "\\" || next == "]" {
                            value.append(next)
                            rest = rest.dropFirst()
                        } else {
                            value.append(c)
                        }
                    }
                    rest = rest.dropFirst()
                    params.append((name, value))
                }
                guard rest.hasPrefix("]") else { return nil }
                rest = rest.dropFirst()
                structuredData.append((id, params))
            }
        }
        message = rest.hasPrefix(" ") ? String(rest.dropFirst()) : String(rest)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A port that was free a moment ago on 127.0.0.1.
func freePort(type: __socket_type) throws -> Int {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw TestFailure("bind failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
}

func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = loopback(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

func sendUDP(_ text: String, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    var address = loopback(port: port)
    let bytes = Array(text.utf8)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
}

/// Starts a process with no signal blocked (the test runner's threads block most signals, and a
/// child inherits that mask, so SIGTERM would never reach it otherwise), its output going to
/// `output` and `errors` (default: nowhere).
func spawn(_ executable: String, _ arguments: [String], output: String = "/dev/null", errors: String = "/dev/null")
    throws -> pid_t
{
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var defaults = sigset_t()
    sigfillset(&defaults)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid = pid_t()
    let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
    guard rc == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(rc)))") }
    return pid
}

/// Whether a child process is still running (reaps it if it exited).
func isRunning(_ pid: pid_t) -> Bool {
    var status: Int32 = 0
    return waitpid(pid, &status, WNOHANG) == 0
}

/// SIGTERM, a bounded wait, then SIGKILL; always reaps the child.
func terminate(_ pid: pid_t) {
    kill(pid, SIGTERM)
    let deadline = ContinuousClock.now.advanced(by: .seconds(10))
    while ContinuousClock.now < deadline {
        if !isRunning(pid) {
            return
        }
        usleep(10_000)
    }
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
}
