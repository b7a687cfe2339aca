import Sluice
import Testing

@Suite struct ThreadStartTests {
    /// `pthread_create` fails with `EAGAIN` at a process's or container's thread limit: Sluice's
    /// work then runs on a Dispatch worker instead of aborting the process.
    @Test func aThreadThatCannotBeCreatedFallsBackInsteadOfAborting() async {
        let name = "fallback-\(UInt64.random(in: 0...UInt64.max))"
        SluiceThread.failNextCreations(1, named: name)
        let before = SluiceThread.fallbacks
        let executor = ThreadExecutor(name: name)
        let ranOnIt = await Task(executorPreference: executor) { executor.isCurrent }.value
        #expect(ranOnIt)
        #expect(SluiceThread.fallbacks > before)
        executor.stop()

        let done = Promise<Bool>()
        SluiceThread.failNextCreations(1, named: name)
        SluiceThread.start(name: name) { done.fulfill(true) }
        #expect(await done.wait())
    }
}
