import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain thread for work that blocks (reading pipes, waiting for signals), never on Swift's
/// cooperative pool, with a `join` that waits for it.
final class BlockingThread: Sendable {
    private let handle: LockedValue<pthread_t?>

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread.
    ///
    /// - Throws: `SluiceError` naming the reason when the system cannot create a thread.
    init(name: String, _ body: @escaping @Sendable () -> Void) throws(SluiceError) {
        let box = Unmanaged.passRetained(Body(body))
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { argument in
                guard let argument else { return nil }
                let body = Unmanaged<Body>.fromOpaque(argument).takeRetainedValue()
                body.run()
                return nil
            }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw SluiceError(
                .invalidConfiguration, "cannot start the \(name) thread: \(SluiceError.describe(errno: rc))")
        }
        handle = LockedValue(thread)
    }

    /// Starts `body` on a thread nobody joins: it releases its resources when it finishes.
    ///
    /// - Throws: `SluiceError` naming the reason when the system cannot create a thread.
    static func detached(name: String, _ body: @escaping @Sendable () -> Void) throws(SluiceError) {
        let thread = try BlockingThread(name: name, body)
        thread.handle.withLock { handle in
            if let started = handle {
                pthread_detach(started)
            }
            handle = nil
        }
    }

    /// Waits until the thread has finished; later calls return at once.
    func join() {
        guard
            let thread = handle.withLock({ handle in
                defer { handle = nil }
                return handle
            })
        else { return }
        pthread_join(thread, nil)
    }
}
