import Foundation
import Sluice

/// A TCP proxy in front of PostgreSQL that reads the wire protocol and, when armed, breaks the
/// connection at the next `COMMIT` query (the sink commits each batch with one): either before forwarding it (the server rolls the batch back)
/// or after the server committed it and before the answer reaches the client. Either way the client
/// cannot know whether its batch was committed: the case the sink must settle exactly once.
///
/// Clients must connect without TLS or GSS encryption (`sslmode=disable`, `gssencmode=disable`),
/// so every message after the start-up message is typed.
final class CommitCuttingProxy: Sendable {
    enum Cut: Sendable {
        /// Close both sides instead of forwarding the `COMMIT`.
        case beforeCommit
        /// Forward the `COMMIT`, let the server finish it, then close both sides without the answer.
        case afterCommit
    }

    let port: Int
    private let target: Int
    private let listener: Int32
    private let armed = LockedValue<Cut?>(nil)
    private let cuts = LockedValue(0)
    private let sockets = LockedValue<Set<Int32>>([])

    init(target: Int) throws {
        self.target = target
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw TestFailure("the proxy cannot listen: \(String(cString: strerror(errno)))") }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    /// Breaks the next `COMMIT` of a batch as `cut` says; once.
    func arm(_ cut: Cut) {
        armed.withLock { $0 = cut }
    }

    /// Commits broken so far.
    var cutCount: Int { cuts.withLock { $0 } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in sockets.withLock({ $0 }) {
            shutdown(fd, Int32(SHUT_RDWR))
        }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopback(port: target)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard connected else {
                close(client)
                close(server)
                continue
            }
            sockets.withLock { $0.formUnion([client, server]) }
            let session = Session(client: client, server: server)
            Thread { [self] in pumpClient(session) }.start()
            Thread { [self] in pumpServer(session) }.start()
        }
    }

    /// One proxied connection; `commitSent` is set once a cut-after-commit forwarded the `COMMIT`.
    private final class Session: Sendable {
        let client: Int32
        let server: Int32
        let commitSent = LockedValue(false)

        init(client: Int32, server: Int32) {
            self.client = client
            self.server = server
        }

        func breakBoth() {
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(server, Int32(SHUT_RDWR))
        }
    }

    /// Client → server: the start-up message, then typed messages; watches for the batch's `COMMIT`.
    private func pumpClient(_ session: Session) {
        defer { session.breakBoth() }
        guard let length = readInt32(session.client), let startup = readExactly(session.client, Int(length) - 4),
            writeAll(session.server, bigEndian(length) + startup)
        else { return }
        while let type = readExactly(session.client, 1), let length = readInt32(session.client),
            let body = readExactly(session.client, Int(length) - 4)
        {
            let message = type + bigEndian(length) + body
            if type == [UInt8(ascii: "Q")], body == Array("COMMIT\0".utf8),
                let cut = armed.withLock({ (cut: inout Cut?) -> Cut? in
                    defer { cut = nil }
                    return cut
                })
            {
                cuts.withLock { $0 += 1 }
                switch cut {
                case .beforeCommit:
                    return
                case .afterCommit:
                    session.commitSent.withLock { $0 = true }
                }
            }
            guard writeAll(session.server, message) else { return }
        }
    }

    /// Server → client: typed messages; after a forwarded cut `COMMIT`, swallows the answer up to
    /// ReadyForQuery (the commit is then done) and breaks the connection.
    private func pumpServer(_ session: Session) {
        defer { session.breakBoth() }
        while let type = readExactly(session.server, 1), let length = readInt32(session.server),
            let body = readExactly(session.server, Int(length) - 4)
        {
            if session.commitSent.withLock({ $0 }) {
                if type == [UInt8(ascii: "Z")] {
                    return
                }
                continue
            }
            guard writeAll(session.client, type + bigEndian(length) + body) else { return }
        }
    }

    private func readInt32(_ fd: Int32) -> UInt32? {
        guard let bytes = readExactly(fd, 4) else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    private func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        guard count >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            filled += n
        }
        return buffer
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }
}
