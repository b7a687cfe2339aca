import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends records to a file through one long-lived descriptor.
///
/// ```swift
/// let file = try FileSink(path: "logs/app.log", level: .debug, format: .json)
/// ```
///
/// Missing parent directories are created (mode 0750). A file the sink creates gets `mode` (0640 by
/// default) whatever the process umask; an existing file keeps its permissions. Each batch is
/// formatted into a reusable buffer and written in chunks of whole lines of about 64 KiB, on the
/// sink's own thread.
///
/// - Important: Data is handed to the operating system at the end of every batch, so it survives a
///   crash of the process; it is not `fsync`ed, so a power loss can lose the last seconds.
public actor FileSink: LogSink {
    public nonisolated let name: String
    public nonisolated let level: LogLevel
    /// The file's path, as given.
    public nonisolated let path: String
    private let format: any LogFormat
    private var descriptor: Int32
    private var output = LogOutput()
    private let byteCount = Atomic<Int>(0)

    /// Opens (or creates) the file for appending.
    ///
    /// - Parameters:
    ///   - path: The file; relative paths are relative to the working directory.
    ///   - level: The lowest level written; default `.trace` (the pipeline's level decides).
    ///   - format: How records look, e.g. `.json`, `.logfmt`, `.text`.
    ///   - mode: Permissions for a newly created file; default `0o640`.
    ///   - name: The name in stats and errors; default `"file:<path>"`.
    /// - Throws: ``SluiceError`` with code ``SluiceError/Code/fileOpenFailed`` naming the path, the
    ///   operating system's reason and what to check.
    public init(
        path: String,
        level: LogLevel = .trace,
        format: some LogFormat,
        mode: UInt32 = 0o640,
        name: String? = nil
    ) throws(SluiceError) {
        self.path = path
        self.level = level
        self.format = format
        self.name = name ?? "file:\(path)"
        descriptor = try Self.open(path: path, mode: mode_t(mode))
    }

    /// Opens (or creates) the file for appending, writing JSON Lines.
    ///
    /// - Parameters:
    ///   - path: The file; relative paths are relative to the working directory.
    ///   - level: The lowest level written; default `.trace` (the pipeline's level decides).
    ///   - mode: Permissions for a newly created file; default `0o640`.
    ///   - name: The name in stats and errors; default `"file:<path>"`.
    /// - Throws: ``SluiceError`` with code ``SluiceError/Code/fileOpenFailed``.
    public init(path: String, level: LogLevel = .trace, mode: UInt32 = 0o640, name: String? = nil) throws(SluiceError) {
        try self.init(path: path, level: level, format: JSONFormat(), mode: mode, name: name)
    }

    deinit {
        if descriptor >= 0 {
            FileDescriptorIO.closeDescriptor(descriptor)
        }
    }

    public nonisolated var bytesWritten: Int? {
        byteCount.load(ordering: .relaxed)
    }

    public func write(_ records: [LogRecord]) async throws(SluiceError) {
        guard descriptor >= 0 else {
            throw SluiceError(.writeFailed, "file sink for '\(path)' is closed")
        }
        let (written, error) = LineWriter.write(records, format: format, output: &output, to: descriptor)
        byteCount.add(written, ordering: .relaxed)
        if let error {
            throw SluiceError(
                .writeFailed, "writing to '\(path)' failed: \(SluiceError.describe(errno: error))", errno: error)
        }
    }

    public func close() async throws(SluiceError) {
        guard descriptor >= 0 else { return }
        let error = FileDescriptorIO.closeDescriptor(descriptor)
        descriptor = -1
        if error != 0 {
            throw SluiceError(
                .writeFailed, "closing '\(path)' failed: \(SluiceError.describe(errno: error))", errno: error)
        }
    }

    private static func open(path: String, mode: mode_t) throws(SluiceError) -> Int32 {
        guard !path.isEmpty else {
            throw SluiceError(.fileOpenFailed, "the log file path is empty; pass a path such as 'logs/app.log'")
        }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try FileDescriptorIO.makeDirectories(String(path[..<slash]), mode: 0o750)
        }
        var fd = FileDescriptorIO.openFile(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd >= 0 {
            // The umask may have removed bits; a file we create gets exactly `mode`.
            fchmod(fd, mode)
            return fd
        }
        if errno == EEXIST {
            fd = FileDescriptorIO.openFile(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            if fd >= 0 {
                return fd
            }
        }
        let error = errno
        let hint: String
        switch error {
        case EACCES, EPERM:
            hint = "make the file and its directory writable by uid \(getuid()), or choose another path"
        case EISDIR:
            hint = "the path is a directory; add a file name such as '\(path)/app.log'"
        case ENOENT, ENOTDIR:
            hint = "a parent of the path is missing or not a directory"
        case EROFS:
            hint = "the file system is read-only; choose a writable location"
        default:
            hint = "check the path and its permissions"
        }
        throw SluiceError(
            .fileOpenFailed, "cannot open log file '\(path)': \(SluiceError.describe(errno: error)); \(hint)",
            errno: error)
    }
}
