#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Disk faults injected by tests and the torture run, which a real disk produces rarely and on its
/// own schedule. Nothing is injected unless someone asks; a production process never does.
package enum FileFaults {
    private static let syncFailures = LockedValue([String: (count: Int, errno: Int32)]())

    /// The next `count` `fdatasync` calls on files named `name` fail with `errno` the way Linux
    /// fails them after a write-back error: the unsynced data is gone (zeros where it was, as a disk
    /// that never received it reads) and the next call succeeds although nothing was written again.
    package static func failSyncs(_ count: Int, named name: String, errno: Int32 = EIO) {
        syncFailures.withLock { $0[name] = (count, errno) }
    }

    /// The errno to fail a sync of `name` with, if one is injected (and uses it up).
    static func injectedSyncFailure(for name: String) -> Int32? {
        syncFailures.withLock { failures in
            guard let (count, errno) = failures[name], count > 0 else { return nil }
            failures[name] = count > 1 ? (count - 1, errno) : nil
            return errno
        }
    }
}
