#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a byte stream into lines: on `\n`, at a length limit, and after the stream stayed quiet with
/// half a line (a prompt, a progress bar), which is then written as a partial line.
///
/// A plain state machine with time as an input. Whole lines inside a chunk are lent to the callback
/// where they lie, without a copy; only a line split across reads is gathered in a buffer of at most
/// `maxLineBytes`. A line longer than the limit keeps its first `maxLineBytes` (cut at a UTF-8
/// character boundary) and the rest is counted, not kept, so memory stays bounded whatever arrives.
struct LineSplitter<C: Clock> {
    let maxLineBytes: Int
    let idle: C.Duration
    /// The start of the current line when it spans reads (at most `maxLineBytes`).
    private var pending: [UInt8] = []
    /// Bytes of the current line seen so far, kept or not.
    private var pendingLength = 0
    /// When the current line last grew.
    private var lastGrowth: C.Instant?

    init(maxLineBytes: Int, idle: C.Duration) {
        precondition(maxLineBytes > 0, "internal inconsistency: a line limit must be positive")
        self.maxLineBytes = maxLineBytes
        self.idle = idle
        pending.reserveCapacity(min(maxLineBytes, 4096))
    }

    /// When the current partial line is due to be written if nothing more arrives; `nil` when no
    /// line is under way.
    var idleDeadline: C.Instant? {
        pendingLength > 0 ? lastGrowth?.advanced(by: idle) : nil
    }

    /// Whether half a line is waiting for its end.
    var hasPendingLine: Bool { pendingLength > 0 }

    /// Splits `chunk`, calling `emit` for every line it completes, in order.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, now: C.Instant, emit: (CapturedLine) -> Void) {
        guard let base = chunk.baseAddress, !chunk.isEmpty else { return }
        var start = 0
        let end = chunk.count
        while start < end {
            guard let newline = memchr(base + start, Int32(UInt8(ascii: "\n")), end - start) else {
                append(UnsafeRawBufferPointer(start: base + start, count: end - start))
                lastGrowth = now
                return
            }
            let lineEnd = UnsafeRawPointer(newline) - base
            let segment = UnsafeRawBufferPointer(start: base + start, count: lineEnd - start)
            if pendingLength == 0 {
                emitWhole(segment, emit: emit)
            } else {
                append(segment)
                emitPending(isPartial: false, complete: true, emit: emit)
            }
            start = lineEnd + 1
        }
    }

    /// Writes the pending partial line if the stream has been quiet since `idleDeadline`.
    mutating func idleCheck(now: C.Instant, emit: (CapturedLine) -> Void) {
        guard let deadline = idleDeadline, deadline <= now else { return }
        emitPending(isPartial: true, complete: false, emit: emit)
    }

    /// The stream ended: what is left is its last line, complete without a `\n`.
    mutating func finish(emit: (CapturedLine) -> Void) {
        guard pendingLength > 0 else { return }
        emitPending(isPartial: false, complete: true, emit: emit)
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let room = maxLineBytes - pending.count
        if room > 0 {
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes.prefix(room)))
        }
        pendingLength += bytes.count
    }

    private func emitWhole(_ segment: UnsafeRawBufferPointer, emit: (CapturedLine) -> Void) {
        if segment.count <= maxLineBytes {
            let line = Self.droppingCarriageReturn(segment)
            emit(CapturedLine(bytes: line, originalLength: line.count, isPartial: false))
        } else {
            let kept = Self.characterBoundary(UnsafeRawBufferPointer(rebasing: segment.prefix(maxLineBytes)))
            emit(CapturedLine(bytes: kept, originalLength: segment.count, isPartial: false))
        }
    }

    private mutating func emitPending(isPartial: Bool, complete: Bool, emit: (CapturedLine) -> Void) {
        let length = pendingLength
        pending.withUnsafeBytes { buffer in
            if length <= maxLineBytes {
                let line = complete ? Self.droppingCarriageReturn(buffer) : buffer
                emit(CapturedLine(bytes: line, originalLength: line.count, isPartial: isPartial))
            } else {
                emit(CapturedLine(bytes: Self.characterBoundary(buffer), originalLength: length, isPartial: isPartial))
            }
        }
        pending.removeAll(keepingCapacity: true)
        pendingLength = 0
        lastGrowth = nil
    }

    private static func droppingCarriageReturn(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let last = line.last, last == UInt8(ascii: "\r") else { return line }
        return UnsafeRawBufferPointer(rebasing: line.dropLast())
    }

    /// `bytes` without a UTF-8 sequence the cut left incomplete at its end.
    static func characterBoundary(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var lead = bytes.count - 1
        // A sequence is at most 4 bytes: look back at most 3 continuation bytes for its lead byte.
        while lead >= 0 && lead >= bytes.count - 4 && bytes[lead] & 0xC0 == 0x80 {
            lead -= 1
        }
        guard lead >= 0, bytes[lead] >= 0xC0 else { return bytes }
        let needed = bytes[lead] >= 0xF0 ? 4 : bytes[lead] >= 0xE0 ? 3 : 2
        return bytes.count - lead < needed ? UnsafeRawBufferPointer(rebasing: bytes.prefix(lead)) : bytes
    }
}
