import Foundation
import Sluice
import Testing

@Suite struct DescriptorLeakTests {
    /// Open descriptors of this process that lead to `path`.
    func descriptors(to path: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.count { entry in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)")) == path
        }
    }

    @Test func aDirectoryListingThatFailsLeaksNoDescriptor() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("not-a-directory").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        // A descriptor fdopendir refuses (ENOTDIR): the duplicate made for the listing must be closed.
        let logDirectory = LogDirectory(path: path, descriptor: open(path, O_RDONLY))
        for _ in 0..<20 {
            let (entries, error) = logDirectory.listRegularFiles()
            #expect(entries.isEmpty && error == ENOTDIR)
        }
        #expect(descriptors(to: path) == 1, "only the directory's own descriptor")
    }
}
