/// One line cut out of a captured byte stream, lent to the caller of ``LineSplitter``.
struct CapturedLine {
    /// The line's bytes without `\n` (and without a `\r` before it), at most the splitter's limit.
    /// Valid only while the callback that received the line runs.
    var bytes: UnsafeRawBufferPointer
    /// How long the line was before it was cut; equal to `bytes.count` unless ``isTruncated``.
    var originalLength: Int
    /// The line had no `\n` yet when the stream went quiet, so it was written as it stood; what
    /// follows starts a new line.
    var isPartial: Bool

    /// The line was longer than the limit, and `bytes` holds only its beginning.
    var isTruncated: Bool { originalLength > bytes.count }
}
