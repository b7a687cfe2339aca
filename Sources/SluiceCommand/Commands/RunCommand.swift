import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `sluice run`: starts the program, captures its two streams, forwards signals, restarts it as
/// the policy says, then drains and exits with its status.
struct RunCommand {
    let options: CaptureOptions
    let program: [String]
    let resetSIGPIPE: Bool

    func run() throws(SluiceError) -> Int32 {
        let label = options.name ?? program[0]
        let outputs = try CaptureOutputs.open(options, label: label)
        let pipeline = outputs.pipeline
        // Starts and exits: records of the program's label, with stream=sluice first like every line's.
        let events = pipeline.rawLineLogger(label: label, stream: "sluice", level: .notice)
        let supervision = Supervision(mode: .run)
        let killAfter = options.killAfter
        _ = try SignalWatcher.start { signal, fromTerminal in
            Self.handle(
                signal, fromTerminal: fromTerminal, supervision: supervision, pipeline: pipeline, killAfter: killAfter)
        }

        var machine = RestartStateMachine(policy: options.restart)
        var counters = [StreamCounters(), StreamCounters()]
        var starts = 0
        var lastExit = ChildExit.exited(0)
        var failure: SluiceError?
        while true {
            if let signal = supervision.stopSignal, starts == 0 {
                // Asked to stop before the program ever started: it is not started at all.
                lastExit = .signaled(signal)
                break
            }
            let started = ContinuousClock.now
            var pid: pid_t?
            switch ChildProcess.spawn(program, resetSIGPIPE: resetSIGPIPE) {
            case .failure(let error):
                lastExit = .failedToStart(error.errno)
            case .success(let child):
                starts += 1
                pid = child.pid
                if case .forward(let pid, let signal) = supervision.update({ $0.programStarted(child.pid) }) {
                    supervision.forward(signal, to: pid)
                }
                events.write(
                    message: "started", level: .notice,
                    metadata: [
                        "pid": .integer(Int(child.pid)), "command": .array(program.map { .string($0) }),
                        "run": .integer(starts),
                    ])
                do {
                    let runCounters = try capture(child, pipeline: pipeline, label: label, supervision: supervision)
                    lastExit = runCounters.exit
                    for index in counters.indices {
                        counters[index].add(runCounters.streams[index])
                    }
                } catch {
                    // No pipe or thread left for the reader: the program was stopped; drain and say so.
                    failure = error
                    break
                }
            }
            let ranFor = started.duration(to: .now)
            let decision = machine.programExited(lastExit, ranFor: ranFor, stopRequested: supervision.stopSignal != nil)
            logExit(lastExit, pid: pid, ranFor: ranFor, decision: decision, events: events)
            guard case .restart(let delay, _) = decision else { break }
            if supervision.waitForStop(until: .now.advanced(by: delay)) {
                break
            }
        }

        let report = SluiceCommandLine.runBlocking { [options] in
            await pipeline.shutdown(timeout: options.drainTimeout)
        }
        if !options.quiet {
            let summary = CaptureReport(
                label: label, streams: [("stdout", counters[0]), ("stderr", counters[1])], starts: starts,
                lastExit: lastExit, shutdown: report, outputs: outputs)
            for line in summary.lines {
                SluiceCommandLine.printError(line)
            }
        }
        if let failure {
            SluiceCommandLine.printError("sluice: \(failure.message)")
            return 1
        }
        return lastExit.exitCode
    }

    /// Reads the child's streams on a thread of its own until it exited and they ended.
    private func capture(
        _ child: ChildProcess, pipeline: LogPipeline, label: String, supervision: Supervision
    ) throws(SluiceError) -> (exit: ChildExit, streams: [StreamCounters]) {
        let streams = [
            CaptureStream(
                name: "stdout", descriptor: child.standardOutput, teeDescriptor: options.tee ? 1 : nil,
                pipeline: pipeline, label: label, level: options.stdoutLevel, options: options),
            CaptureStream(
                name: "stderr", descriptor: child.standardError, teeDescriptor: options.tee ? 2 : nil,
                pipeline: pipeline, label: label, level: options.stderrLevel, options: options),
        ]
        let result = LockedValue<[StreamCounters]>([])
        let control: CaptureReader.Control
        let reader: BlockingThread
        do {
            control = try CaptureReader.Control()
            reader = try BlockingThread(name: "reader") { [control] in
                var streams = streams
                let counters = CaptureReader.run(&streams, control: control)
                result.withLock { $0 = counters }
            }
        } catch {
            // Without a reader the program would block on a full pipe: stop it.
            kill(child.pid, SIGKILL)
            close(child.standardOutput)
            close(child.standardError)
            child.waitForExit()
            supervision.update { $0.programExited() }
            _ = child.reap()
            throw error
        }
        child.waitForExit()
        supervision.update { $0.programExited() }
        let exit = child.reap()
        control.programExited()
        reader.join()
        return (exit, result.withLock { $0 })
    }

    private func logExit(
        _ exit: ChildExit, pid: pid_t?, ranFor: Duration, decision: RestartStateMachine.Decision,
        events: RawLineLogger
    ) {
        var metadata: LogMetadata = ["status": .integer(Int(exit.exitCode))]
        if let pid {
            metadata["pid"] = .integer(Int(pid))
        }
        if case .signaled(let signal) = exit {
            metadata["signal"] = .string(ChildExit.signalName(signal))
        }
        metadata["uptime_seconds"] = .double(
            Double(ranFor.components.seconds) + Double(ranFor.components.attoseconds) / 1e18)
        let next: String
        var level: LogLevel = exit.isFailure ? .error : .info
        switch decision {
        case .restart(let delay, let restart):
            next = "restarting in \(delay.readable) (restart \(restart))"
            metadata["restart_in_seconds"] = .double(
                Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
        case .stop(let reason):
            next = reason.description
            if reason == .stopRequested {
                // An exit sluice asked for by forwarding a signal is no failure.
                level = .info
            }
        }
        let program = self.program[0]
        events.write(message: "\(program) \(exit); \(next)", level: level, metadata: metadata)
    }

    /// Carries out what a signal asks for, on the signal thread.
    private static func handle(
        _ signal: Int32, fromTerminal: Bool, supervision: Supervision, pipeline: LogPipeline, killAfter: Duration?
    ) {
        let actions = supervision.update { state in
            // The terminal signals its whole foreground group: if the program is in ours, it
            // received the signal too.
            let reachedProgram = fromTerminal && state.child.map { getpgid($0) == getpgrp() } == true
            return state.signalArrived(signal, reachedProgram: reachedProgram, killAfter: killAfter != nil)
        }
        for action in actions {
            switch action {
            case .forward(let pid, let signal):
                supervision.forward(signal, to: pid)
            case .reopenFiles:
                Task { await pipeline.reopenFiles() }
            case .armKillTimer(let pid):
                guard let killAfter else { break }
                let deadline = ContinuousClock.now.advanced(by: killAfter)
                do {
                    try BlockingThread.detached(name: "kill timer") {
                        if supervision.waitWhileRunning(pid, until: deadline) {
                            supervision.killIfRunning(pid)
                        }
                    }
                } catch {
                    SluiceCommandLine.printError("sluice: --kill-after will not happen: \(error.message)")
                }
            case .stopReading:
                break
            }
        }
    }
}
