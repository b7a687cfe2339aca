import Foundation
import Sluice
import Testing

/// Sluice never cuts bytes it cannot prove it wrote (finding 13).
@Suite struct FileRepairTests {
    func logFile(in directory: URL, _ name: String = "app.log") throws -> LogFile {
        let file = LogFile(
            directory: try LogDirectory.open(directory.path, allowWorldWritable: false), name: name, mode: 0o640,
            schedule: RotationSchedule(trigger: .never, utcOffset: nil))
        _ = try file.open(now: LogTimestamp.now())
        return file
    }

    func append(_ text: String, to path: String) {
        let fd = open(path, O_WRONLY | O_APPEND)
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    @Test func aFileWithoutAnyNewlineIsKeptWholeWhenOpened() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let foreign = "written by another program without a final newline"
        try Data(foreign.utf8).write(to: URL(fileURLWithPath: path))
        let sink = try FileSink(path: path, format: LogfmtFormat())
        #expect(sink.stats.repairedBytes == foreign.utf8.count)
        try await sink.write([record("ours")])
        try await sink.close()
        let content = try String(contentsOfFile: path, encoding: .utf8)
        #expect(content.hasPrefix(foreign + "\n"), "\(content)")
        #expect(content.hasSuffix("msg=ours\n"))
    }

    @Test func cuttingBackNeverDestroysAnotherWritersLines() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.log").path
        let file = try logFile(in: directory)
        let ours = Array("ours 1\n".utf8)
        #expect(ours.withUnsafeBytes { file.append($0) } == nil)
        append("foreign\n", to: path)
        // Giving up a batch cuts back to where it began, which `size` no longer describes.
        #expect(!file.truncate(to: 0))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "ours 1\nforeign\n")
        file.closeFile()
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root; skipped"))
    func aFailedWriteNeverCutsAnotherWritersLines() async throws {
        let mountPoint = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        let mounted = try await runProgram(
            "/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", mountPoint.path])
        guard mounted.status == 0 else {
            print("skipping: mount -t tmpfs failed (status \(mounted.status)); it needs CAP_SYS_ADMIN")
            return
        }
        defer { _ = try? runProgramBlocking("/usr/bin/env", ["umount", "-l", mountPoint.path]) }
        let path = mountPoint.appendingPathComponent("app.log").path
        let file = try logFile(in: mountPoint)
        append("foreign line\n", to: path)
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 200 * 1024)
        let error = big.withUnsafeBytes { file.append($0) }
        #expect(error == ENOSPC)
        let content = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(content.starts(with: Array("foreign line\n".utf8)), "the other writer's line survived")
        file.closeFile()
    }
}
