import Foundation
import Sluice

/// A pipe whose write end is full, so the next blocking `write(2)` to it waits until someone reads
/// (a standard error or standard output that does not drain).
final class StuckPipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw SluiceError(.sinkFailed, "pipe() failed: \(errno)") }
        readEnd = ends[0]
        writeEnd = ends[1]
        let flags = fcntl(writeEnd, F_GETFL)
        _ = fcntl(writeEnd, F_SETFL, flags | O_NONBLOCK)
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 4096)
        while chunk.withUnsafeBytes({ write(writeEnd, $0.baseAddress, $0.count) }) > 0 {}
        _ = fcntl(writeEnd, F_SETFL, flags)
    }

    /// Reads everything buffered now (without waiting) and returns it.
    func drain() -> [UInt8] {
        let flags = fcntl(readEnd, F_GETFL)
        _ = fcntl(readEnd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(readEnd, F_SETFL, flags) }
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            all += buffer[0..<n]
        }
        return all
    }

    func closeReadEnd() {
        close(readEnd)
    }

    func closeWriteEnd() {
        close(writeEnd)
    }
}

/// Polls `condition` until it holds or `timeout` passes (a guard against hangs, not a sleep used
/// as synchronisation: the condition is what the test waits for).
func pollUntil(timeout: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while !condition() {
        if ContinuousClock.now >= deadline {
            return false
        }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return true
}

/// A TCP receiver on 127.0.0.1 that accepts connections and never reads from them (a receiver that
/// hangs), with a small receive buffer so a sender fills it quickly.
final class SilentTCPReceiver: Sendable {
    let port: Int
    private let listener: Int32
    private let connections = LockedValue([Int32]())

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw SluiceError(.sinkFailed, "socket() failed: \(errno)") }
        self.listener = listener
        var small: Int32 = 4_096
        setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard bound, listen(listener, 16) == 0 else { throw SluiceError(.sinkFailed, "bind/listen failed: \(errno)") }
        port = Int(UInt16(bigEndian: address.sin_port))
        let connections = self.connections
        Thread {
            while true {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }
                connections.withLock { $0.append(connection) }
            }
        }.start()
    }

    /// Closes the listener and every connection (the accepting thread then ends).
    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        for connection in connections.withLock({ $0 }) {
            Glibc.close(connection)
        }
    }
}
