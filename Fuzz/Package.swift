// swift-tools-version: 6.1
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its directory; derive it so `.product(..., package:)` works
// in any checkout.
let sluiceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let sluicePackage = sluiceRoot.lastPathComponent.lowercased()

// libFuzzer targets: each executable's only entry point is `@_cdecl("LLVMFuzzerTestOneInput")`, which
// needs `-parse-as-library`, an unsafe flag SwiftPM refuses in a package used as a versioned
// dependency. So the targets live here, in a package of their own, as `Benchmarks/` does.
// Build and run them with `bash Fuzz/run.sh` (it passes --sanitize=fuzzer --sanitize=address).
let fuzzTarget: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]
let sluice = Target.Dependency.product(name: "Sluice", package: sluicePackage)
let sluiceHTTP = Target.Dependency.product(name: "SluiceHTTP", package: sluicePackage)
// Links libpq (`libpq-dev`), as SluicePostgres does; only FuzzPostgresCopy uses it.
let sluicePostgres = Target.Dependency.product(name: "SluicePostgres", package: sluicePackage)

let package = Package(
    name: "sluice-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: sluiceRoot.path)],
    targets: [
        .target(name: "FuzzSupport", dependencies: [sluice]),
        .executableTarget(name: "FuzzFormats", dependencies: ["FuzzSupport", sluice], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzSyslog", dependencies: ["FuzzSupport", sluice], swiftSettings: fuzzTarget),
        .executableTarget(
            name: "FuzzHTTPBodies", dependencies: ["FuzzSupport", sluice, sluiceHTTP], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzArchiveNames", dependencies: ["FuzzSupport", sluice], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzLogLevel", dependencies: ["FuzzSupport", sluice], swiftSettings: fuzzTarget),
        .executableTarget(
            name: "FuzzLabelFileNames", dependencies: ["FuzzSupport", sluice], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzRedaction", dependencies: ["FuzzSupport", sluice], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzRecords", dependencies: ["FuzzSupport", sluice], swiftSettings: fuzzTarget),
        .executableTarget(
            name: "FuzzPostgresCopy", dependencies: ["FuzzSupport", sluice, sluicePostgres], swiftSettings: fuzzTarget),
    ],
    swiftLanguageModes: [.v6]
)
