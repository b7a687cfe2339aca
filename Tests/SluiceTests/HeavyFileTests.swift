import Foundation
import Sluice
import Testing

/// The heaviest tests (hundreds of thousands of records, a child process writing megabytes) run one
/// at a time, so that together they do not starve the timing-sensitive tests of other suites of CPU,
/// above all under ThreadSanitizer.
@Suite(.serialized) struct HeavyFileTests {
    /// The `SluiceCrashWriter` fixture, built next to this test binary (the test target depends on it).
    static var writer: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("SluiceCrashWriter")
    }

    @Test func killNineDuringHeavyLoggingLeavesOnlyWholeLines() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.writer.path) else {
            Issue.record("the SluiceCrashWriter fixture was not built at \(Self.writer.path)")
            return
        }
        var tornTails = 0
        for round in 0..<3 {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("app.log").path
            let process = Process()
            process.executableURL = Self.writer
            process.arguments = [path, "\(128 * 1024)"]
            process.standardOutput = FileHandle.nullDevice
            try process.run()

            // Let it write (and rotate) for a while: a bounded poll on an external process.
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            var written = 0
            while ContinuousClock.now < deadline && process.isRunning {
                written = try directoryListing(directory).reduce(0) { total, name in
                    total
                        + ((try? FileManager.default.attributesOfItem(
                            atPath: directory.appendingPathComponent(name).path)[.size] as? Int) ?? 0)
                }
                if written >= (1 + round) << 19 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(process.isRunning, "the writer exited on its own")
            kill(process.processIdentifier, SIGKILL)
            try await offThePool { process.waitUntilExit() }
            #expect(process.terminationReason == .uncaughtSignal)
            #expect(written >= 1 << 19, "the writer wrote \(written) bytes before the deadline")

            // Archives were complete before the rotation renamed them: whole lines only.
            var sequences: [Int] = []
            let names = try directoryListing(directory)
            #expect(names.count >= 2, "the writer rotated: \(names)")
            for name in names where name != "app.log" {
                let content = try Data(contentsOf: directory.appendingPathComponent(name))
                let check = try await offThePool { wholeJSONLines(content) }
                #expect(check.ok, "\(name): \(check.problem ?? "")")
                sequences += sequenceNumbers(in: content)
            }
            // The live file: whole lines, except that the kernel may have cut the last write(2) at a
            // page boundary when SIGKILL arrived in the middle of it.
            // SIGKILL between a rotation's rename and the new file's creation leaves no live file:
            // everything is in the archives then.
            let live =
                FileManager.default.fileExists(atPath: path) ? try Data(contentsOf: URL(fileURLWithPath: path)) : Data()
            let lastNewline = live.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            let torn = live.count - lastNewline
            let complete = try await offThePool { wholeJSONLines(live.prefix(lastNewline)) }
            #expect(complete.ok, "\(complete.problem ?? "")")
            sequences += sequenceNumbers(in: live.prefix(lastNewline))
            #expect(Set(sequences).count == sequences.count, "no record written twice")

            // The next start keeps such a tail (Sluice cannot tell its own fragment from another
            // program's bytes) and ends its line, so the records after it are whole lines.
            let reopened = try FileSink(path: path, format: .json)
            #expect(reopened.stats.repairedBytes == torn)
            try await reopened.write([record("after the crash")])
            try await reopened.close()
            let repaired = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(repaired.prefix(live.count) == live, "every byte that was there is still there")
            let rest = repaired.dropFirst(live.count + (torn > 0 ? 1 : 0))
            if torn > 0 {
                #expect(repaired[live.count] == UInt8(ascii: "\n"), "the fragment's line is ended")
            }
            let check = try await offThePool { wholeJSONLines(Data(rest)) }
            #expect(check.ok && check.lines == 1, "\(check.problem ?? "")")
            if torn > 0 {
                tornTails += 1
            }
        }
        print("kill -9 test: \(tornTails) of 3 kills cut a write(2) short; each fragment was kept and its line ended")
    }
}
