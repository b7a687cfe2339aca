import CZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// gzip compression of one file into another through zlib, on the calling (background) thread.
package enum Gzip {
    /// Compresses everything readable from `input` into `output` in the gzip format (RFC 1952).
    /// Returns nil on success, or a description of the failure.
    package static func compress(from input: Int32, to output: Int32, level: Int32) -> (errno: Int32, what: String)? {
        var stream = z_stream()
        // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of the zlib wrapper.
        let status = deflateInit2_(
            &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { return (ENOMEM, "zlib deflateInit2 failed (\(status))") }
        defer { deflateEnd(&stream) }

        let blockSize = 256 * 1024
        let inBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: blockSize)
        let outBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: blockSize)
        defer {
            inBuffer.deallocate()
            outBuffer.deallocate()
        }
        var finished = false
        while !finished {
            let n = read(input, inBuffer, blockSize)
            if n < 0 {
                if errno == EINTR { continue }
                return (errno, "reading the archive failed")
            }
            stream.next_in = inBuffer
            stream.avail_in = UInt32(n)
            let flush = n == 0 ? Z_FINISH : Z_NO_FLUSH
            repeat {
                stream.next_out = outBuffer
                stream.avail_out = UInt32(blockSize)
                let result = deflate(&stream, flush)
                guard result == Z_OK || result == Z_STREAM_END || result == Z_BUF_ERROR else {
                    return (EIO, "zlib deflate failed (\(result))")
                }
                let produced = blockSize - Int(stream.avail_out)
                if produced > 0 {
                    let (_, error) = FileDescriptorIO.writeAll(
                        output, UnsafeRawBufferPointer(start: outBuffer, count: produced), kind: .regular)
                    if let error {
                        return (error, "writing the compressed file failed")
                    }
                }
                if result == Z_STREAM_END {
                    finished = true
                }
            } while stream.avail_out == 0
        }
        return nil
    }
}
