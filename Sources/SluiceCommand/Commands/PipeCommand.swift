import Sluice

/// `sluice pipe`: captures standard input until it ends (or a signal says stop), then drains.
struct PipeCommand {
    let options: CaptureOptions

    func run() throws(SluiceError) -> Int32 {
        let label = options.name ?? "stdin"
        let outputs = try CaptureOutputs.open(options, label: label)
        let pipeline = outputs.pipeline
        let supervision = Supervision(mode: .pipe)
        let control = try CaptureReader.Control()
        _ = try SignalWatcher.start { signal, _ in
            let actions = supervision.update { $0.signalArrived(signal, reachedProgram: false, killAfter: false) }
            for action in actions {
                switch action {
                case .stopReading: control.stop()
                case .reopenFiles: Task { await pipeline.reopenFiles() }
                case .forward, .armKillTimer: break
                }
            }
        }
        ChildProcess.Pipe.enlarge(0)
        var streams = [
            CaptureStream(
                name: "stdin", descriptor: 0, teeDescriptor: options.tee ? 1 : nil, pipeline: pipeline, label: label,
                level: options.stdoutLevel, options: options)
        ]
        let counters = CaptureReader.run(&streams, control: control)

        let report = SluiceCommandLine.runBlocking { [options] in
            await pipeline.shutdown(timeout: options.drainTimeout)
        }
        if !options.quiet {
            let summary = CaptureReport(
                label: label, streams: [("stdin", counters[0])], starts: nil, lastExit: nil, shutdown: report,
                outputs: outputs)
            for line in summary.lines {
                SluiceCommandLine.printError(line)
            }
        }
        return report.stats.dropped.total == 0 && !report.timedOut ? 0 : 1
    }
}
