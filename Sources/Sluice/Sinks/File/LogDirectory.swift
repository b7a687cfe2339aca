#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open directory that log files live in. Every file operation is relative to its descriptor
/// (`openat`, `renameat`, `unlinkat`), so a directory renamed or replaced by a symlink after start-up
/// cannot redirect where files are created, moved or deleted.
package final class LogDirectory: Sendable {
    package let path: String
    package let descriptor: Int32

    /// Takes ownership of an open descriptor (tests pass one that is not a directory).
    package init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Creates `path` (and its parents, 0750) if needed and opens it.
    ///
    /// - Throws: ``SluiceError/Code/fileOpenFailed`` when it cannot be created or opened, or when
    ///   others may write to it and `allowWorldWritable` is false.
    package static func open(_ path: String, allowWorldWritable: Bool) throws(SluiceError) -> LogDirectory {
        try FileDescriptorIO.makeDirectories(path, mode: 0o750)
        let fd = FileDescriptorIO.openFile(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let error = errno
            throw SluiceError(
                .fileOpenFailed,
                "cannot open log directory '\(path)': \(SluiceError.describe(errno: error)); check that it exists and uid \(getuid()) may enter it",
                errno: error)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = errno
            close(fd)
            throw SluiceError(
                .fileOpenFailed, "cannot inspect log directory '\(path)': \(SluiceError.describe(errno: error))",
                errno: error)
        }
        if info.st_mode & S_IWOTH != 0 && !allowWorldWritable {
            close(fd)
            throw SluiceError(
                .fileOpenFailed,
                "refusing log directory '\(path)': any user may write to it (mode \(String(info.st_mode & 0o7777, radix: 8))), so another user could plant files or symlinks among the logs; use a directory only the service can write (e.g. chmod o-w, or a subdirectory with mode 0750), or pass allowWorldWritableDirectory: true"
            )
        }
        return LogDirectory(path: path, descriptor: fd)
    }

    /// The directory part of a file path (`"."` for a bare name) and the file name.
    package static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[path.index(after: slash)...]))
    }

    /// The full path of a file in this directory, for messages.
    package func display(_ name: String) -> String {
        path == "." ? name : path.hasSuffix("/") ? path + name : "\(path)/\(name)"
    }

    /// How many times the directory was listed (tests count them).
    package var listings: Int { listingCount.withLock { $0 } }
    private let listingCount = LockedValue(0)

    /// Whether names that differ only in the case of ASCII letters lead to the same file here
    /// (macOS's default APFS, FAT, an ext4 directory with casefold): found out by creating a probe
    /// file and looking it up in upper case. `false` when the probe cannot be made.
    package func ignoresCase() -> Bool {
        let probe = ".sluice-case-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = openFile(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { return false }
        close(fd)
        defer { remove(probe) }
        return exists(probe.uppercased())
    }

    /// Regular files in the directory with their sizes (symlinks and everything else are skipped).
    package func listRegularFiles() -> (entries: [RetentionPlanner.Entry], errno: Int32?) {
        listingCount.withLock { $0 += 1 }
        let copy = dup(descriptor)
        guard copy >= 0 else { return ([], errno) }
        guard let stream = fdopendir(copy) else {
            // fdopendir takes the descriptor only when it succeeds.
            let error = errno
            close(copy)
            return ([], error)
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var entries: [RetentionPlanner.Entry] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != "." && name != ".." else { continue }
            var info = stat()
            guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0,
                info.st_mode & S_IFMT == S_IFREG
            else { continue }
            entries.append(RetentionPlanner.Entry(name: name, size: Int64(info.st_size)))
        }
        return (entries, nil)
    }

    /// `fsync` of the directory, so renames and new files survive a power loss. Returns the errno.
    @discardableResult
    package func sync() -> Int32? {
        fsync(descriptor) == 0 ? nil : errno
    }

    /// Metadata of `name` without following a symlink, or `nil` (with errno) when it cannot be read.
    package func status(of name: String) -> stat? {
        var info = stat()
        // withCString borrows a native string's own bytes; passing the String directly would copy it
        // into a new array on every call (this runs before every batch).
        let found = name.withCString { fstatat(descriptor, $0, &info, AT_SYMLINK_NOFOLLOW) == 0 }
        return found ? info : nil
    }

    /// Whether `name` exists (as anything, including a dangling symlink).
    package func exists(_ name: String) -> Bool {
        status(of: name) != nil
    }

    /// `unlinkat`; returns the errno on failure (a missing file is not a failure).
    @discardableResult
    package func remove(_ name: String) -> Int32? {
        if unlinkat(descriptor, name, 0) == 0 || errno == ENOENT {
            return nil
        }
        return errno
    }

    /// `renameat` within the directory; returns the errno on failure.
    package func rename(_ from: String, to: String) -> Int32? {
        renameat(descriptor, from, descriptor, to) == 0 ? nil : errno
    }

    /// `openat` relative to the directory, never following a symlink, retried after `EINTR`.
    package func openFile(_ name: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
        while true {
            let fd = openat(descriptor, name, flags | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 || errno != EINTR {
                return fd
            }
        }
    }
}
