/// Which records one sink takes beyond its level: labels to include or exclude, and a test on the
/// metadata. Attach it with ``LogSink/filtered(_:)``.
///
/// Labels match with their children, as per-label levels do: `"api"` covers `"api"` and
/// `"api.db"`, not `"apix"`. A record passes when its label is covered by ``includeLabels`` (or that
/// list is empty), is not covered by ``excludeLabels``, and ``metadata`` (if set) returns `true` for
/// its merged metadata.
///
/// ```swift
/// let audit = try FileSink(path: "logs/audit.log").filtered(.metadata { $0["audit"] == true })
/// let app = try FileSink(path: "logs/app.log").filtered(.labels(exclude: ["health", "metrics"]))
/// ```
///
/// A record every sink's filter turns away is counted in ``FilterCounts/sinkFilter``; each sink
/// counts what its own filter turned away in ``SinkStats/filtered``.
///
/// - Important: Filters run on the pipeline's collector thread. A label test reads the record in
///   place; a metadata test decodes the record's metadata for it (a few allocations per record),
///   and must be quick and must not block.
public struct SinkFilter: Sendable {
    /// Labels (with their children) the sink takes; empty takes every label.
    public var includeLabels: [String]
    /// Labels (with their children) the sink never takes.
    public var excludeLabels: [String]
    /// A test on a record's merged metadata; `nil` passes everything.
    public var metadata: (@Sendable (LogMetadata) -> Bool)?

    /// Creates a filter.
    ///
    /// - Parameters:
    ///   - includeLabels: Labels the sink takes, with their children; default every label.
    ///   - excludeLabels: Labels the sink never takes, with their children; default none.
    ///   - metadata: A test on the merged metadata; default none.
    public init(
        includeLabels: [String] = [],
        excludeLabels: [String] = [],
        metadata: (@Sendable (LogMetadata) -> Bool)? = nil
    ) {
        self.includeLabels = includeLabels
        self.excludeLabels = excludeLabels
        self.metadata = metadata
    }

    /// A filter on labels only.
    ///
    /// - Parameters:
    ///   - include: Labels the sink takes, with their children; default every label.
    ///   - exclude: Labels the sink never takes, with their children.
    /// - Returns: The filter.
    public static func labels(include: [String] = [], exclude: [String] = []) -> SinkFilter {
        SinkFilter(includeLabels: include, excludeLabels: exclude)
    }

    /// A filter on the merged metadata only.
    ///
    /// - Parameter test: Returns whether the sink takes a record with this metadata.
    /// - Returns: The filter.
    public static func metadata(_ test: @escaping @Sendable (LogMetadata) -> Bool) -> SinkFilter {
        SinkFilter(metadata: test)
    }

    /// Both filters: a record passes when it passes each.
    package func and(_ other: SinkFilter) -> SinkFilter {
        var combined = SinkFilter()
        combined.includeLabels = includeLabels
        combined.excludeLabels = excludeLabels + other.excludeLabels
        combined.metadata = metadata
        switch (metadata, other.metadata) {
        case (let first?, let second?): combined.metadata = { first($0) && second($0) }
        case (nil, let second?): combined.metadata = second
        default: break
        }
        // Two include lists: a label must be covered by both.
        combined.nestedIncludes = nestedIncludes
        if !other.includeLabels.isEmpty {
            if includeLabels.isEmpty {
                combined.includeLabels = other.includeLabels
            } else {
                combined.nestedIncludes.append(other.includeLabels)
            }
        }
        combined.nestedIncludes += other.nestedIncludes
        return combined
    }

    /// Further include lists from combined filters, each of which must cover the label.
    package var nestedIncludes: [[String]] = []
}

/// A sink with a ``SinkFilter``: what ``LogSink/filtered(_:)`` returns. The pipeline applies the
/// filter before handing records to the sink and otherwise treats it as the sink itself (its name,
/// level, thread and fast paths). Used outside a pipeline, it filters by labels and metadata itself.
public struct FilteredSink: LogSink {
    /// The sink records go to.
    public let base: any LogSink
    /// The filter.
    public let filter: SinkFilter

    /// Wraps `base` with `filter`.
    ///
    /// - Parameters:
    ///   - base: The sink.
    ///   - filter: The filter.
    public init(_ base: any LogSink, filter: SinkFilter) {
        if let inner = base as? FilteredSink {
            self.base = inner.base
            self.filter = inner.filter.and(filter)
        } else {
            self.base = base
            self.filter = filter
        }
    }

    public var name: String { base.name }
    public var level: LogLevel { base.level }
    public var bytesWritten: Int? { base.bytesWritten }

    public func write(_ records: [LogRecord]) async throws {
        let matcher = SinkFilterMatcher(filter)
        try await base.write(records.filter { matcher.passes($0) })
    }

    public func flush() async throws {
        try await base.flush()
    }

    public func reopen() async throws {
        try await base.reopen()
    }

    public func close() async throws {
        try await base.close()
    }
}

extension LogSink {
    /// This sink, taking only the records `filter` passes (on top of its level).
    ///
    /// ```swift
    /// let errors = try FileSink(path: "logs/db-errors.log", level: .error).filtered(.labels(include: ["db"]))
    /// ```
    ///
    /// - Parameter filter: Labels to include or exclude and a metadata test.
    /// - Returns: The filtered sink.
    public func filtered(_ filter: SinkFilter) -> FilteredSink {
        FilteredSink(self, filter: filter)
    }
}

/// A ``SinkFilter`` prepared for testing encoded records on the collector thread.
package struct SinkFilterMatcher {
    private let include: [[UInt8]]
    private let nestedIncludes: [[[UInt8]]]
    private let exclude: [[UInt8]]
    package let metadata: (@Sendable (LogMetadata) -> Bool)?

    package init(_ filter: SinkFilter) {
        include = filter.includeLabels.map { Array($0.utf8) }
        nestedIncludes = filter.nestedIncludes.map { $0.map { Array($0.utf8) } }
        exclude = filter.excludeLabels.map { Array($0.utf8) }
        metadata = filter.metadata
    }

    /// Whether a record with this label passes the label lists.
    package func passes(label: UnsafeBufferPointer<UInt8>) -> Bool {
        if !include.isEmpty && !include.contains(where: { Self.covers($0, label) }) {
            return false
        }
        for list in nestedIncludes where !list.contains(where: { Self.covers($0, label) }) {
            return false
        }
        return !exclude.contains { Self.covers($0, label) }
    }

    /// Whether `record` passes (for a filtered sink used outside a pipeline).
    package func passes(_ record: LogRecord) -> Bool {
        var label = Array(record.label.utf8)
        let count = label.count
        label.append(contentsOf: repeatElement(0, count: RecordLayout.readSlack))
        let labelPasses = label.withUnsafeBufferPointer { passes(label: UnsafeBufferPointer(rebasing: $0[0..<count])) }
        return labelPasses && (metadata?(record.metadata) ?? true)
    }

    /// Whether `prefix` covers `label`: equal, or a prefix followed by a dot.
    private static func covers(_ prefix: [UInt8], _ label: UnsafeBufferPointer<UInt8>) -> Bool {
        guard label.count >= prefix.count else { return false }
        for index in prefix.indices where label[index] != prefix[index] {
            return false
        }
        return label.count == prefix.count || prefix.isEmpty || label[prefix.count] == UInt8(ascii: ".")
    }
}
