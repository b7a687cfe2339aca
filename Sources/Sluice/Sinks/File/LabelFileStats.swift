/// Counters of one label's file in a ``LabelFileSink``: one app's log, as a process supervisor
/// reports it.
///
/// ```swift
/// for app in perApp.labelStats {
///     print("\(app.label): \(app.linesWritten) lines, \(app.bytesWritten) bytes in \(app.fileName)")
/// }
/// ```
///
/// The sink's ``LabelFileSink/stats`` hold the totals of all labels together, including what the
/// archiver did (compressions, deletions), which is not split by label.
public struct LabelFileStats: Sendable, Hashable, CustomStringConvertible {
    /// The label, as logged.
    public var label: String
    /// The file its records go to, inside the sink's directory.
    public var fileName: String
    /// Lines (records) written to the label's file.
    public var linesWritten: Int = 0
    /// Bytes written to the label's file.
    public var bytesWritten: Int = 0
    /// Rotations of the label's file.
    public var rotations: Int = 0
    /// The label's records the sink gave up on (counted as dropped, reason `sinkFailure`).
    public var recordsGivenUp: Int = 0
    /// When a batch of the label's records was last written, by the sink's wall clock.
    public var lastWrite: LogTimestamp?

    /// Creates empty counters for a label.
    ///
    /// - Parameters:
    ///   - label: The label.
    ///   - fileName: Its file's name.
    public init(label: String, fileName: String) {
        self.label = label
        self.fileName = fileName
    }

    public var description: String {
        "\(label): lines=\(linesWritten) bytes=\(bytesWritten) rotations=\(rotations) givenUp=\(recordsGivenUp) file=\(fileName)"
    }
}
