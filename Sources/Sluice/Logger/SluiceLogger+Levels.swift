extension SluiceLogger {
    /// Logs very fine-grained detail.
    ///
    /// ```swift
    /// log.trace("cache refreshed", metadata: ["entries": 1_024])
    /// ```
    ///
    /// - Parameters:
    ///   - message: The message; evaluated only if `.trace` is enabled.
    ///   - metadata: Metadata for this record; evaluated only if `.trace` is enabled.
    ///   - file: The source file; leave the default.
    ///   - function: The function; leave the default.
    ///   - line: The line; leave the default.
    @inlinable
    public func trace(
        _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> LogMetadata = LogMetadata(),
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        if LogLevel.trace >= threshold && (!decidesAtTheCall || admits(.trace, file, function, line)) {
            emit(.trace, message(), metadata(), file, function, line)
        }
    }

    /// Logs information useful while debugging.
    ///
    /// ```swift
    /// log.debug("cache refreshed", metadata: ["entries": 1_024])
    /// ```
    ///
    /// - Parameters:
    ///   - message: The message; evaluated only if `.debug` is enabled.
    ///   - metadata: Metadata for this record; evaluated only if `.debug` is enabled.
    ///   - file: The source file; leave the default.
    ///   - function: The function; leave the default.
    ///   - line: The line; leave the default.
    @inlinable
    public func debug(
        _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> LogMetadata = LogMetadata(),
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        if LogLevel.debug >= threshold && (!decidesAtTheCall || admits(.debug, file, function, line)) {
            emit(.debug, message(), metadata(), file, function, line)
        }
    }

    /// Logs normal operation worth recording.
    ///
    /// ```swift
    /// log.info("cache refreshed", metadata: ["entries": 1_024])
    /// ```
    ///
    /// - Parameters:
    ///   - message: The message; evaluated only if `.info` is enabled.
    ///   - metadata: Metadata for this record; evaluated only if `.info` is enabled.
    ///   - file: The source file; leave the default.
    ///   - function: The function; leave the default.
    ///   - line: The line; leave the default.
    @inlinable
    public func info(
        _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> LogMetadata = LogMetadata(),
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        if LogLevel.info >= threshold && (!decidesAtTheCall || admits(.info, file, function, line)) {
            emit(.info, message(), metadata(), file, function, line)
        }
    }

    /// Logs a normal but significant condition.
    ///
    /// ```swift
    /// log.notice("cache refreshed", metadata: ["entries": 1_024])
    /// ```
    ///
    /// - Parameters:
    ///   - message: The message; evaluated only if `.notice` is enabled.
    ///   - metadata: Metadata for this record; evaluated only if `.notice` is enabled.
    ///   - file: The source file; leave the default.
    ///   - function: The function; leave the default.
    ///   - line: The line; leave the default.
    @inlinable
    public func notice(
        _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> LogMetadata = LogMetadata(),
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        if LogLevel.notice >= threshold && (!decidesAtTheCall || admits(.notice, file, function, line)) {
            emit(.notice, message(), metadata(), file, function, line)
        }
    }

    /// Logs something unexpected that was handled.
    ///
    /// ```swift
    /// log.warning("cache refreshed", metadata: ["entries": 1_024])
    /// ```
    ///
    /// - Parameters:
    ///   - message: The message; evaluated only if `.warning` is enabled.
    ///   - metadata: Metadata for this record; evaluated only if `.warning` is enabled.
    ///   - file: The source file; leave the default.
    ///   - function: The function; leave the default.
    ///   - line: The line; leave the default.
    @inlinable
    public func warning(
        _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> LogMetadata = LogMetadata(),
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        if LogLevel.warning >= threshold && (!decidesAtTheCall || admits(.warning, file, function, line)) {
            emit(.warning, message(), metadata(), file, function, line)
        }
    }

    /// Logs the failure of one operation.
    ///
    /// ```swift
    /// log.error("cache refreshed", metadata: ["entries": 1_024])
    /// ```
    ///
    /// - Parameters:
    ///   - message: The message; evaluated only if `.error` is enabled.
    ///   - metadata: Metadata for this record; evaluated only if `.error` is enabled.
    ///   - file: The source file; leave the default.
    ///   - function: The function; leave the default.
    ///   - line: The line; leave the default.
    @inlinable
    public func error(
        _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> LogMetadata = LogMetadata(),
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        if LogLevel.error >= threshold && (!decidesAtTheCall || admits(.error, file, function, line)) {
            emit(.error, message(), metadata(), file, function, line)
        }
    }

    /// Logs a failure that needs attention now.
    ///
    /// ```swift
    /// log.critical("cache refreshed", metadata: ["entries": 1_024])
    /// ```
    ///
    /// - Parameters:
    ///   - message: The message; evaluated only if `.critical` is enabled.
    ///   - metadata: Metadata for this record; evaluated only if `.critical` is enabled.
    ///   - file: The source file; leave the default.
    ///   - function: The function; leave the default.
    ///   - line: The line; leave the default.
    @inlinable
    public func critical(
        _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> LogMetadata = LogMetadata(),
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        if LogLevel.critical >= threshold && (!decidesAtTheCall || admits(.critical, file, function, line)) {
            emit(.critical, message(), metadata(), file, function, line)
        }
    }
}
