import Foundation
import Testing

/// `sluice run` against real child processes. Serialized: each starts processes that flood pipes,
/// and together on two cores they would only slow each other down.
@Suite(.serialized) struct RunCommandTests {
    let directory: URL

    init() throws {
        directory = try makeTemporaryDirectory()
    }

    var base: [String] { ["run", "--dir", directory.path, "--format", "json"] }

    func log(_ name: String) -> String {
        directory.appendingPathComponent("\(name).log").path
    }

    @Test func everyLineLandsOnceInOrderWithItsStreamAndLevel() async throws {
        let flood = 200_000
        // --idle 60s: the pieces of a line written apart always join, however loaded the machine.
        let run = try SluiceRun(base + ["--name", "mix", "--idle", "60s", "--", Binaries.child, "mixed", "\(flood)"])
        let result = try await run.finish()
        #expect(result.status == 0, "\(result.error)")

        let lines = try await offThePool { [self] in try logLines(log("mix")) }
        let stdout = lines.filter { $0.stream == "stdout" }
        let stderr = lines.filter { $0.stream == "stderr" }
        let events = lines.filter { $0.stream == "sluice" }
        #expect(lines.count == stdout.count + stderr.count + events.count, "every record names its stream")
        #expect(lines.allSatisfy { $0.label == "mix" })

        var expectedOut = [
            "out 0 start", "out 1 partial line", "out 2 junk \\xff\\xfe\u{0}\u{1B}[31m\\xc3(", "out 3 crlf",
        ]
        expectedOut += (0..<flood).map { "out \(4 + $0) flood" }
        #expect(stdout.count == expectedOut.count)
        #expect(stdout.map(\.message) == expectedOut, "stdout: every line once, in order")
        #expect(stdout.allSatisfy { $0.level == "info" && !$0.isPartial })

        let floodErrors = (0..<flood).filter { $0 % 3 == 0 }.count
        let longLine = "err 1 " + String(repeating: "x", count: 16 * 1024 - 6) + "…[truncated, \(6 + (1 << 20)) bytes]"
        let expectedErr = ["err 0 start", longLine] + (0..<floodErrors).map { "err \(2 + $0) flood" }
        #expect(stderr.count == expectedErr.count)
        #expect(stderr.map(\.message) == expectedErr, "stderr: every line once, in order, the 1 MB line cut")
        #expect(stderr.allSatisfy { $0.level == "error" })

        #expect(events.map(\.message).first == "started")
        #expect(events.last?.message.hasSuffix("exited with status 0; not restarting") == true)
        #expect(events.count == 2)
        #expect(result.error.contains("mix: \(stdout.count + stderr.count) lines"), "\(result.error)")
        #expect(result.error.contains("1 truncated"))
    }

    @Test func sigtermReachesTheChildEverythingItWroteIsDrainedAndItsStatusIsSluices() async throws {
        let run = try SluiceRun(base + ["--name", "flood", "--", Binaries.child, "flood-until-term"])
        let path = log("flood")
        try await waitUntil("the first lines in the file") {
            (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0) ?? 0 > 100_000
        }
        run.signal(SIGTERM)
        let result = try await run.finish()
        #expect(result.status == 42, "the child's own exit status: \(result.error)")

        let stdout = try await offThePool { try logLines(path).filter { $0.stream == "stdout" } }
        let last = try #require(stdout.last).message
        #expect(last.hasPrefix("got SIGTERM after "))
        // "got SIGTERM after N lines"
        let written = try #require(Int(last.split(separator: " ")[3]))
        #expect(written > 0 && stdout.count == written + 1)
        #expect(stdout.dropLast().map(\.message) == (0..<written).map { "line \($0)" }, "nothing lost or repeated")
        let exit = try #require(try logLines(path).last)
        #expect(exit.stream == "sluice" && exit.level == "info")
        #expect(exit.message.hasSuffix("exited with status 42; stopping as asked"))
    }

    @Test func aChildKilledByASignalGivesStatus128PlusTheSignal() async throws {
        let run = try SluiceRun(base + ["--name", "killed", "--", Binaries.child, "flood"])
        let path = log("killed")
        try await waitUntil("the first lines in the file") {
            (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0) ?? 0 > 10_000
        }
        run.signal(SIGTERM)
        let result = try await run.finish()
        #expect(result.status == 128 + SIGTERM)
        let lines = try await offThePool { try logLines(path) }
        let stdout = lines.filter { $0.stream == "stdout" }.map(\.message)
        // The kill may cut the last write: every line but the last is whole and in order.
        #expect(stdout.dropLast() == (0..<(stdout.count - 1)).map { "line \($0)" }[...])
        #expect(lines.last?.message.hasSuffix("killed by signal SIGTERM; stopping as asked") == true)
        #expect(lines.last?.metadata["signal"] as? String == "SIGTERM")
    }

    @Test func aCrashingChildIsRestartedWithBackoffAndEveryExitIsRecorded() async throws {
        let run = try SluiceRun(
            base + [
                "--name", "crash", "--restart", "on-failure", "--backoff", "100ms", "--max-backoff", "300ms",
                "--max-restarts", "3", "--", Binaries.child, "crash",
            ])
        let result = try await run.finish()
        #expect(result.status == 128 + SIGABRT, "the last run's status: \(result.error)")
        let lines = try logLines(log("crash"))
        let events = lines.filter { $0.stream == "sluice" }
        let starts = events.filter { $0.message == "started" }
        let exits = events.filter { $0.message != "started" }
        #expect(starts.count == 4)
        #expect(
            exits.map(\.message) == [
                "\(Binaries.child) killed by signal SIGABRT; restarting in 100 ms (restart 1)",
                "\(Binaries.child) killed by signal SIGABRT; restarting in 200 ms (restart 2)",
                "\(Binaries.child) killed by signal SIGABRT; restarting in 300 ms (restart 3)",
                "\(Binaries.child) killed by signal SIGABRT; not restarting: 3 restarts made (--max-restarts)",
            ])
        #expect(exits.allSatisfy { $0.level == "error" && $0.metadata["signal"] as? String == "SIGABRT" })
        // Each restart waited its backoff: from an exit to the next start.
        for (index, wait) in [0.1, 0.2, 0.3].enumerated() {
            let waited = starts[index + 1].time - exits[index].time
            #expect(waited >= wait - 0.001, "waited \(waited) s, expected \(wait)")
        }
        let pids = Set(starts.compactMap { $0.metadata["pid"] as? Int })
        #expect(pids.count == 4, "four processes")
        // Each run's output sits between its start and its exit.
        #expect(lines.filter { $0.stream == "stderr" }.map(\.message) == Array(repeating: "about to crash", count: 4))
        #expect(result.error.contains("4 starts"))
    }

    @Test func onFailureStopsRestartingOnceTheChildSucceeds() async throws {
        let counter = directory.appendingPathComponent("runs").path
        let run = try SluiceRun(
            base + [
                "--name", "flaky", "--restart", "on-failure", "--backoff", "10ms", "--", Binaries.child, "fail-times",
                counter, "3",
            ])
        let result = try await run.finish()
        #expect(result.status == 0)
        let lines = try logLines(log("flaky"))
        #expect(lines.filter { $0.stream == "stdout" }.map(\.message) == ["run 1", "run 2", "run 3"])
        #expect(lines.last?.message.hasSuffix("exited with status 0; not restarting") == true)
        #expect(lines.last?.level == "info")
    }

    @Test func signalsAreForwardedAndHangupReopensTheFiles() async throws {
        let run = try SluiceRun(base + ["--name", "sig", "--", Binaries.child, "signals"])
        let path = log("sig")
        func messages() throws -> [String] { try logLines(path).filter { $0.stream == "stdout" }.map(\.message) }
        try await waitUntil("the child to be ready") { try messages() == ["ready"] }
        // logrotate moves the file, then sends SIGHUP.
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        run.signal(SIGHUP)
        try await waitUntil("SIGHUP to reach the child") { try messages() == ["got SIGHUP"] }
        run.signal(SIGINT)
        try await waitUntil("SIGINT to reach the child") { try messages() == ["got SIGHUP", "got SIGINT"] }
        run.signal(SIGQUIT)
        try await waitUntil("SIGQUIT to reach the child") { try messages().last == "got SIGQUIT" }
        run.signal(SIGTERM)
        let result = try await run.finish()
        #expect(result.status == 0)
        #expect(try messages() == ["got SIGHUP", "got SIGINT", "got SIGQUIT", "got SIGTERM"])
        #expect(try logLines(path + ".1").map(\.message) == ["started", "ready"], "the moved file kept its lines")
        #expect(try logLines(path).last?.message.hasSuffix("stopping as asked") == true, "not restarted")
    }

    @Test func killAfterEndsAChildThatIgnoresSIGTERM() async throws {
        let run = try SluiceRun(
            base + ["--name", "stubborn", "--kill-after", "200ms", "--", Binaries.child, "ignore-term"])
        let path = log("stubborn")
        try await waitUntil("the child to start") {
            try logLines(path).contains { $0.message == "ignoring SIGTERM" }
        }
        run.signal(SIGTERM)
        let result = try await run.finish()
        #expect(result.status == 128 + SIGKILL)
        #expect(try logLines(path).last?.message.hasSuffix("killed by signal SIGKILL; stopping as asked") == true)
    }

    @Test func aPartialLineIsWrittenWhenTheStreamGoesQuiet() async throws {
        let run = try SluiceRun(base + ["--name", "prompt", "--idle", "50ms", "--", Binaries.child, "prompt"])
        let path = log("prompt")
        try await waitUntil("the prompt to be written as a partial line") {
            try logLines(path).contains { $0.message == "name? " && $0.isPartial }
        }
        // Only now does the child get its answer (it inherited sluice's standard input).
        run.input.fileHandleForWriting.write(Data("bob\n".utf8))
        let result = try await run.finish()
        #expect(result.status == 0)
        let stdout = try logLines(path).filter { $0.stream == "stdout" }
        #expect(stdout.map(\.message) == ["name? ", "answered"])
        #expect(stdout.map(\.isPartial) == [true, false])
        #expect(result.error.contains("1 partial"))
    }

    @Test func aCommandThatCannotStartExitsWith127() async throws {
        let result = try await SluiceRun(base + ["--name", "missing", "--", "/nonexistent/program"]).finish()
        #expect(result.status == 127)
        let lines = try logLines(log("missing"))
        #expect(lines.count == 1)
        #expect(lines.first?.message.hasPrefix("/nonexistent/program failed to start: No such file") == true)
        let denied = try await SluiceRun(base + ["--name", "denied", "--", directory.path]).finish()
        #expect(denied.status == 126, "a directory cannot be executed")
    }

    @Test func aProcessLeftHoldingThePipesDoesNotKeepSluiceWaiting() async throws {
        // The shell starts a background sleep that inherits the pipes, prints its pid and exits.
        let run = try SluiceRun(base + ["--name", "bg", "--", "/bin/sh", "-c", "sleep 300 & echo $!"])
        // Foundation's Process learns of the exit only once every holder of a descriptor it passed
        // is gone, the sleeper included: ask the kernel, without reaping.
        try await waitUntil("sluice to exit") {
            var info = siginfo_t()
            let rc = waitid(P_PID, id_t(run.pid), &info, WEXITED | WNOHANG | WNOWAIT)
            return rc != 0 || info._sifields._sigchld.si_pid == run.pid
        }
        let lines = try logLines(log("bg"))
        let sleeper = try #require(Int32(lines.first { $0.stream == "stdout" }?.message ?? ""))
        #expect(kill(sleeper, 0) == 0, "sluice exited while the background process still held the pipes")
        // The sleeper also holds this test's pipes to sluice (inherited through sluice): end it first.
        kill(sleeper, SIGKILL)
        let result = try await run.finish()
        #expect(result.status == 0)
        #expect(lines.last?.message.hasSuffix("exited with status 0; not restarting") == true)
    }

    @Test func teeCopiesTheChildsOutputByteForByte() async throws {
        let direct = try await runDirectly(Binaries.child, "mixed", "1000")
        let result = try await SluiceRun(
            base + ["--name", "tee", "--tee", "--quiet", "--", Binaries.child, "mixed", "1000"]
        ).finish()
        #expect(result.status == 0)
        #expect(result.output == direct.output, "standard output passes through unchanged, junk and all")
        #expect(Data(result.error.utf8) == direct.error, "standard error too, and no report with --quiet")
        #expect(try logLines(log("tee")).filter { $0.stream == "stdout" }.count == 1_004)
    }

    @Test func parseLevelReadsLevelWordsAndStructuredJSONLines() async throws {
        let script = #"""
            echo '[ERROR] disk full'; echo 'ts=1 level=warn msg=slow'; echo '<7>detail';
            echo '{"level":"debug","msg":"cache","hits":3}'; echo 'plain'; echo 'WARN: on stderr' >&2
            """#
        let result = try await SluiceRun(base + ["--name", "lv", "--parse-level", "--", "/bin/sh", "-c", script])
            .finish()
        #expect(result.status == 0)
        let lines = try logLines(log("lv"))
        #expect(
            lines.filter { $0.stream == "stdout" }.map { "\($0.level) \($0.message)" } == [
                "error [ERROR] disk full", "warning ts=1 level=warn msg=slow", "debug <7>detail", "debug cache",
                "info plain",
            ])
        #expect(
            lines.filter { $0.stream == "stderr" }.map { "\($0.level) \($0.message)" } == ["warning WARN: on stderr"])
        let structured = try #require(lines.first { $0.message == "cache" })
        #expect(structured.metadata["hits"] as? Int == 3)
        #expect(result.error.contains("1 structured"))
    }

    @Test func rotationAndGzipWorkUnderTheCommand() async throws {
        let result = try await SluiceRun(
            [
                "run", "--dir", directory.path, "--name", "rot", "--rotate-size", "64K", "--gzip", "--", Binaries.child,
                "lines", "20000",
            ]
        ).finish()
        #expect(result.status == 0, "\(result.error)")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let archives = names.filter { $0.hasPrefix("rot.") && $0.hasSuffix(".log.gz") }
        #expect(archives.count > 5, "\(names)")
        #expect(Set(names) == Set(archives + ["rot.log"]), "no uncompressed archive left: \(names)")
        var lines: [String] = []
        for name in archives {
            let path = directory.appendingPathComponent(name).path
            #expect(try await runDirectly("/usr/bin/env", "gzip", "-t", path).status == 0, "\(name) passes gzip -t")
            let content = try await runDirectly("/usr/bin/env", "gzip", "-dc", path).output
            #expect(content.count <= 64 * 1024, "\(name) holds \(content.count) bytes")
            lines += String(decoding: content, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        lines += try String(contentsOfFile: log("rot"), encoding: .utf8).split(separator: "\n").map(String.init)
        let captured = lines.filter { $0.contains(" stream=stdout") }
        #expect(captured.count == 20_000)
        #expect(captured.map { $0.contains("rot: line ") }.allSatisfy { $0 })
        let numbers = captured.compactMap { Int($0.split(separator: " ")[4]) }
        #expect(Set(numbers) == Set(0..<20_000), "every line once across the archives")
        #expect(result.error.contains("rot.log: 20002 lines"), "\(result.error)")
    }

    /// Runs a program to its end, returning its status and both its outputs.
    func runDirectly(_ executable: String, _ arguments: String...) async throws -> (
        status: Int32, output: Data, error: Data
    ) {
        try await offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let output = Pipe()
            let error = Pipe()
            process.standardOutput = output
            process.standardError = error
            try process.run()
            let errorData = LockedBox(Data())
            let errorReader = Thread { errorData.set(error.fileHandleForReading.readDataToEndOfFile()) }
            errorReader.start()
            let outputData = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, outputData, errorData.wait())
        }
    }
}
