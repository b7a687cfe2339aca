import CSQLite
import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed SQLite call: the (extended) result code, SQLite's message and the operating system's
/// errno behind it, with what a person should do about it.
package struct SQLiteFailure: Error, Sendable, CustomStringConvertible {
    /// The extended result code (`SQLITE_IOERR_WRITE`, …); the primary code is its low byte.
    package var code: Int32
    package var message: String
    package var systemErrno: Int32
    /// The statement or step that failed.
    package var operation: String

    package init(code: Int32, message: String, systemErrno: Int32, operation: String) {
        self.code = code
        self.message = message
        self.systemErrno = systemErrno
        self.operation = operation
    }

    package var primaryCode: Int32 { code & 0xFF }

    /// Whether trying the same batch again soon may succeed: another connection holds the lock,
    /// the disk is full, an I/O error, memory. Read-only, corrupt and foreign files need a person;
    /// the circuit breaker's probes find out when they are fixed.
    package var isTransient: Bool {
        switch primaryCode {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_PROTOCOL, SQLITE_CANTOPEN:
            true
        default:
            false
        }
    }

    /// `SQLITE_BUSY`, `SQLITE_READONLY`, …
    package var codeName: String {
        switch primaryCode {
        case SQLITE_ERROR: "SQLITE_ERROR"
        case SQLITE_PERM: "SQLITE_PERM"
        case SQLITE_BUSY: "SQLITE_BUSY"
        case SQLITE_LOCKED: "SQLITE_LOCKED"
        case SQLITE_NOMEM: "SQLITE_NOMEM"
        case SQLITE_READONLY: "SQLITE_READONLY"
        case SQLITE_IOERR: "SQLITE_IOERR"
        case SQLITE_CORRUPT: "SQLITE_CORRUPT"
        case SQLITE_FULL: "SQLITE_FULL"
        case SQLITE_CANTOPEN: "SQLITE_CANTOPEN"
        case SQLITE_PROTOCOL: "SQLITE_PROTOCOL"
        case SQLITE_TOOBIG: "SQLITE_TOOBIG"
        case SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT"
        case SQLITE_MISUSE: "SQLITE_MISUSE"
        case SQLITE_AUTH: "SQLITE_AUTH"
        case SQLITE_NOTADB: "SQLITE_NOTADB"
        default: "SQLite error \(code)"
        }
    }

    /// What to check or do, for the message.
    private var hint: String {
        switch primaryCode {
        case SQLITE_BUSY, SQLITE_LOCKED:
            "another connection held the database's write lock for longer than the busy timeout; look for a long transaction in another process, or raise busyTimeout"
        case SQLITE_READONLY:
            "the database cannot be written: the file, its directory (which must also hold the -wal and -shm files) or its file system is read-only"
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            "the file is not a SQLite database or it is damaged: move it aside (`sqlite3 FILE .recover` may save its rows) and let the sink create a new one"
        case SQLITE_FULL:
            "the disk (or the file system's quota) is full; free space, or keep less with retention"
        case SQLITE_IOERR:
            "the operating system reported an I/O error; check the disk"
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_AUTH:
            "check that the path is not a symbolic link and that the directory exists and may be written by uid \(getuid())"
        case SQLITE_NOMEM:
            "SQLite ran out of memory"
        case SQLITE_TOOBIG:
            "a value is larger than SQLite accepts; lower maxMessageBytes"
        default:
            "see the SQLite message"
        }
    }

    /// The whole explanation: what failed, SQLite's words, the OS error and the hint.
    package func explanation(database path: String) -> String {
        var text = "SQLite database '\(path)': \(message) (\(codeName)"
        if systemErrno != 0 {
            text += ", \(SluiceError.describe(errno: systemErrno))"
        }
        text += "); \(hint)"
        return text
    }

    package var description: String { "\(codeName): \(message) [\(operation)]" }
}
