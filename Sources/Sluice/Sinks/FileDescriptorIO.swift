#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Blocking file-descriptor helpers for sinks. They run on the sink's own thread, never on the
/// cooperative pool.
package enum FileDescriptorIO {
    /// What a descriptor leads to, which decides how it is written without risking `SIGPIPE`.
    package enum Kind: Sendable, Equatable {
        /// A regular file: `write(2)` never raises `SIGPIPE`.
        case regular
        /// A socket: written with `send(2)` and `MSG_NOSIGNAL`.
        case socket
        /// A pipe, FIFO, terminal or device: written with `SIGPIPE` blocked on the writing thread.
        case other
    }

    /// The kind of `descriptor` (`.other` when `fstat` fails, the safe choice).
    package static func kind(of descriptor: Int32) -> Kind {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .other }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFSOCK: return .socket
        default: return .other
        }
    }

    /// Writes every byte, retrying after `EINTR`, short writes and `EAGAIN` (waiting for the
    /// descriptor to become writable, until `deadline` if one is given: then it fails with
    /// `ETIMEDOUT`). Returns the bytes written and, on failure, the `errno`.
    ///
    /// A reader that went away (a closed pipe, a reset connection) is an `EPIPE` error, never a
    /// `SIGPIPE` that would kill the process: sockets are written with `MSG_NOSIGNAL`, pipes and other
    /// descriptors with `SIGPIPE` blocked on the calling thread (a `SIGPIPE` the write raised is
    /// consumed before it is unblocked).
    ///
    /// - Parameters:
    ///   - descriptor: Where to write.
    ///   - buffer: The bytes.
    ///   - kind: The descriptor's kind if the caller knows it; `nil` asks `fstat`.
    ///   - deadline: The longest to wait for a descriptor that accepts nothing; `nil` waits forever.
    package static func writeAll(
        _ descriptor: Int32,
        _ buffer: UnsafeRawBufferPointer,
        kind: Kind? = nil,
        deadline: ContinuousClock.Instant? = nil
    ) -> (written: Int, errno: Int32?) {
        guard buffer.baseAddress != nil, !buffer.isEmpty else { return (0, nil) }
        switch kind ?? Self.kind(of: descriptor) {
        case .regular:
            return writeLoop(descriptor, buffer, deadline: deadline) { write(descriptor, $0, $1) }
        case .socket:
            let result = writeLoop(descriptor, buffer, deadline: deadline) {
                send(descriptor, $0, $1, Int32(MSG_NOSIGNAL))
            }
            if result.errno == ENOTSOCK {
                // Replaced by something else since it was classified: write it as a pipe.
                let rest = UnsafeRawBufferPointer(rebasing: buffer[result.written...])
                let more = writeAll(descriptor, rest, kind: .other, deadline: deadline)
                return (result.written + more.written, more.errno)
            }
            return result
        case .other:
            return SignalMask.withSIGPIPEBlocked {
                writeLoop(descriptor, buffer, deadline: deadline) { write(descriptor, $0, $1) }
            }
        }
    }

    private static func writeLoop(
        _ descriptor: Int32,
        _ buffer: UnsafeRawBufferPointer,
        deadline: ContinuousClock.Instant?,
        _ writeSome: (UnsafeRawPointer, Int) -> Int
    ) -> (written: Int, errno: Int32?) {
        guard let base = buffer.baseAddress else { return (0, nil) }
        var offset = 0
        while offset < buffer.count {
            let n = writeSome(base + offset, buffer.count - offset)
            if n > 0 {
                offset += n
                continue
            }
            if n == 0 {
                return (offset, EIO)
            }
            let error = errno
            switch error {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                var wait: Int32 = 1_000
                if let deadline {
                    let left = ContinuousClock.now.duration(to: deadline)
                    guard left > .zero else { return (offset, ETIMEDOUT) }
                    wait = Int32(clamping: max(left.clampedNanoseconds / 1_000_000, 1))
                }
                var request = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&request, 1, min(wait, 1_000))
            default:
                return (offset, error)
            }
        }
        return (offset, nil)
    }

    /// `open(2)`, retried after `EINTR`. Returns the descriptor or -1 with `errno` set.
    package static func openFile(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
        while true {
            let fd = open(path, flags, mode)
            if fd >= 0 || errno != EINTR {
                return fd
            }
        }
    }

    /// `close(2)`; returns 0 or the `errno`.
    @discardableResult
    package static func closeDescriptor(_ descriptor: Int32) -> Int32 {
        close(descriptor) == 0 ? 0 : errno
    }

    /// Creates `path` and its missing parents with `mode` (like `mkdir -p`).
    package static func makeDirectories(_ path: String, mode: mode_t) throws(SluiceError) {
        guard !path.isEmpty else { return }
        var current = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += current.isEmpty || current.hasSuffix("/") ? String(component) : "/\(component)"
            if mkdir(current, mode) != 0 {
                let error = errno
                if error == EEXIST {
                    var info = stat()
                    if stat(current, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                        continue
                    }
                    throw SluiceError(
                        .fileOpenFailed,
                        "cannot create directory '\(current)': a file with that name exists; remove it or choose another log path",
                        errno: ENOTDIR)
                }
                throw SluiceError(
                    .fileOpenFailed,
                    "cannot create directory '\(current)': \(SluiceError.describe(errno: error)); create it yourself or make its parent writable by uid \(getuid())",
                    errno: error
                )
            }
        }
    }
}
