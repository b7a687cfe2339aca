// Fuzz target: LOG_LEVEL specifications (`info,api.db=trace`), through `@_spi(Fuzzing)`, and
// LogLevel's public parsing.
//
// Invariants: nothing traps; a rejected specification is a SluiceError naming the source and the
// valid levels; an accepted one gives every label a level, and a bare level alone sets every label
// without an override to it.

import FuzzSupport
@_spi(Fuzzing) import Sluice

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLogLevel(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    let minimum = input.level()
    let labels = (0..<input.below(4)).map { _ in input.string(maxBytes: 40) }
    let specification = input.rest()
    switch SluiceFuzzing.levels(specification: specification, minimum: minimum, labels: labels) {
    case .failure(let error):
        require(error.code == .invalidLogLevel, "code \(error.code)")
        require(error.message.contains("LOG_LEVEL"), "the error does not name its source: \(error.message)")
    case .success(let levels):
        require(levels.count == labels.count, "a level per label")
        let trimmed = specification.trimmingCharacters(in: [" ", "\t"])
        if !trimmed.contains(",") && !trimmed.contains("="), let only = LogLevel(trimmed) {
            require(levels.allSatisfy { $0 == only }, "'\(trimmed)' alone did not set every label")
        }
    }
    if let level = LogLevel(specification) {
        require(LogLevel(level.name) == level, "a level's name does not parse back")
    }
    return 0
}
