/// A sink with trouble of its own to report that is not a failed call: a file that could not be
/// rotated, an archive that could not be compressed. The pipeline connects it to its
/// ``InternalErrorHandler`` when it starts the sink.
package protocol ProblemReportingSink: LogSink {
    /// Sends the sink's problems to `report` from now on.
    func reportProblems(to report: @escaping @Sendable (InternalError.Kind, String) -> Void)
}
