import Foundation
import Sluice
import SluiceTesting
import Testing

@Suite struct InternalErrorReportingTests {
    /// The default handler's path, with standard error replaced by a pipe nobody reads: the stall
    /// report the collector makes must not wedge it (it also runs every timer).
    @Test func aStandardErrorThatDoesNotDrainDoesNotWedgeTheCollector() async throws {
        let stuck = try StuckPipe()
        defer {
            stuck.closeReadEnd()
            stuck.closeWriteEnd()
        }
        let writer = ReportWriter(descriptor: stuck.writeEnd)
        let blocked = BlockingSink()
        let memory = MemorySink()
        let pipeline = try LogPipeline(
            sinks: [blocked, memory],
            level: .trace,
            levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 100, maxDelay: .milliseconds(1)),
            queue: QueueOptions(overflow: .block),
            delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .milliseconds(100)),
            onInternalError: .lines(every: .seconds(10), to: writer)
        )
        let log = pipeline.logger(label: "stuck-stderr")
        for i in 0..<2_000 {
            log.info("r\(i)")
        }
        // The hung sink's inbox fills, the collector reports it stalled (to the stuck pipe) and
        // must go on delivering to the healthy sink.
        #expect(await memory.waitForRecords(count: 2_000, timeout: .seconds(60)))
        #expect(await pipeline.flush(timeout: .milliseconds(300)) == .timedOut(pendingSinks: ["blocked"]))
        let report = await pipeline.shutdown(timeout: .milliseconds(500))
        #expect(report.stats.sinks[1].written == 2_000)
        #expect(report.stats.isBalanced)
        blocked.release()
    }

    @Test func reportsThatDoNotFitAreDroppedCountedAndAnnounced() async throws {
        let stuck = try StuckPipe()
        defer {
            stuck.closeReadEnd()
            stuck.closeWriteEnd()
        }
        let writer = ReportWriter(descriptor: stuck.writeEnd, capacityBytes: 1_024, capacityLines: 4)
        let handler = InternalErrorHandler.lines(every: .zero, to: writer)
        for i in 0..<50 {
            handler.handle(InternalError(kind: .writeFailed, sinkName: "s\(i)", message: "failure \(i)"))
        }
        // One line is with the writer thread (blocked), four wait; the rest are dropped at once.
        #expect(writer.dropped >= 45)
        let dropped = writer.dropped
        // Each line that gets through announces the drops since the one before, so the drops may be
        // announced in parts: the writer thread may take the first line while reports are still
        // being dropped. Together the announcements must count every drop.
        var output: [UInt8] = []
        let drained = await pollUntil {
            output += stuck.drain()
            return Self.announcedDrops(in: String(decoding: output, as: UTF8.self)) >= dropped
        }
        #expect(drained)
        let text = String(decoding: output, as: UTF8.self)
        let announcements = text.split(separator: "\n").filter { $0.contains("reports were dropped") }
        #expect(Self.announcedDrops(in: text) == dropped, "\(announcements.map { $0.suffix(100) })")
        #expect(text.contains("sink 's0' write failed: failure 0"))
    }

    /// The sum of the counts in every "sluice: N internal error reports were dropped" line of `text`.
    private static func announcedDrops(in text: String) -> Int {
        let marker = " internal error reports were dropped"
        return text.split(separator: "\n").reduce(0) { sum, line in
            guard let prefix = line.split(separator: "sluice: ").last, let end = prefix.range(of: marker) else {
                return sum
            }
            return sum + (Int(prefix[prefix.startIndex..<end.lowerBound]) ?? 0)
        }
    }

    @Test func aReportIsOneLineWithoutRawControlOrBidiCharacters() async throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        let writer = ReportWriter(descriptor: ends[1])
        let handler = InternalErrorHandler.lines(every: .zero, to: writer)
        handler.handle(
            InternalError(
                kind: .writeFailed, sinkName: "evil\u{1B}[2J",
                message: "HTTP 400: \u{1B}]0;owned\u{07}\n\u{202E}txt\u{9B}"))
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while output.last != UInt8(ascii: "\n") {
            let n = buffer.withUnsafeMutableBytes { read(ends[0], $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            output += buffer[0..<n]
        }
        let text = String(decoding: output, as: UTF8.self)
        #expect(output.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        #expect(!output.contains(0x1B) && !output.contains(0x07))
        #expect(!text.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0x9B })
        #expect(text.contains("\\x1b]0;owned\\x07\\n\\u202etxt\\u009b"))
    }
}
