import Foundation
import Sluice
import Testing

/// A logging library must never kill its process: every write to a pipe or socket whose reader
/// went away is an error Sluice counts, never a `SIGPIPE`. Each scenario runs in a child process
/// (`SluiceFaultChild`) with `SIGPIPE` at its default disposition, so a regression kills the child
/// (exit status 141 in a shell, an uncaught signal here), not the test runner.
@Suite struct SIGPIPETests {
    static var child: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("SluiceFaultChild")
    }

    /// Runs a scenario; returns the child's termination and what it reported.
    func run(_ scenario: String) async throws -> (reason: Process.TerminationReason, status: Int32, result: String) {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let resultFile = directory.appendingPathComponent("result.txt").path
        let process = Process()
        process.executableURL = Self.child
        process.arguments = [scenario, resultFile]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try await offThePool { process.waitUntilExit() }
        let result = (try? String(contentsOfFile: resultFile, encoding: .utf8)) ?? ""
        return (process.terminationReason, process.terminationStatus, result)
    }

    @Test func consoleOnAPipeWhoseReaderIsGoneCountsTheFailureAndLives() async throws {
        let outcome = try await run("console-closed-stdout")
        #expect(outcome.reason == .exit, "killed by signal \(outcome.status)")
        #expect(outcome.result.hasPrefix("survived written=0 sinkFailure=2000 balanced=true"), "\(outcome.result)")
    }

    @Test func internalErrorsToAClosedStandardErrorDoNotKillTheProcess() async throws {
        let outcome = try await run("stderr-closed")
        #expect(outcome.reason == .exit, "killed by signal \(outcome.status)")
        #expect(outcome.result.hasPrefix("survived written=0 sinkFailure=2000"), "\(outcome.result)")
    }

    @Test func aSyslogReceiverThatResetsMidBatchLosesNothingAndKillsNothing() async throws {
        let outcome = try await run("syslog-tcp-reset")
        #expect(outcome.reason == .exit, "killed by signal \(outcome.status)")
        #expect(
            outcome.result.hasPrefix("survived logged=2500 written=2500 sinkFailure=0 balanced=true resets=1"),
            "\(outcome.result)")
    }

    @Test func aFileSinkOnAFIFOWhoseReaderIsGoneCountsTheFailureAndLives() async throws {
        let outcome = try await run("fifo-reader-gone")
        #expect(outcome.reason == .exit, "killed by signal \(outcome.status)")
        #expect(outcome.result.hasPrefix("survived written=0 sinkFailure=2000"), "\(outcome.result)")
    }
}
