import Foundation
import Sluice
import Testing

@Suite struct VersionTests {
    /// The constant and the newest heading of CHANGELOG.md say the same version.
    @Test func theVersionConstantMatchesTheNewestChangelogEntry() throws {
        var directory = URL(fileURLWithPath: #filePath)
        while directory.path != "/"
            && !FileManager.default.fileExists(
                atPath: directory.appendingPathComponent("CHANGELOG.md").path)
        {
            directory.deleteLastPathComponent()
        }
        let changelog = try String(contentsOf: directory.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let heading = try #require(changelog.split(separator: "\n").first { $0.hasPrefix("## ") })
        let version = heading.dropFirst(3).split(separator: " ").first.map(String.init)
        #expect(version == SluiceVersion.current)
        #expect(SluiceVersion.current == "\(SluiceVersion.major).\(SluiceVersion.minor).\(SluiceVersion.patch)")
        let parts = SluiceVersion.current.split(separator: ".")
        #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil }, "semantic version")
    }
}
