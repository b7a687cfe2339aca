import Foundation
import Sluice
import Testing

/// Whole processes: exiting without a shutdown, and running where no thread can be started.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ProcessExitTests {
    /// A child logs 10,000 records and returns from `main` (or calls `exit`) without a shutdown.
    @Test(arguments: ["exit-return", "exit-call"])
    func queuedRecordsAreWrittenWhenTheProcessExitsWithoutAShutdown(scenario: String) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let (status, output) = try await runProgram(ModeChild.path, [scenario, "10000", path])
        let values = ModeChild.values(output)
        #expect(status == 0, "\(values)")
        #expect(values["logged"] == "10000")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 10_000, "every record reached the file")
        let indexes = Set(
            lines.compactMap { line -> Int? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let metadata = object["metadata"] as? [String: Any]
                else { return nil }
                return metadata["index"] as? Int
            })
        #expect(indexes == Set(0..<10_000))
    }

    /// With its thread limit at nothing the child cannot start a thread: the pipeline runs
    /// synchronously instead, says so once, and writes everything.
    @Test func aThreadThatCannotBeStartedFallsBackToSynchronousMode() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        if geteuid() == 0 {
            // The child becomes nobody (root ignores thread limits); the directory must be theirs.
            #expect(chown(directory.path, 65_534, 65_534) == 0)
        }
        let (status, output) = try await runProgram(ModeChild.path, ["thread-limit", "2000", directory.path])
        let values = ModeChild.values(output)
        #expect(status == 0, "\(values)")
        #expect(values["setup-failed"] == nil, "\(values)")
        #expect(values["mode"] == "synchronous")
        let errors = (values["internal-error"] ?? "").split(separator: "\n")
        #expect(errors.count == 1, "reported once: \(errors)")
        #expect(errors.first?.hasPrefix("thread unavailable: could not start thread 'sluice-collector'") == true)
        #expect(errors.first?.contains("EAGAIN") == true)
        #expect(values["threads"] == "0")
        #expect(values["written"] == "2000 dropped=0 timedOut=false")
        let lines = try String(contentsOfFile: directory.appendingPathComponent("app.log").path, encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count == 2_000)
    }
}
