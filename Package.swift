// swift-tools-version: 6.1
import PackageDescription

// The default build of Sluice depends on no package at all: only the Swift toolchain.
let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Sluice", targets: ["Sluice"]),
        .library(name: "SluiceTesting", targets: ["SluiceTesting"]),
        .library(name: "SluiceHTTP", targets: ["SluiceHTTP"]),
        .executable(name: "sluice-demo", targets: ["SluiceDemo"]),
    ],
    targets: [
        .target(name: "Sluice"),
        .target(name: "SluiceTesting", dependencies: ["Sluice"]),
        // HTTP shipping lives apart so the core never links FoundationNetworking (libcurl) or zlib.
        .target(name: "SluiceHTTP", dependencies: ["Sluice", "CZlib"]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .executableTarget(name: "SluiceDemo", dependencies: ["Sluice"], path: "Examples/Demo"),
        .testTarget(
            name: "SluiceTests",
            dependencies: ["Sluice", "SluiceTesting", "SluiceHTTP"],
            // Receivers the tests start as processes, not sources or resources.
            exclude: ["Receivers/http_receiver.py", "Receivers/validate_otlp.py"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
