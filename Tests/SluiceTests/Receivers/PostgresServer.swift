import Foundation
import SluicePostgres
import Testing

/// A throwaway PostgreSQL server started by the tests: `initdb` in a temporary directory, `pg_ctl
/// start` on 127.0.0.1 at a free port (and a Unix socket in that directory), stopped and deleted
/// at the end. As root (CI) the server runs as the `postgres` user, which `initdb` insists on.
///
/// Authentication is `trust` for everyone except the role `sluice_secret`, which must give its
/// password (`scram-sha-256`), for the tests of wrong passwords.
final class PostgresServer: Sendable {
    static let binDirectory: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "\(root)/\($0)/bin" }.first {
            FileManager.default.isExecutableFile(atPath: "\($0)/initdb")
        }
    }()
    /// CI always installs PostgreSQL, so there the tests run (and fail loudly if it is missing).
    static let shouldRun = binDirectory != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    static let skipMessage: Comment =
        "PostgreSQL is not installed; install it with: sudo apt-get install -y postgresql libpq-dev"

    static let secretRole = "sluice_secret"
    static let secretPassword = "correct horse battery staple 7"

    let directory: URL
    let port: Int
    private var data: String { directory.appendingPathComponent("data").path }

    /// Creates the cluster (not started).
    init() async throws {
        guard let bin = Self.binDirectory else {
            throw TestFailure("PostgreSQL's initdb was not found under /usr/lib/postgresql: apt-get install postgresql")
        }
        directory = URL(fileURLWithPath: "/tmp/sluice-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try freePort(type: SOCK_STREAM)
        if getuid() == 0 {
            try await Self.run("/usr/bin/env", ["chown", "postgres:postgres", directory.path])
        }
        try await asServerUser(
            "\(bin)/initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"])
        let hba = """
            local all all trust
            host all \(Self.secretRole) 127.0.0.1/32 scram-sha-256
            host all all 127.0.0.1/32 trust

            """
        try hba.write(toFile: "\(data)/pg_hba.conf", atomically: false, encoding: .utf8)
    }

    deinit {
        let directory = directory
        // The server must not outlive the tests: stop it (immediately) if a test did not.
        if let bin = Self.binDirectory {
            _ = try? Self.runBlocking(
                "/usr/bin/env",
                Self.serverUserArguments("\(bin)/pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]))
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts the server and waits until it accepts connections.
    func start() async throws {
        guard let bin = Self.binDirectory else { throw TestFailure("PostgreSQL is not installed") }
        let options =
            "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        try await asServerUser(
            "\(bin)/pg_ctl",
            [
                "-D", data, "-l", directory.appendingPathComponent("server.log").path, "-w", "-t", "60", "-o", options,
                "start",
            ])
    }

    /// Stops the server (`fast`: connections are closed, open transactions rolled back).
    func stop() async throws {
        guard let bin = Self.binDirectory else { return }
        try await asServerUser("\(bin)/pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// A started server that stops (and is deleted) once the caller lets go of it.
    static func started() async throws -> PostgresServer {
        let server = try await PostgresServer()
        try await server.start()
        try await server.sql(
            "CREATE ROLE \(secretRole) LOGIN SUPERUSER PASSWORD '\(secretPassword)'", database: "postgres")
        return server
    }

    /// Options for the `postgres` superuser over TCP, without TLS (the test server has none).
    func options(database: String = "postgres", user: String = "postgres", password: String? = nil)
        -> PostgresConnectionOptions
    {
        PostgresConnectionOptions(
            host: "127.0.0.1", port: port, database: database, user: user, password: password, tls: .disable,
            parameters: ["gssencmode": "disable"])
    }

    /// Creates a database of its own for one test.
    func createDatabase() async throws -> String {
        let name = "test_\(UUID().uuidString.prefix(8).lowercased())"
        try await sql("CREATE DATABASE \(name)", database: "postgres")
        return name
    }

    /// Runs SQL with `psql` (a client independent of the sink) and returns its unaligned output.
    @discardableResult
    func sql(_ sql: String, database: String) async throws -> String {
        let (status, output) = try await runToExit(
            "/usr/bin/env",
            [
                "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres",
                "-d", database, "-At", "-F", "|", "-c", sql,
            ])
        guard status == 0 else { throw TestFailure("psql failed (\(status)) on: \(sql): \(output)") }
        return output.trimmingCharacters(in: .newlines)
    }

    /// The integer the query returns.
    func integer(_ query: String, database: String) async throws -> Int {
        let text = try await sql(query, database: database)
        guard let value = Int(text) else { throw TestFailure("not an integer: \(text) from \(query)") }
        return value
    }

    private func asServerUser(_ executable: String, _ arguments: [String]) async throws {
        try await Self.run("/usr/bin/env", Self.serverUserArguments(executable, arguments))
    }

    /// As root, `su postgres -c '…'`; otherwise the command itself.
    private static func serverUserArguments(_ executable: String, _ arguments: [String]) -> [String] {
        guard getuid() == 0 else { return [executable] + arguments }
        let quoted = ([executable] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        return ["su", "postgres", "-s", "/bin/sh", "-c", quoted.joined(separator: " ")]
    }

    private static func run(_ executable: String, _ arguments: [String]) async throws {
        let (status, output) = try await runToExit(executable, arguments)
        guard status == 0 else {
            throw TestFailure("\(arguments.joined(separator: " ")) exited with \(status): \(output)")
        }
    }

    private static func runBlocking(_ executable: String, _ arguments: [String]) throws -> Int32 {
        try runToExitBlocking(executable, arguments).status
    }
}

/// Runs a program to its end (on a thread of its own) and returns its status and its standard
/// output (followed by its standard error when it failed). Uses `posix_spawn` and `waitpid` rather than Foundation's
/// `Process`, whose exit monitoring was seen to miss the exit of `su`, hanging the test.
func runToExit(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await offThePool { try runToExitBlocking(executable, arguments) }
}

func runToExitBlocking(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let outputPath = "/tmp/sluice-run-\(UUID().uuidString)"
    let errorPath = outputPath + ".err"
    defer {
        unlink(outputPath)
        unlink(errorPath)
    }
    let pid = try spawn(executable, arguments, output: outputPath, errors: errorPath)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    // WIFEXITED / WEXITSTATUS, which Swift does not import.
    let exit = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    var output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    if exit != 0 {
        output += (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
    }
    return (exit, output)
}

/// Starts one server for a whole suite and stops it after the suite's last test.
struct PostgresServerScope: SuiteTrait, TestScoping {
    @TaskLocal static var server: PostgresServer?

    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // Where PostgreSQL is missing the suite is disabled; start nothing then.
        guard PostgresServer.binDirectory != nil else {
            try await function()
            return
        }
        let server = try await PostgresServer.started()
        do {
            try await Self.$server.withValue(server) { try await function() }
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }
}

extension Trait where Self == PostgresServerScope {
    /// A PostgreSQL server for the suite, in `PostgresServerScope.server`.
    static var postgresServer: Self { Self() }
}
