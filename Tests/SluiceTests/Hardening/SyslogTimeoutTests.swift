import Foundation
import Sluice
import Testing

@Suite struct SyslogTimeoutTests {
    /// A receiver that accepts and then stops reading: the send blocks once both socket buffers are
    /// full. The sink's timeout must end that send (counted as a timeout and retried), not leave the
    /// sink's thread waiting forever with nothing counted.
    @Test func aReceiverThatStopsReadingTimesTheSendOut() async throws {
        let receiver = try SilentTCPReceiver()
        defer { receiver.close() }
        let sink = try SyslogSink(
            transport: .tcp(host: "127.0.0.1", port: receiver.port), maxMessageBytes: 65_536,
            timeout: .milliseconds(300),
            retry: RetryOptions(
                initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(100), retryBudget: .seconds(60)))
        let padding = String(repeating: "s", count: 16_000)
        // One 8 MB batch: more than the kernel's send buffer (4 MB at most) and the receiver's hold.
        let batch = (0..<512).map { record("\($0) \(padding)") }
        let writer = Task { try await sink.write(batch) }
        #expect(await pollUntil { sink.stats.failures.timeout >= 1 }, "the send never timed out: \(sink.stats)")
        #expect(sink.stats.retries >= 1)
        #expect(
            sink.stats.lastError?.contains("not acknowledged") == true
                || sink.stats.lastError?.contains("timed out") == true)
        writer.cancel()
        try await sink.close()
        _ = try? await writer.value
    }
}
