import Glibc
import Testing

@testable import SluiceCommand

@Suite struct RestartStateMachineTests {
    let policy = RestartPolicy(mode: .onFailure, backoff: .milliseconds(100), maxBackoff: .seconds(1), maxRestarts: 5)

    @Test func failuresAreRestartedWithADoublingCappedBackoff() {
        var machine = RestartStateMachine(policy: policy)
        var delays: [Duration] = []
        for _ in 0..<5 {
            guard case .restart(let delay, _) = machine.programExited(.exited(3), ranFor: .zero, stopRequested: false)
            else {
                Issue.record("expected a restart")
                return
            }
            delays.append(delay)
        }
        #expect(
            delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1)])
        #expect(
            machine.programExited(.signaled(SIGSEGV), ranFor: .zero, stopRequested: false)
                == .stop(.maxRestartsReached(5)))
        #expect(machine.restarts == 5)
    }

    @Test func aProgramThatRanLongEnoughStartsANewSeriesOfWaits() {
        var machine = RestartStateMachine(policy: policy)
        _ = machine.programExited(.exited(1), ranFor: .zero, stopRequested: false)
        _ = machine.programExited(.exited(1), ranFor: .zero, stopRequested: false)
        #expect(
            machine.programExited(.exited(1), ranFor: .seconds(5), stopRequested: false)
                == .restart(after: .milliseconds(100), restart: 3))
    }

    @Test func onFailureStopsAfterSuccessAndEveryPolicyStopsWhenAsked() {
        var onFailure = RestartStateMachine(policy: policy)
        #expect(onFailure.programExited(.exited(0), ranFor: .zero, stopRequested: false) == .stop(.policy))
        var always = RestartStateMachine(policy: RestartPolicy(mode: .always, backoff: .seconds(1)))
        #expect(
            always.programExited(.exited(0), ranFor: .zero, stopRequested: false)
                == .restart(after: .seconds(1), restart: 1))
        #expect(always.programExited(.exited(1), ranFor: .zero, stopRequested: true) == .stop(.stopRequested))
        var never = RestartStateMachine(policy: RestartPolicy())
        #expect(never.programExited(.exited(1), ranFor: .zero, stopRequested: false) == .stop(.policy))
        var startFailures = RestartStateMachine(policy: policy)
        #expect(
            startFailures.programExited(.failedToStart(ENOENT), ranFor: .zero, stopRequested: false)
                == .restart(after: .milliseconds(100), restart: 1), "a failed start is a failure too")
    }
}

@Suite struct SignalStateMachineTests {
    @Test func runForwardsSignalsAndStopsRestartsOnTheFirstStoppingOne() {
        var state = SignalStateMachine(mode: .run)
        #expect(state.signalArrived(SIGTERM, reachedProgram: false, killAfter: true).isEmpty, "no program yet")
        #expect(state.stopSignal == SIGTERM)
        #expect(state.programStarted(99) == .forward(99, SIGTERM), "a stop that came during the start is passed on")
        state = SignalStateMachine(mode: .run)
        #expect(state.programStarted(100) == nil)
        #expect(
            state.signalArrived(SIGHUP, reachedProgram: false, killAfter: true) == [
                .reopenFiles, .forward(100, SIGHUP),
            ])
        #expect(state.stopSignal == nil, "SIGHUP does not stop anything")
        #expect(
            state.signalArrived(SIGINT, reachedProgram: false, killAfter: true) == [
                .forward(100, SIGINT), .armKillTimer(100),
            ])
        #expect(state.signalArrived(SIGTERM, reachedProgram: false, killAfter: true) == [.forward(100, SIGTERM)])
        #expect(state.stopSignal == SIGINT)
        state.programExited()
        #expect(state.signalArrived(SIGTERM, reachedProgram: false, killAfter: true).isEmpty)
    }

    @Test func aSignalTheTerminalSentToTheProgramsGroupIsNotSentTwice() {
        var state = SignalStateMachine(mode: .run)
        _ = state.programStarted(7)
        #expect(state.signalArrived(SIGINT, reachedProgram: true, killAfter: false).isEmpty)
        #expect(state.stopSignal == SIGINT)
        #expect(state.signalArrived(SIGHUP, reachedProgram: true, killAfter: false) == [.reopenFiles])
    }

    @Test func pipeStopsReadingOrReopens() {
        var state = SignalStateMachine(mode: .pipe)
        #expect(state.signalArrived(SIGHUP, reachedProgram: false, killAfter: false) == [.reopenFiles])
        #expect(state.signalArrived(SIGQUIT, reachedProgram: false, killAfter: false) == [.stopReading])
    }

    @Test func exitStatusesFollowTheShellsConventions() {
        #expect(ChildExit(waitStatus: 3 << 8) == .exited(3))
        #expect(ChildExit(waitStatus: SIGKILL) == .signaled(SIGKILL))
        #expect(ChildExit(waitStatus: SIGSEGV | 0x80) == .signaled(SIGSEGV), "core dumped")
        #expect(ChildExit.exited(3).exitCode == 3)
        #expect(ChildExit.signaled(SIGTERM).exitCode == 143)
        #expect(ChildExit.failedToStart(ENOENT).exitCode == 127)
        #expect(ChildExit.failedToStart(EACCES).exitCode == 126)
        #expect(ChildExit.signaled(SIGTERM).description == "killed by signal SIGTERM")
        #expect(!ChildExit.exited(0).isFailure && ChildExit.exited(1).isFailure && ChildExit.signaled(9).isFailure)
    }
}
