// Fuzz target: archive-name parsing and retention planning, through `@_spi(Fuzzing)`.
//
// Invariants: parsing never traps (any name, any time the text spells); a parsed name is the
// canonical name of the time and form it parsed to (so retention deletes exactly the file it read);
// a plan only ever names files that are in the listing, are archives of this sink and are not its
// live file; nothing traps whatever the sizes, times and limits.

import FuzzSupport
@_spi(Fuzzing) import Sluice

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchiveNames(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    let liveName = input.bool() ? "app.log" : input.string(maxBytes: 40)
    var files: [(name: String, size: Int64)] = []
    for _ in 0...input.below(12) {
        let name: String
        switch input.below(3) {
        case 0: name = input.string(maxBytes: 120)
        case 1:
            name = SluiceFuzzing.archiveName(liveName: liveName, nanoseconds: input.int64(), form: input.below(3))
        default:
            // A real archive name with one byte changed.
            var bytes = Array(
                SluiceFuzzing.archiveName(liveName: liveName, nanoseconds: input.int64(), form: input.below(3)).utf8)
            if !bytes.isEmpty {
                bytes[input.below(bytes.count)] = input.byte()
            }
            name = String(decoding: bytes, as: UTF8.self)
        }
        files.append((name, input.int64()))
    }
    for file in files {
        if let (time, form) = SluiceFuzzing.parseArchiveName(file.name, liveName: liveName) {
            let canonical = SluiceFuzzing.archiveName(liveName: liveName, nanoseconds: time, form: form)
            require(
                canonical == file.name, "\(file.name.debugDescription) parsed to the name \(canonical.debugDescription)"
            )
        }
        _ = SluiceFuzzing.labelLiveName(ofFile: file.name)
    }
    var keep: RetentionPolicy = []
    if input.bool() { keep = keep.and(.files(input.below(6))) }
    if input.bool() { keep = keep.and(.bytes(Int(input.int64()))) }
    if input.bool() { keep = keep.and(.age(.nanoseconds(input.int64()))) }
    let plan = SluiceFuzzing.retentionPlan(
        files: files, liveName: liveName, keep: keep, compress: input.bool(), nowNanoseconds: input.int64())
    let present = Set(files.map(\.name))
    for name in plan.delete + plan.cleanUp + plan.compress {
        require(present.contains(name), "the plan names \(name.debugDescription), which is not in the listing")
        require(name != liveName, "the plan touches the live file")
        require(SluiceFuzzing.parseArchiveName(name, liveName: liveName) != nil, "the plan names a non-archive \(name)")
    }
    return 0
}
