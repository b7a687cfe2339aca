@testable import SluiceCommand

/// The argument parser on any arguments (the input split on NUL): a parsed command or a usage error,
/// never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommandLine(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let arguments = input.split(separator: 0, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
    }
    do {
        let command = try CommandLineParser.parse(arguments)
        if case .run(let options, let program) = command {
            precondition(!program.isEmpty && options.name?.isEmpty == false)
        }
    } catch {
        precondition(!error.message.isEmpty)
    }
    return 0
}
