import Sluice

/// The summary `sluice` prints on standard error at exit (unless `--quiet`): what each stream
/// delivered, how the program's runs ended, and what each output wrote and dropped.
struct CaptureReport {
    var label: String
    /// Each stream's name and counters, in the order captured.
    var streams: [(name: String, counters: StreamCounters)]
    /// Starts of the program (`run`); `nil` for `pipe`.
    var starts: Int?
    var lastExit: ChildExit?
    var shutdown: ShutdownReport
    var outputs: CaptureOutputs

    var lines: [String] {
        var lines: [String] = []
        let total = streams.reduce(into: StreamCounters()) { $0.add($1.counters) }
        var captured = "\(label): \(total.lines) lines"
        if streams.count > 1 {
            captured += " (" + streams.map { "\($0.name) \($0.counters.lines)" }.joined(separator: ", ") + ")"
        }
        captured += ", \(total.bytes) bytes"
        captured += ", \(total.partialLines) partial, \(total.truncatedLines) truncated"
        if total.structuredLines > 0 {
            captured += ", \(total.structuredLines) structured"
        }
        if let starts {
            captured += "; \(starts) start\(starts == 1 ? "" : "s")"
        }
        if let lastExit {
            captured += "; last run \(lastExit)"
        }
        lines.append(captured)

        let stats = shutdown.stats
        var records = "records: \(stats.logged) logged, \(stats.written) written, \(stats.dropped.total) dropped"
        if stats.dropped.total > 0 {
            records += " (\(stats.dropped))"
        }
        if shutdown.timedOut {
            records += "; the drain timed out waiting for \(shutdown.unfinishedSinks.joined(separator: ", "))"
        }
        lines.append(records)

        for sink in stats.sinks {
            var line = "\(sink.name): \(sink.written) written, \(sink.dropped.total) dropped"
            if let bytes = sink.bytes {
                line += ", \(bytes) bytes"
            }
            if let files = outputs.files, sink.name == files.name {
                let fileStats = files.stats
                line += ", \(fileStats.rotations) rotations, \(fileStats.compressions) compressed"
                line += ", \(fileStats.archivesDeleted) deleted"
                for app in files.labelStats {
                    line += "; \(app.fileName): \(app.linesWritten) lines, \(app.bytesWritten) bytes"
                }
            }
            if let error = sink.lastError {
                line += "; last error: \(error)"
            }
            lines.append(line)
        }
        for (name, counters) in streams {
            if let teeError = counters.teeError {
                lines.append("--tee of \(name): \(teeError)")
            }
        }
        return lines.map { "sluice: " + $0 }
    }
}
