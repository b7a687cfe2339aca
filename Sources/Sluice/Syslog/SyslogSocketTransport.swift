#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends syslog payloads over UDP, TCP or a Unix datagram socket with blocking POSIX calls, on the
/// ``DeliveryEngine``'s thread.
///
/// TCP knows more than "send() returned": before each payload it checks that the peer has not
/// closed the connection, and after writing it waits until the kernel reports every byte
/// acknowledged (`SIOCOUTQ` reaches zero). When the connection breaks, the messages whose bytes
/// were not acknowledged are sent again on a new connection, so a receiver that restarts loses
/// nothing it had not acknowledged. What a receiver acknowledged but never processed (it crashed
/// with data in its socket buffer) cannot be known by any sender.
package final class SyslogSocketTransport: DeliveryTransport {
    private let transport: SyslogTransport
    private let timeout: Duration
    private var descriptor: Int32 = -1

    package init(transport: SyslogTransport, timeout: Duration) {
        self.transport = transport
        self.timeout = timeout
    }

    deinit {
        close()
    }

    package var isConnected: Bool { descriptor >= 0 }

    package func close() {
        if descriptor >= 0 {
            FileDescriptorIO.closeDescriptor(descriptor)
            descriptor = -1
        }
    }

    package func deliver(_ payload: DeliveryPayload) -> Result<Void, DeliveryFailure> {
        if transport.isStream && descriptor >= 0 && !peerIsAlive() {
            close()
        }
        if descriptor < 0 {
            if let failure = connect() {
                return .failure(failure)
            }
        }
        return transport.isStream ? sendStream(payload) : sendDatagrams(payload)
    }

    // MARK: Datagrams

    private func sendDatagrams(_ payload: DeliveryPayload) -> Result<Void, DeliveryFailure> {
        var start = 0
        for (index, end) in payload.messageEnds.enumerated() {
            while true {
                let n = payload.bytes.withUnsafeBytes { bytes in
                    send(descriptor, bytes.baseAddress! + start, end - start, Int32(MSG_NOSIGNAL))
                }
                if n >= 0 {
                    break
                }
                let error = errno
                if error == EINTR {
                    continue
                }
                if error != EMSGSIZE {
                    close()
                }
                return .failure(failure(errno: error, delivered: index))
            }
            start = end
        }
        return .success(())
    }

    // MARK: Stream

    private func sendStream(_ payload: DeliveryPayload) -> Result<Void, DeliveryFailure> {
        // MSG_NOSIGNAL: a receiver that resets the connection is an error here, never a SIGPIPE
        // that kills the process; the deadline: a receiver that stops reading is a timeout.
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let (written, writeError) = payload.bytes.withUnsafeBytes {
            FileDescriptorIO.writeAll(descriptor, $0, kind: .socket, deadline: deadline)
        }
        if let writeError {
            return .failure(brokenConnection(errno: writeError, written: written, payload: payload))
        }
        #if os(Linux)
        // Wait until the peer acknowledged every byte, or the connection broke, or the timeout.
        var pause: Int32 = 1
        while true {
            let unacknowledged = unacknowledgedBytes()
            if unacknowledged == 0 {
                return .success(())
            }
            if !peerIsAlive() || socketError() != 0 {
                return .failure(
                    brokenConnection(
                        errno: ECONNRESET, written: written, payload: payload, unacknowledged: unacknowledged))
            }
            if ContinuousClock.now >= deadline {
                let failure = DeliveryFailure(
                    .timeout,
                    "\(transport): \(unacknowledged) bytes not acknowledged after \(timeout); reconnecting",
                    delivered: delivered(written - unacknowledged, payload))
                close()
                return .failure(failure)
            }
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&request, 1, pause)
            pause = min(pause * 2, 20)
        }
        #else
        return .success(())
        #endif
    }

    /// The connection broke after `written` bytes of `payload`: count what the peer acknowledged as
    /// delivered, so only the rest is sent again.
    private func brokenConnection(
        errno error: Int32,
        written: Int,
        payload: DeliveryPayload,
        unacknowledged: Int? = nil
    ) -> DeliveryFailure {
        let pending = unacknowledged ?? unacknowledgedBytes()
        close()
        var failure = self.failure(errno: error, delivered: 0)
        failure.delivered = delivered(max(written - pending, 0), payload)
        failure.message += "; \(payload.messageEnds.count - failure.delivered) messages not acknowledged are sent again"
        return failure
    }

    /// The number of whole messages within the first `bytes` bytes.
    private func delivered(_ bytes: Int, _ payload: DeliveryPayload) -> Int {
        payload.messageEnds.count { $0 <= bytes }
    }

    /// Bytes written but not yet acknowledged by the peer (Linux `SIOCOUTQ`); 0 elsewhere.
    private func unacknowledgedBytes() -> Int {
        #if os(Linux)
        var value: Int32 = 0
        // SIOCOUTQ (TIOCOUTQ, 0x5411): for TCP, write_seq - snd_una, so it stays valid after a reset.
        guard ioctl(descriptor, UInt(0x5411), &value) == 0 else { return 0 }
        return Int(value)
        #else
        return 0
        #endif
    }

    private func socketError() -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &value, &length)
        return value
    }

    /// Whether a connected stream socket's peer is still there: no end-of-file, no reset pending.
    /// Anything the receiver sent us is read and discarded.
    private func peerIsAlive() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&request, 1, 0)
            if ready == 0 {
                return true
            }
            if ready < 0 {
                return errno == EINTR
            }
            if request.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
                return false
            }
            let n = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n == 0 {
                return false
            }
            if n < 0 {
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
            }
        }
    }

    // MARK: Connecting

    private func connect() -> DeliveryFailure? {
        switch transport.kind {
        case .unix(let path):
            return connectUnix(path)
        case .udp(let host, let port):
            return connectInet(host: host, port: port, type: Self.datagram)
        case .tcp(let host, let port):
            return connectInet(host: host, port: port, type: Self.stream)
        }
    }

    private func connectUnix(_ path: String) -> DeliveryFailure? {
        let fd = socket(AF_UNIX, Self.datagram | Self.closeOnExec, 0)
        guard fd >= 0 else { return failure(errno: errno, delivered: 0) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                systemConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            let error = errno
            FileDescriptorIO.closeDescriptor(fd)
            return failure(errno: error, delivered: 0)
        }
        setSendTimeout(fd)
        descriptor = fd
        return nil
    }

    private func connectInet(host: String, port: Int, type: Int32) -> DeliveryFailure? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = type
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            let reason = String(cString: gai_strerror(rc))
            return DeliveryFailure(.connection, "\(transport): cannot resolve '\(host)': \(reason)")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = ECONNREFUSED
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Self.closeOnExec, 0)
            guard fd >= 0 else {
                lastError = errno
                continue
            }
            if let error = connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen, stream: type == Self.stream) {
                lastError = error
                FileDescriptorIO.closeDescriptor(fd)
                continue
            }
            setSendTimeout(fd)
            descriptor = fd
            return nil
        }
        return failure(errno: lastError, delivered: 0)
    }

    /// Connects, waiting at most the timeout for a stream connection. Returns the `errno` on failure.
    private func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t, stream: Bool) -> Int32? {
        guard stream else {
            return systemConnect(fd, address, length) == 0 ? nil : errno
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        if systemConnect(fd, address, length) == 0 {
            return nil
        }
        guard errno == EINPROGRESS else { return errno }
        var request = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let milliseconds = Int32(clamping: timeout.clampedNanoseconds / 1_000_000)
        var ready: Int32
        repeat {
            ready = poll(&request, 1, milliseconds)
        } while ready < 0 && errno == EINTR
        guard ready > 0 else { return ETIMEDOUT }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
        return error == 0 ? nil : error
    }

    #if canImport(Glibc)
    private static let stream = Int32(SOCK_STREAM.rawValue)
    private static let datagram = Int32(SOCK_DGRAM.rawValue)
    private static let closeOnExec = Int32(SOCK_CLOEXEC.rawValue)
    #elseif canImport(Musl)
    private static let stream = SOCK_STREAM
    private static let datagram = SOCK_DGRAM
    private static let closeOnExec = SOCK_CLOEXEC
    #else
    private static let stream = SOCK_STREAM
    private static let datagram = SOCK_DGRAM
    private static let closeOnExec: Int32 = 0
    #endif

    private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
        #if canImport(Glibc)
        Glibc.connect(fd, address, length)
        #elseif canImport(Musl)
        Musl.connect(fd, address, length)
        #else
        Darwin.connect(fd, address, length)
        #endif
    }

    private func setSendTimeout(_ fd: Int32) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    private func failure(errno error: Int32, delivered: Int) -> DeliveryFailure {
        let text = "\(transport): \(SluiceError.describe(errno: error))"
        switch error {
        case EAGAIN, EWOULDBLOCK, ETIMEDOUT, ENOBUFS:
            return DeliveryFailure(.timeout, text, delivered: delivered)
        case EMSGSIZE:
            return DeliveryFailure(.rejected, text + "; lower maxMessageBytes", delivered: delivered)
        case EACCES, EPERM:
            return DeliveryFailure(.connection, text + "; check the socket's permissions", delivered: delivered)
        default:
            return DeliveryFailure(.connection, text, delivered: delivered)
        }
    }
}
