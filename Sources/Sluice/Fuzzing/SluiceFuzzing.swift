/// Entry points for the fuzz targets in `Fuzz/` into parsers and encoders that have no public API.
///
/// The fuzz targets live in a package of their own (libFuzzer needs `-parse-as-library`, an unsafe
/// flag SwiftPM refuses in a package used as a versioned dependency), so they see only what Sluice
/// exports. The formats, the escaper, the HTTP body encodings and the label-to-file-name mapping are
/// public and fuzzed through their public API. The syslog encoder, archive-name parsing, retention
/// planning and `LOG_LEVEL` parsing are not, and none would be a sensible public API (users reach
/// them through `SyslogSink`, `FileSink` and `LogPipeline`). So they are exported here under
/// `@_spi(Fuzzing)`: invisible unless imported with `@_spi(Fuzzing) import Sluice`, left out of the
/// documentation, and free to change without notice.
@_spi(Fuzzing) public enum SluiceFuzzing: Sendable {
    /// Renders `record` as one syslog message, RFC 5424 or RFC 3164, octet-counted for TCP when
    /// `framed`.
    public static func syslogMessage(
        _ record: LogRecord,
        rfc3164: Bool,
        framed: Bool,
        maxMessageBytes: Int,
        includeSequence: Bool,
        hostname: String,
        appName: String,
        messageID: String?,
        omitHostname: Bool
    ) -> [UInt8] {
        let encoder = SyslogEncoder(
            format: rfc3164 ? .rfc3164 : .rfc5424, facility: .local3, hostname: hostname, appName: appName,
            procID: "4242", labelAsMessageID: messageID == nil, fixedMessageID: messageID,
            structuredDataID: "sluice@32473", includeSequence: includeSequence, maxMessageBytes: maxMessageBytes,
            omitHostname: omitHostname)
        var output = LogOutput(capacity: 1024)
        var message = LogOutput(capacity: 1024)
        var scratch = LogOutput(capacity: 1024)
        if framed {
            encoder.appendFrame(record, to: &output, message: &message, scratch: &scratch)
        } else {
            encoder.append(record, to: &output, scratch: &scratch)
        }
        return output.bytes
    }

    /// The time (nanoseconds since the epoch) and form (0 plain, 1 gzip, 2 gzip temporary) of an
    /// archive of `liveName` called `name`, or `nil` when `name` is none of its archives.
    public static func parseArchiveName(_ name: String, liveName: String) -> (nanoseconds: Int64, form: Int)? {
        guard let (time, kind) = ArchiveNaming(liveName: liveName).parse(name) else { return nil }
        let form =
            switch kind {
            case .plain: 0
            case .gzip: 1
            case .gzipTemporary: 2
            }
        return (time.nanosecondsSinceEpoch, form)
    }

    /// The name of the archive of `liveName` at `nanoseconds`, in `form` (see ``parseArchiveName(_:liveName:)``).
    public static func archiveName(liveName: String, nanoseconds: Int64, form: Int) -> String {
        let kind: ArchiveNaming.Kind = form == 1 ? .gzip : form == 2 ? .gzipTemporary : .plain
        return ArchiveNaming(liveName: liveName).name(at: LogTimestamp(nanosecondsSinceEpoch: nanoseconds), kind: kind)
    }

    /// What retention would delete, clean up and compress among `files` (name and size).
    public static func retentionPlan(
        files: [(name: String, size: Int64)],
        liveName: String,
        keep: RetentionPolicy,
        compress: Bool,
        nowNanoseconds: Int64
    ) -> (delete: [String], cleanUp: [String], compress: [String]) {
        let plan = RetentionPlanner.plan(
            entries: files.map { RetentionPlanner.Entry(name: $0.name, size: $0.size) },
            naming: ArchiveNaming(liveName: liveName), retention: keep, compress: compress,
            now: LogTimestamp(nanosecondsSinceEpoch: nowNanoseconds))
        return (plan.delete, plan.cleanUp, plan.compress)
    }

    /// The live file a file in a `LabelFileSink` directory belongs to, if any.
    public static func labelLiveName(ofFile name: String) -> String? {
        LabelFileSink.naming(ofFile: name)?.liveName
    }

    /// Applies a `LOG_LEVEL` specification to a pipeline level of `minimum`; returns the level for
    /// each of `labels`, or the ``SluiceError`` the pipeline would throw.
    public static func levels(
        specification: String, minimum: LogLevel, labels: [String]
    ) -> Result<[LogLevel], SluiceError> {
        var policy = LevelPolicy(minimum: minimum, overrides: [:])
        do {
            try policy.apply(specification: specification, source: "LOG_LEVEL")
        } catch {
            return .failure(error)
        }
        return .success(labels.map { policy.level(for: $0) })
    }
}
