import Sluice

/// OTLP/HTTP logs in the protobuf JSON encoding (`POST /v1/logs`, `application/json`), what the
/// OpenTelemetry Collector's `otlphttp` receiver, Loki 3 (`/otlp/v1/logs`) and other OTLP endpoints
/// accept.
///
/// ```swift
/// let sink = try HTTPSink(
///     url: "http://127.0.0.1:4318/v1/logs",
///     encoding: OTLPLogsEncoding(serviceName: "checkout", resourceAttributes: ["deployment.environment": "prod"])
/// )
/// ```
///
/// One `resourceLogs` entry carries `service.name` and the resource attributes; records are grouped
/// into one `scopeLogs` entry per logger label (the instrumentation scope name). Each log record
/// has `timeUnixNano` and `observedTimeUnixNano` (the log call's time), `severityNumber` and
/// `severityText` (trace → 1 TRACE, debug → 5 DEBUG, info → 9 INFO, notice → 10 NOTICE,
/// warning → 13 WARNING, error → 17 ERROR, critical → 21 CRITICAL), `body` (the message) and
/// `attributes` (the metadata, with types kept: strings, 64-bit integers, doubles, booleans, arrays
/// and key/value lists; a key equal to an attribute the encoding adds itself, such as
/// `sluice.sequence`, gets a leading underscore).
public struct OTLPLogsEncoding: HTTPBodyEncoding {
    /// The resource's `service.name`.
    public var serviceName: String
    /// More resource attributes, such as `deployment.environment` or `host.name`.
    public var resourceAttributes: LogMetadata
    /// Whether to add `code.filepath`, `code.function` and `code.lineno` attributes.
    public var includeSource: Bool
    /// Whether to add the record's sequence number as the `sluice.sequence` attribute.
    public var includeSequence: Bool
    /// Messages and string values longer than this many UTF-8 bytes are cut with a marker.
    public var maxMessageBytes: Int

    /// Creates an OTLP encoding.
    ///
    /// - Parameters:
    ///   - serviceName: The resource's `service.name`.
    ///   - resourceAttributes: More resource attributes; default none.
    ///   - includeSource: Whether to add the source location; default `false`.
    ///   - includeSequence: Whether to add `sluice.sequence`; default `false`.
    ///   - maxMessageBytes: Truncation limit for strings; default 64 KiB.
    public init(
        serviceName: String,
        resourceAttributes: LogMetadata = [:],
        includeSource: Bool = false,
        includeSequence: Bool = false,
        maxMessageBytes: Int = 64 * 1024
    ) {
        self.serviceName = serviceName
        self.resourceAttributes = resourceAttributes
        self.includeSource = includeSource
        self.includeSequence = includeSequence
        self.maxMessageBytes = maxMessageBytes
    }

    public var contentType: String { "application/json" }

    /// The OTLP severity number for a level.
    public static func severityNumber(_ level: LogLevel) -> Int {
        switch level {
        case .trace: 1
        case .debug: 5
        case .info: 9
        case .notice: 10
        case .warning: 13
        case .error: 17
        case .critical: 21
        }
    }

    public func encode(_ records: ArraySlice<LogRecord>, into output: inout LogOutput) {
        // Group by label, in order of first appearance.
        var labels: [String] = []
        var groups: [String: [Int]] = [:]
        for index in records.indices {
            let label = records[index].label
            if groups[label] == nil {
                labels.append(label)
            }
            groups[label, default: []].append(index)
        }
        output.append("{\"resourceLogs\":[{\"resource\":{\"attributes\":[")
        appendKeyValue("service.name", .string(serviceName), to: &output)
        for (key, value) in resourceAttributes where key != "service.name" {
            output.append(UInt8(ascii: ","))
            appendKeyValue(key, value, to: &output)
        }
        output.append("]},\"scopeLogs\":[")
        for (groupIndex, label) in labels.enumerated() {
            if groupIndex > 0 {
                output.append(UInt8(ascii: ","))
            }
            output.append("{\"scope\":{\"name\":\"")
            output.appendEscaped(label, .json, limit: 1024)
            output.append("\"},\"logRecords\":[")
            for (position, index) in groups[label, default: []].enumerated() {
                if position > 0 {
                    output.append(UInt8(ascii: ","))
                }
                appendRecord(records[index], to: &output)
            }
            output.append("]}")
        }
        output.append("]}]}")
    }

    private func appendRecord(_ record: LogRecord, to output: inout LogOutput) {
        output.append("{\"timeUnixNano\":\"")
        output.appendInteger(Int(max(record.timestamp.nanosecondsSinceEpoch, 0)))
        output.append("\",\"observedTimeUnixNano\":\"")
        output.appendInteger(Int(max(record.timestamp.nanosecondsSinceEpoch, 0)))
        output.append("\",\"severityNumber\":")
        output.appendInteger(Self.severityNumber(record.level))
        output.append(",\"severityText\":\"")
        output.appendUnescaped(record.level.name.uppercased())
        output.append("\",\"body\":{\"stringValue\":\"")
        output.appendEscaped(record.message, .json, limit: maxMessageBytes)
        output.append("\"},\"attributes\":[")
        var first = true
        let reserved = reservedAttributes
        record.forEachMetadata { key, value in
            if !first {
                output.append(UInt8(ascii: ","))
            }
            first = false
            appendKeyValue(key, value, to: &output, reserved: reserved)
        }
        func extra(_ key: String, _ value: LogMetadataValue) {
            if !first {
                output.append(UInt8(ascii: ","))
            }
            first = false
            appendKeyValue(key, value, to: &output)
        }
        if includeSource {
            extra("code.filepath", .string(record.source.file))
            extra("code.function", .string(record.source.function))
            extra("code.lineno", .integer(Int(record.source.line)))
        }
        if includeSequence {
            extra("sluice.sequence", .integer(Int(truncatingIfNeeded: record.sequence)))
        }
        output.append("]}")
    }

    /// The attributes this encoding adds itself, which a metadata key must not shadow.
    private var reservedAttributes: LogOutput.ReservedKeys {
        switch (includeSource, includeSequence) {
        case (false, false): .none
        case (true, false): Self.sourceAttributes
        case (false, true): Self.sequenceAttribute
        case (true, true): Self.sourceAndSequenceAttributes
        }
    }

    private static let sourceAttributes = LogOutput.ReservedKeys(["code.filepath", "code.function", "code.lineno"])
    private static let sequenceAttribute = LogOutput.ReservedKeys(["sluice.sequence"])
    private static let sourceAndSequenceAttributes = LogOutput.ReservedKeys([
        "code.filepath", "code.function", "code.lineno", "sluice.sequence",
    ])

    private func appendKeyValue(
        _ key: String, _ value: LogMetadataValue, to output: inout LogOutput, depth: Int = 0,
        reserved: LogOutput.ReservedKeys = .none
    ) {
        output.append("{\"key\":\"")
        output.appendEscapedKey(key, reserved: reserved)
        output.append("\",\"value\":")
        appendAnyValue(value, to: &output, depth: depth)
        output.append(UInt8(ascii: "}"))
    }

    /// An OTLP `AnyValue`. 64-bit integers are strings, as the protobuf JSON mapping requires.
    private func appendAnyValue(_ value: LogMetadataValue, to output: inout LogOutput, depth: Int) {
        switch value {
        case .string(let string):
            output.append("{\"stringValue\":\"")
            output.appendEscaped(string, .json, limit: maxMessageBytes)
            output.append("\"}")
        case .integer(let integer):
            output.append("{\"intValue\":\"")
            output.appendInteger(integer)
            output.append("\"}")
        case .double(let double):
            output.append("{\"doubleValue\":")
            if double.isFinite {
                output.appendUnescaped(double.description)
            } else {
                output.append(UInt8(ascii: "\""))
                output.appendUnescaped(double.isNaN ? "NaN" : double < 0 ? "-Infinity" : "Infinity")
                output.append(UInt8(ascii: "\""))
            }
            output.append(UInt8(ascii: "}"))
        case .bool(let bool):
            output.append(bool ? "{\"boolValue\":true}" : "{\"boolValue\":false}")
        case .array(let values):
            guard depth < LogOutput.maxNestingDepth else {
                output.append("{\"stringValue\":\"[nested too deep]\"}")
                return
            }
            output.append("{\"arrayValue\":{\"values\":[")
            for (index, element) in values.enumerated() {
                if index > 0 {
                    output.append(UInt8(ascii: ","))
                }
                appendAnyValue(element, to: &output, depth: depth + 1)
            }
            output.append("]}}")
        case .dictionary(let metadata):
            guard depth < LogOutput.maxNestingDepth else {
                output.append("{\"stringValue\":\"{nested too deep}\"}")
                return
            }
            output.append("{\"kvlistValue\":{\"values\":[")
            for (index, (key, nested)) in metadata.pairs.enumerated() {
                if index > 0 {
                    output.append(UInt8(ascii: ","))
                }
                appendKeyValue(key, nested, to: &output, depth: depth + 1)
            }
            output.append("]}}")
        }
    }
}
