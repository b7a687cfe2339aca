import Testing
@testable import Sluice
import SluiceTesting

@Test func smoke() async throws {
    let capture = try LogCapture()
    capture.logger(label: "a").info("hello")
    let records = await capture.flushedRecords()
    #expect(records.map(\.message) == ["hello"])
}
