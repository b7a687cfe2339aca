import Sluice

/// What `sluice run` and `sluice pipe` were told on the command line, validated.
struct CaptureOptions: Equatable {
    /// How records look in files and on standard output.
    enum LineFormat: String, CaseIterable {
        case text, json, logfmt
    }

    /// How `--http` encodes request bodies.
    enum HTTPEncoding: String, CaseIterable {
        case ndjson, otlp, elasticsearch
    }

    /// A time-based rotation.
    enum RotationPeriod: String, CaseIterable {
        case daily, hourly
    }

    var name: String?
    var directory: String?
    var format = LineFormat.text
    var httpEncoding = HTTPEncoding.ndjson
    var rotateBytes: Int?
    var rotatePeriod: RotationPeriod?
    var keep: Int?
    var gzip = false
    var durability = Durability.flushEvery(.seconds(1))
    var syslog: SyslogTransport?
    var http: String?
    var tee = false
    var parseLevel = false
    var maxLineBytes = 16 * 1024
    var idle = Duration.milliseconds(100)
    /// The level of standard output lines (`run`) or of input lines (`pipe`).
    var stdoutLevel = LogLevel.info
    var stderrLevel = LogLevel.error
    var restart = RestartPolicy()
    var killAfter: Duration?
    var overflow = OverflowPolicy.block
    var drainTimeout = Duration.seconds(10)
    var quiet = false

    /// Whether any output besides standard output was asked for.
    var hasOutput: Bool { directory != nil || syslog != nil || http != nil }

    /// The rotation policy for `--dir`, from `--rotate-size`, `--rotate`, `--keep` and `--gzip`.
    var rotation: RotationPolicy {
        var trigger = RotationTrigger.never
        if let rotateBytes {
            trigger = .size(bytes: rotateBytes)
        }
        switch rotatePeriod {
        case .daily: trigger = trigger.or(.daily)
        case .hourly: trigger = trigger.or(.hourly)
        case nil: break
        }
        return RotationPolicy(
            trigger: trigger, keep: keep.map { .files($0) } ?? .everything, compression: gzip ? .gzip : .disabled)
    }
}
