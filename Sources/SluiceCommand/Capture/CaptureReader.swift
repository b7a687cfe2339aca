import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the captured streams on a thread of its own until they end, cutting lines and writing
/// them as records; writes partial lines when a stream stays quiet.
///
/// Other threads steer it through ``CaptureReader/Control``: after the program exited, the reader
/// stops at end of file, or once the pipes stayed quiet for a grace period (a process the program
/// started may hold them open); on ``Control/stop()`` it takes what is already in the pipes and
/// stops.
enum CaptureReader {
    /// How long the pipes may stay quiet after the program exited before the reader gives up on
    /// an end of file that a process the program left behind would hold back.
    static let exitGrace = Duration.seconds(1)
    static let bufferSize = 128 * 1024

    /// How other threads steer a running reader: a state and a pipe that wakes its `poll`.
    final class Control: Sendable {
        enum Mode: Equatable {
            case reading, programExited, stop
        }

        private let mode = LockedValue(Mode.reading)
        private let wakeRead: Int32
        private let wakeWrite: Int32

        init() throws(SluiceError) {
            var descriptors: [Int32] = [-1, -1]
            guard pipe(&descriptors) == 0 else {
                throw SluiceError(.invalidConfiguration, "cannot create a pipe: \(SluiceError.describe(errno: errno))")
            }
            for descriptor in descriptors {
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
                _ = fcntl(descriptor, F_SETFL, O_NONBLOCK)
            }
            wakeRead = descriptors[0]
            wakeWrite = descriptors[1]
        }

        deinit {
            close(wakeRead)
            close(wakeWrite)
        }

        var current: Mode { mode.withLock { $0 } }
        var wakeDescriptor: Int32 { wakeRead }

        /// The program exited: read to the end, or until the pipes stay quiet for ``exitGrace``.
        func programExited() { set(.programExited) }

        /// Take what is already in the pipes, then stop.
        func stop() { set(.stop) }

        private func set(_ new: Mode) {
            mode.withLock { mode in
                if mode != .stop {
                    mode = new
                }
            }
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }

        func drainWakeUps() {
            var bytes = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &bytes, bytes.count) > 0 {}
        }
    }

    /// Reads until every stream has ended (or the control says to stop); returns what each
    /// delivered. Closes the streams' descriptors.
    static func run(_ streams: inout [CaptureStream], control: Control) -> [StreamCounters] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var lastActivity = ContinuousClock.now
        while streams.contains(where: \.isOpen) {
            let mode = control.current
            if mode == .stop {
                takeWhatIsLeft(&streams, buffer: buffer)
                break
            }
            var deadline = streams.compactMap(\.idleDeadline).min()
            if mode == .programExited {
                let grace = lastActivity.advanced(by: exitGrace)
                deadline = min(deadline ?? grace, grace)
            }
            var requests = streams.filter(\.isOpen).map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            requests.append(pollfd(fd: control.wakeDescriptor, events: Int16(POLLIN), revents: 0))
            let ready = poll(&requests, nfds_t(requests.count), timeoutMilliseconds(until: deadline))
            let now = ContinuousClock.now
            if ready < 0 && errno != EINTR {
                // Cannot happen with valid descriptors; end the streams rather than spin.
                for index in streams.indices where streams[index].isOpen {
                    finish(&streams[index])
                }
                break
            }
            if requests.last.map({ $0.revents != 0 }) == true {
                control.drainWakeUps()
            }
            var readSomething = false
            for request in requests.dropLast() where request.revents != 0 {
                guard let index = streams.firstIndex(where: { $0.isOpen && $0.descriptor == request.fd }) else {
                    continue
                }
                if readOnce(&streams[index], buffer: buffer, now: now) {
                    readSomething = true
                }
            }
            if readSomething {
                lastActivity = now
            }
            for index in streams.indices where streams[index].isOpen {
                streams[index].idleCheck(now: now)
            }
            if control.current == .programExited && !readSomething && lastActivity.duration(to: now) >= exitGrace {
                // A process the program left behind holds the pipes: stop waiting for their end.
                for index in streams.indices where streams[index].isOpen {
                    finish(&streams[index])
                }
            }
        }
        return streams.map(\.counters)
    }

    /// One `read(2)`; returns whether it delivered bytes. End of file (or an error) ends the stream.
    private static func readOnce(
        _ stream: inout CaptureStream, buffer: UnsafeMutableRawBufferPointer, now: ContinuousClock.Instant
    ) -> Bool {
        let n = read(stream.descriptor, buffer.baseAddress, buffer.count)
        if n > 0 {
            stream.received(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), now: now, timestamp: .now())
            return true
        }
        if n < 0 && (errno == EINTR || errno == EAGAIN) {
            return false
        }
        finish(&stream)
        return false
    }

    /// Reads what the pipes hold now without waiting (at most 2 MiB each, so a regular file as input
    /// does not keep a stop waiting), then ends every stream. `poll` rather than `O_NONBLOCK`, which
    /// would change a terminal shared with the shell.
    private static func takeWhatIsLeft(_ streams: inout [CaptureStream], buffer: UnsafeMutableRawBufferPointer) {
        for index in streams.indices where streams[index].isOpen {
            var request = pollfd(fd: streams[index].descriptor, events: Int16(POLLIN), revents: 0)
            var reads = 0
            while streams[index].isOpen && reads < (2 << 20) / bufferSize && poll(&request, 1, 0) > 0 {
                reads += 1
                if !readOnce(&streams[index], buffer: buffer, now: .now) {
                    break
                }
            }
            if streams[index].isOpen {
                finish(&streams[index])
            }
        }
    }

    private static func finish(_ stream: inout CaptureStream) {
        stream.finish()
        close(stream.descriptor)
    }

    private static func timeoutMilliseconds(until deadline: ContinuousClock.Instant?) -> Int32 {
        guard let deadline else { return -1 }
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return 0 }
        let (seconds, attoseconds) = remaining.components
        // Round up, so the reader does not wake just before the deadline and spin.
        let milliseconds = seconds * 1_000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }
}
