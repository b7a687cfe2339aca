/// Entry points for the fuzz targets in `Fuzz/` into parsers and encoders that have no public API.
///
/// The fuzz targets live in a package of their own (libFuzzer needs `-parse-as-library`, an unsafe
/// flag SwiftPM refuses in a package used as a versioned dependency), so they see only what Sluice
/// exports. The formats, the escaper, the HTTP body encodings and the label-to-file-name mapping are
/// public and fuzzed through their public API. The syslog encoder, archive-name parsing, retention
/// planning and `LOG_LEVEL` parsing are not, and none would be a sensible public API (users reach
/// them through `SyslogSink`, `FileSink` and `LogPipeline`), nor would the redaction's finders and
/// record rewrite (users reach them through ``StageOptions``). So they are exported here under
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

    /// The byte ranges each built-in redaction finder reports in `bytes` (any bytes, not only UTF-8):
    /// bearer tokens, card numbers, e-mail addresses, AWS access keys, in that order.
    public static func secretRanges(in bytes: [UInt8]) -> [[Range<Int>]] {
        var padded = bytes
        padded.append(contentsOf: repeatElement(0, count: RecordLayout.readSlack))
        return padded.withUnsafeBufferPointer { all in
            let text = UnsafeBufferPointer(rebasing: all[0..<bytes.count])
            var found: [[Range<Int>]] = []
            for finder in [
                SecretScanner.bearerTokens, SecretScanner.cardNumbers, SecretScanner.emailAddresses,
                SecretScanner.awsAccessKeys,
            ] {
                var ranges: [Range<Int>] = []
                finder(text, &ranges)
                found.append(ranges)
            }
            return found
        }
    }

    /// Whether the digits in `bytes` pass the Luhn check (separators skipped).
    public static func luhn(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { SecretScanner.luhn($0, 0..<$0.count) }
    }

    /// `text` with every match of `redaction`'s patterns replaced by its marker.
    public static func redactedText(_ text: String, _ redaction: Redaction) -> String {
        RecordRedactor(redaction).redactedText(text)
    }

    /// Encodes `record` as a pipeline would, redacts it as the collector would (whether it needed it
    /// and the copy), and decodes the copy; also the copy's size and whether it is a multiple of 8.
    public static func redact(_ record: LogRecord, _ redaction: Redaction) -> (
        needed: Bool, redacted: LogRecord, size: Int, aligned: Bool
    ) {
        let redactor = RecordRedactor(redaction)
        let encoded = EncodedRecordArray([record])
        let original = encoded.batch.records[0]
        let needed = redactor.needsRedaction(original)
        let size = redactor.rewrittenSize(original)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size + RecordLayout.readSlack, alignment: 8)
        defer { buffer.deallocate() }
        let written = redactor.rewrite(original, to: buffer, extraFlags: RecordLayout.Flags.detached)
        let copy = EncodedRecord(buffer)
        return (needed, copy.decoded(), written, written == size && size % 8 == 0 && copy.size == size)
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
