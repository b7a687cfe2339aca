// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for what `sluice run`/`pipe` parse: the line splitter, the level and JSON line
// parsers, the raw-line decoding and the argument parser. A package of its own because the entry
// points need `-parse-as-library` (an unsafe flag). Sources/Sluice, SluiceHTTP, CZlib and
// SluiceCommand are symbolic links to the repository's, compiled here as this package's own targets,
// so the fuzz targets reach their internal and `package` declarations.
//
//     bash Fuzz/Capture/run.sh 60      # each target for 60 seconds
let fuzz: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "sluice-fuzz-capture",
    platforms: [.macOS(.v15)],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "Sluice", dependencies: ["CZlib"]),
        .target(name: "SluiceHTTP", dependencies: ["Sluice", "CZlib"]),
        .target(name: "SluiceCommand", dependencies: ["Sluice", "SluiceHTTP"]),
        .executableTarget(name: "FuzzLineSplitter", dependencies: ["SluiceCommand"], swiftSettings: fuzz),
        .executableTarget(name: "FuzzLineParsers", dependencies: ["SluiceCommand", "Sluice"], swiftSettings: fuzz),
        .executableTarget(name: "FuzzRawLineDecoding", dependencies: ["Sluice"], swiftSettings: fuzz),
        .executableTarget(name: "FuzzCommandLine", dependencies: ["SluiceCommand"], swiftSettings: fuzz),
    ],
    swiftLanguageModes: [.v6]
)
