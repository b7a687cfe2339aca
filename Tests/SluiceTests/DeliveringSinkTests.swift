import Foundation
import Sluice
import Testing

/// A third-party network sink built on the public delivery engine: newline-delimited JSON over
/// TCP, the sink the DocC article "Writing a Network Sink" walks through.
actor LineSink: DeliveringSink {
    nonisolated let name: String
    nonisolated let level: LogLevel
    nonisolated let engine: DeliveryEngine
    private let format = JSONFormat()

    init(port: Int, level: LogLevel = .trace, retry: RetryOptions = RetryOptions()) throws {
        name = "lines:127.0.0.1:\(port)"
        self.level = level
        engine = try DeliveryEngine(name: name, retry: retry, transport: LineTransport(port: port))
    }

    func encode(_ records: [LogRecord]) -> [DeliveryPayload] {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        for record in records {
            bytes += Array(format.render(record).utf8)
            bytes.append(UInt8(ascii: "\n"))
            ends.append(bytes.count)
        }
        return [DeliveryPayload(bytes: bytes, messageEnds: ends, records: records.count)]
    }
}

/// Sends payloads over one TCP connection, connecting lazily and again after a failure.
final class LineTransport: DeliveryTransport {
    private let port: Int
    private var socket: Int32 = -1

    init(port: Int) {
        self.port = port
    }

    var isConnected: Bool { socket >= 0 }

    func deliver(_ payload: DeliveryPayload) -> Result<Void, DeliveryFailure> {
        if socket < 0 {
            let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard connected else {
                let reason = String(cString: strerror(errno))
                Glibc.close(fd)
                return .failure(DeliveryFailure(.connection, "127.0.0.1:\(port): \(reason)"))
            }
            socket = fd
        }
        var sent = 0
        while sent < payload.bytes.count {
            let n = payload.bytes.withUnsafeBytes {
                send(socket, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = String(cString: strerror(errno))
                close()
                // Whole lines that went out before the break need not go again.
                let delivered = payload.messageEnds.prefix { $0 <= sent }.count
                return .failure(
                    DeliveryFailure(
                        .connection, "127.0.0.1:\(port): \(reason)", delivered: delivered, outcomeUnknown: true))
            }
            sent += n
        }
        return .success(())
    }

    func close() {
        if socket >= 0 {
            Glibc.close(socket)
            socket = -1
        }
    }
}

/// A TCP receiver on 127.0.0.1 that keeps every line it reads.
final class LineReceiver: Sendable {
    let port: Int
    private let listener: Int32
    private let received = LockedValue([String]())

    init(port: Int = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: port)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw TestFailure("the receiver cannot listen: \(String(cString: strerror(errno)))") }
        listener = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    var lines: [String] { received.withLock { $0 } }

    /// Waits (polling, with a generous deadline) until at least `count` lines arrived.
    func waitForLines(_ count: Int) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while lines.count < count {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            Thread { [self] in read(client) }.start()
        }
    }

    private func read(_ client: Int32) {
        defer { close(client) }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(client, &buffer, buffer.count, 0)
            guard n > 0 else { return }
            pending += buffer[0..<n]
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                received.withLock { $0.append(line) }
            }
        }
    }
}

@Suite(.serialized, .timeLimit(.minutes(2))) struct DeliveringSinkTests {
    func index(_ line: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            return nil
        }
        return (object["metadata"] as? [String: Any])?["index"] as? Int
    }

    @Test func aSinkOnTheDeliveryEngineDeliversEveryRecordInOrderOnce() async throws {
        let receiver = try LineReceiver()
        defer { receiver.stop() }
        let sink = try LineSink(port: receiver.port)
        let pipeline = try LogPipeline(
            sinks: [sink], level: .info, levelEnvironmentVariable: nil, drainAtExit: false, onInternalError: .ignore)
        let log = pipeline.logger(label: "shipped")
        for index in 0..<5_000 {
            log.info("record", metadata: ["index": .integer(index)])
        }
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed, "a flush waits for delivery")
        #expect(sink.engine.stats.recordsSent == 5_000, "sent (in the receiver's socket buffer) when the flush returns")
        // The receiver's thread reads what the kernel already holds.
        #expect(await receiver.waitForLines(5_000))
        let indexes = receiver.lines.compactMap(index)
        #expect(indexes.count == 5_000 && indexes == Array(0..<5_000), "in order, once each")
        let report = await pipeline.shutdown()
        #expect(report.written == 5_000 && report.stats.dropped.total == 0)
        #expect(sink.engine.stats.recordsSent == 5_000 && sink.engine.stats.droppedBatches == 0)
        #expect(report.stats.sinks[0].bytes == sink.engine.stats.bytesSent)
    }

    @Test func itRetriesUntilTheReceiverIsUpAndLosesNothing() async throws {
        let port = try freePort(type: SOCK_STREAM)
        let sink = try LineSink(
            port: port, retry: RetryOptions(initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(100)))
        let errors = ErrorCollector()
        let pipeline = try LogPipeline(
            sinks: [sink], level: .info, levelEnvironmentVariable: nil, drainAtExit: false,
            onInternalError: errors.handler)
        let log = pipeline.logger(label: "shipped")
        for index in 0..<1_000 {
            log.info("record", metadata: ["index": .integer(index)])
        }
        // Nobody listens yet: the engine retries in the background.
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while sink.engine.stats.retries < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(sink.engine.stats.failures.connection >= 2)
        #expect(errors.all.contains { $0.kind == .deliveryRetrying })
        let receiver = try LineReceiver(port: port)
        defer { receiver.stop() }
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        #expect(await receiver.waitForLines(1_000))
        let indexes = receiver.lines.compactMap(index)
        #expect(indexes.count == 1_000 && indexes == Array(0..<1_000), "in order, once each")
        let report = await pipeline.shutdown()
        #expect(report.written == 1_000 && report.stats.dropped.total == 0 && report.stats.isBalanced)
    }

    @Test func batchesGivenUpOnAreCountedAsDroppedForTheSink() async throws {
        let port = try freePort(type: SOCK_STREAM)
        let sink = try LineSink(
            port: port,
            retry: RetryOptions(
                initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(20), retryBudget: .milliseconds(100)))
        let pipeline = try LogPipeline(
            sinks: [sink], level: .info, levelEnvironmentVariable: nil, drainAtExit: false, onInternalError: .ignore)
        let log = pipeline.logger(label: "lost")
        for index in 0..<100 {
            log.info("record", metadata: ["index": .integer(index)])
        }
        _ = await pipeline.flush(timeout: .seconds(30))
        let report = await pipeline.shutdown()
        #expect(report.stats.dropped.sinkFailure == 100 && report.written == 0 && report.stats.isBalanced)
        #expect(sink.engine.stats.droppedRecords.retryBudgetExhausted == 100)
    }

    @Test func anEngineRefusesRetryOptionsOutOfRange() {
        #expect(throws: SluiceError.self) {
            try DeliveryEngine(
                name: "bad", retry: RetryOptions(maxPendingBatches: 0), transport: LineTransport(port: 1))
        }
    }
}
