#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One log file a sink appends to: its descriptor, its identity (to notice `mv` and truncation by
/// other tools), its size, and rotation. Not thread-safe: owned and used by one sink actor.
package final class LogFile {
    package let directory: LogDirectory
    package let naming: ArchiveNaming
    private let mode: mode_t
    package private(set) var descriptor: Int32 = -1
    /// Bytes in the file as far as the sink knows (refreshed from the file system before each batch).
    package private(set) var size: Int64 = 0
    package private(set) var isRegular = true
    package var schedule: RotationSchedule
    /// Data was written since the last `fdatasync`.
    package private(set) var unsynced = false
    /// The file's size at the last successful `fdatasync` (or when it was opened): what is on the
    /// disk for sure.
    package private(set) var syncedSize: Int64 = 0
    /// When data was last synced (or the file opened), for ``Durability/flushEvery(_:)``.
    package var lastSync = ContinuousClock.now
    private var device: UInt64 = 0
    private var inode: UInt64 = 0
    /// A failed write may have left a partial line that truncation could not remove.
    private var mayEndTorn = false
    private var lastArchiveTime = LogTimestamp(nanosecondsSinceEpoch: .min)

    package var name: String { naming.liveName }
    package var displayPath: String { directory.display(name) }
    package var isOpen: Bool { descriptor >= 0 }

    package init(directory: LogDirectory, name: String, mode: mode_t, schedule: RotationSchedule) {
        self.directory = directory
        self.naming = ArchiveNaming(liveName: name)
        self.mode = mode
        self.schedule = schedule
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
        }
    }

    package struct OpenResult {
        /// Bytes of a torn last line that were cut off.
        var repairedBytes: Int64 = 0
    }

    /// Opens (creating with exactly `mode` if needed) the file at the path.
    package func open(now: LogTimestamp) throws(SluiceError) -> OpenResult {
        let (fd, created) = try openDescriptor()
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = errno
            close(fd)
            throw SluiceError(
                .fileOpenFailed, "cannot inspect '\(displayPath)': \(SluiceError.describe(errno: error))", errno: error)
        }
        let regular = info.st_mode & S_IFMT == S_IFREG
        if !regular && schedule.rotates {
            close(fd)
            throw SluiceError(
                .invalidConfiguration,
                "'\(displayPath)' is not a regular file (a device or pipe), so it cannot be rotated; use RotationPolicy.never for it"
            )
        }
        if created {
            // The umask may have removed bits; a file we create gets exactly `mode`.
            fchmod(fd, mode)
        }
        if descriptor >= 0 {
            close(descriptor)
        }
        descriptor = fd
        isRegular = regular
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = regular ? Int64(info.st_size) : 0
        syncedSize = size
        mayEndTorn = false
        var result = OpenResult()
        if regular && size > 0 {
            result.repairedBytes = repairTornTail()
        }
        // A file that already holds data belongs to the period it was last written in, so a restart
        // (or reopening) after a boundary still rotates it.
        let modified = LogTimestamp(
            clampingSeconds: Int64(info.st_mtim.tv_sec), nanoseconds: Int64(info.st_mtim.tv_nsec))
        schedule.fileOpened(now: size > 0 ? min(modified, now) : now)
        lastSync = .now
        return result
    }

    private func openDescriptor() throws(SluiceError) -> (Int32, created: Bool) {
        var fd = directory.openFile(name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL, mode)
        if fd >= 0 {
            return (fd, true)
        }
        if errno == EEXIST {
            fd = directory.openFile(name, O_WRONLY | O_APPEND)
            if fd >= 0 {
                return (fd, false)
            }
        }
        let error = errno
        let hint: String
        switch error {
        case ELOOP:
            hint =
                "it is a symbolic link, and Sluice never follows one at a log path (it could point writes anywhere); configure the real file's path"
        case EACCES, EPERM:
            hint = "make the file and its directory writable by uid \(getuid()), or choose another path"
        case EISDIR:
            hint = "the path is a directory; add a file name such as '\(displayPath)/app.log'"
        case ENOENT, ENOTDIR:
            hint = "the directory is gone or not a directory"
        case EROFS:
            hint = "the file system is read-only; choose a writable location"
        case ENOSPC, EDQUOT:
            hint = "the disk is full"
        default:
            hint = "check the path and its permissions"
        }
        throw SluiceError(
            .fileOpenFailed, "cannot open log file '\(displayPath)': \(SluiceError.describe(errno: error)); \(hint)",
            errno: error)
    }

    /// Ends an unterminated last line (a `write(2)` cut short by a crash, or another program's
    /// output) with a newline, so the next record starts a line of its own. Nothing is cut: Sluice
    /// cannot tell its own fragment from bytes someone else wrote. Returns the length of that last
    /// line (looked for within the last 16 MiB).
    private func repairTornTail() -> Int64 {
        let reader = directory.openFile(name, O_RDONLY)
        guard reader >= 0 else { return 0 }
        defer { close(reader) }
        var last: UInt8 = 0
        guard pread(reader, &last, 1, off_t(size - 1)) == 1, last != UInt8(ascii: "\n") else { return 0 }
        var block = [UInt8](repeating: 0, count: 64 * 1024)
        var end = size
        let floor = max(size - 16 * 1024 * 1024, 0)
        var lineStart = floor
        search: while end > floor {
            let start = max(end - Int64(block.count), floor)
            let count = Int(end - start)
            let n = block.withUnsafeMutableBytes { pread(reader, $0.baseAddress, count, off_t(start)) }
            guard n == count else { break }
            for index in stride(from: count - 1, through: 0, by: -1) where block[index] == UInt8(ascii: "\n") {
                lineStart = start + Int64(index) + 1
                break search
            }
            end = start
        }
        var newline = UInt8(ascii: "\n")
        guard write(descriptor, &newline, 1) == 1 else { return 0 }
        size += 1
        return size - 1 - lineStart
    }

    package enum Change: Equatable {
        case none
        /// Moved, deleted or replaced at the path: reopened.
        case reopened
        /// Truncated in place (for example by `logrotate`'s `copytruncate`).
        case truncated
    }

    /// Notices whether another tool moved, deleted, replaced or truncated the file since the last
    /// batch, and reopens the path when it no longer leads to our file.
    package func checkPath(now: LogTimestamp) throws(SluiceError) -> Change {
        guard descriptor >= 0 else {
            _ = try open(now: now)
            return .reopened
        }
        guard let info = directory.status(of: name) else {
            _ = try open(now: now)
            return .reopened
        }
        if UInt64(info.st_dev) != device || UInt64(info.st_ino) != inode {
            _ = try open(now: now)
            return .reopened
        }
        guard isRegular else { return .none }
        let actual = Int64(info.st_size)
        if actual < size {
            size = actual
            syncedSize = min(syncedSize, actual)
            return .truncated
        }
        size = actual
        return .none
    }

    /// Appends whole lines. On failure the file is cut back to where it was, so it never ends in a
    /// partial line; returns the errno.
    package func append(_ bytes: UnsafeRawBufferPointer) -> Int32? {
        guard descriptor >= 0 else { return EBADF }
        if mayEndTorn {
            guard repairAfterFailure() else { return EIO }
        }
        let (written, error) = FileDescriptorIO.writeAll(descriptor, bytes, kind: isRegular ? .regular : nil)
        guard let error else {
            size = size.saturatingAdd(Int64(written))
            unsynced = true
            return nil
        }
        if written > 0 && isRegular {
            // Cut our partial line off, but only when nothing but it lies past `size`: with another
            // writer appending to the same file, `size` is stale and cutting there would destroy
            // its lines. Then the fragment's line is ended instead.
            if !onlyOursBeyond(size, extra: Int64(written)) || ftruncate(descriptor, off_t(size)) != 0 {
                mayEndTorn = true
            }
        }
        return error
    }

    /// Whether the file is exactly `offset + extra` bytes long: nobody else appended since we knew
    /// its size.
    private func onlyOursBeyond(_ offset: Int64, extra: Int64) -> Bool {
        var info = stat()
        return fstat(descriptor, &info) == 0 && Int64(info.st_size) == offset + extra
    }

    /// After a failed write whose partial data could not be cut: end the fragment with a newline so
    /// the next record starts on a line of its own.
    private func repairAfterFailure() -> Bool {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        var last: UInt8 = 0
        if info.st_size > 0, pread(descriptor, &last, 1, off_t(info.st_size - 1)) == 1, last != UInt8(ascii: "\n") {
            var newline = UInt8(ascii: "\n")
            guard write(descriptor, &newline, 1) == 1 else { return false }
            size = Int64(info.st_size) + 1
        } else {
            size = Int64(info.st_size)
        }
        mayEndTorn = false
        return true
    }

    /// Cuts the file back to `offset` (giving up a batch, or writing it again). Returns whether it
    /// worked; it refuses when another process appended to the file since (cutting would destroy
    /// its lines).
    @discardableResult
    package func truncate(to offset: Int64) -> Bool {
        guard descriptor >= 0, isRegular, offset < size else { return true }
        guard onlyOursBeyond(offset, extra: size - offset) else { return false }
        if ftruncate(descriptor, off_t(offset)) == 0 {
            size = offset
            syncedSize = min(syncedSize, offset)
            return true
        }
        return false
    }

    /// `fdatasync` if anything was written since the last one. Returns the errno.
    ///
    /// After a failure, Linux marks the pages clean and reports the error once: a later call
    /// succeeds although the data never reached the disk ("fsyncgate"). So a failure is not retried
    /// here; the data after ``syncedSize`` must be written again before a sync can vouch for it.
    @discardableResult
    package func sync() -> Int32? {
        guard descriptor >= 0, unsynced else { return nil }
        if let injected = FileFaults.injectedSyncFailure(for: naming.liveName) {
            // What a failed write-back leaves: the unsynced data is gone.
            // (Through a descriptor of its own: pwrite on an O_APPEND one appends on Linux.)
            let overwriter = directory.openFile(name, O_WRONLY)
            if isRegular && size > syncedSize && overwriter >= 0 {
                let zeros = [UInt8](repeating: 0, count: Int(size - syncedSize))
                _ = zeros.withUnsafeBytes { pwrite(overwriter, $0.baseAddress, $0.count, off_t(syncedSize)) }
            }
            if overwriter >= 0 {
                close(overwriter)
            }
            return injected
        }
        if fdatasync(descriptor) != 0 && isRegular {
            return errno
        }
        unsynced = false
        syncedSize = size
        return nil
    }

    package enum RotationOutcome {
        /// Rotated: the archive's name.
        case rotated(archive: String)
        /// Not rotated; the file is unchanged and still open.
        case failed(SluiceError)
        /// The file was renamed but no new one could be opened: the archive's name and the error.
        case rotatedWithoutNewFile(archive: String, SluiceError)
    }

    /// Flushes and renames the file to its archive name, opens a new file at the path and syncs the
    /// directory.
    package func rotate(archiveTime: LogTimestamp, now: LogTimestamp, syncData: Bool) -> RotationOutcome {
        if syncData {
            sync()
        }
        var time = max(
            archiveTime, LogTimestamp(nanosecondsSinceEpoch: lastArchiveTime.nanosecondsSinceEpoch.saturatingAdd(1_000))
        )
        while directory.exists(naming.archiveName(at: time)) || directory.exists(naming.name(at: time, kind: .gzip)) {
            time.nanosecondsSinceEpoch = time.nanosecondsSinceEpoch.saturatingAdd(1_000)
        }
        let archive = naming.archiveName(at: time)
        if let error = directory.rename(name, to: archive) {
            return .failed(
                SluiceError(
                    .writeFailed,
                    "cannot rotate '\(displayPath)' to '\(archive)': \(SluiceError.describe(errno: error))",
                    errno: error))
        }
        lastArchiveTime = time
        let old = descriptor
        descriptor = -1
        do {
            _ = try open(now: now)
        } catch {
            if directory.rename(archive, to: name) == nil {
                descriptor = old
                return .failed(error)
            }
            close(old)
            directory.sync()
            return .rotatedWithoutNewFile(archive: archive, error)
        }
        close(old)
        directory.sync()
        return .rotated(archive: archive)
    }

    /// Closes the descriptor; returns the errno.
    @discardableResult
    package func closeFile() -> Int32? {
        guard descriptor >= 0 else { return nil }
        let error = FileDescriptorIO.closeDescriptor(descriptor)
        descriptor = -1
        return error == 0 ? nil : error
    }
}
