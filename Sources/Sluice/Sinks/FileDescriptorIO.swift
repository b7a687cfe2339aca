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
    /// Writes every byte, retrying after `EINTR`, short writes and `EAGAIN` (waiting for the
    /// descriptor to become writable). Returns the bytes written and, on failure, the `errno`.
    package static func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer) -> (written: Int, errno: Int32?)
    {
        guard let base = buffer.baseAddress else { return (0, nil) }
        var offset = 0
        while offset < buffer.count {
            let n = write(descriptor, base + offset, buffer.count - offset)
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
                var request = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&request, 1, 1_000)
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
