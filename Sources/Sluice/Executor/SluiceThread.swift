import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts Sluice's own threads.
///
/// When the system refuses a new thread (`pthread_create` fails with `EAGAIN` when a process or
/// container hits its thread limit), the work runs on a thread of Dispatch's global pool instead
/// of aborting the process: slower to start, possibly shared, but logging keeps working.
package enum SluiceThread {
    /// Threads that had to fall back to a Dispatch worker since the process started.
    package static var fallbacks: Int { state.withLock { $0.fallbacks } }

    private struct State {
        var fallbacks = 0
        var injectedFailures: [String: Int] = [:]
    }

    private static let state = LockedValue(State())

    /// For tests: the next `count` creations of a thread named `name` fail as if `pthread_create`
    /// returned `EAGAIN`.
    package static func failNextCreations(_ count: Int, named name: String) {
        state.withLock { $0.injectedFailures[name] = count }
    }

    /// Runs `body` on a new detached thread named `name` (as `top -H` shows it), or on a Dispatch
    /// worker thread when no thread can be created.
    package static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let name: String
            let body: @Sendable () -> Void
            init(_ name: String, _ body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        let injected = state.withLock { state -> Bool in
            guard let count = state.injectedFailures[name], count > 0 else { return false }
            state.injectedFailures[name] = count - 1
            return true
        }
        let box = Box(name, body)
        var rc = EAGAIN
        if !injected {
            let context = Unmanaged.passRetained(box).toOpaque()
            var thread = pthread_t()
            rc = pthread_create(
                &thread, nil,
                { context in
                    let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
                    #if os(Linux)
                    // Linux allows 15 bytes.
                    _ = setThreadName(pthread_self(), String(decoding: box.name.utf8.prefix(15), as: UTF8.self))
                    #endif
                    PipelineThread.enterUnattached()
                    box.body()
                    return nil
                }, context)
            if rc == 0 {
                pthread_detach(thread)
                return
            }
            Unmanaged<Box>.fromOpaque(context).release()
        }
        state.withLock { $0.fallbacks += 1 }
        DispatchQueue.global().async {
            PipelineThread.enterUnattached()
            box.body()
            PipelineThread.leave()
        }
    }
}

#if os(Linux)
// glibc's pthread_setname_np is a GNU extension the Glibc module does not import.
@_silgen_name("pthread_setname_np")
private func setThreadName(_ thread: pthread_t, _ name: UnsafePointer<CChar>) -> Int32
#endif
