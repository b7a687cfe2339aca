// swift-tools-version: 6.1
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its directory, which depends on where the repository was
// cloned; derive it so `.product(..., package:)` works in any checkout.
let sluiceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let sluicePackage = sluiceRoot.lastPathComponent.lowercased()

// A package of its own, so the benchmark's dependencies (swift-log, for the baseline) never reach
// Sluice's users.
let package = Package(
    name: "sluice-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice-bench", targets: ["SluiceBench"]),
        .executable(name: "sluice-probe", targets: ["SluiceProbe"]),
        .executable(name: "sluice-capture-probe", targets: ["SluiceCaptureProbe"]),
    ],
    dependencies: [
        .package(path: sluiceRoot.path),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CMallocCounter"),
        .executableTarget(
            name: "SluiceBench",
            dependencies: [
                "CMallocCounter",
                .product(name: "Sluice", package: sluicePackage),
                .product(name: "SluiceSQLite", package: sluicePackage),
                .product(name: "SluicePostgres", package: sluicePackage),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // No malloc hook: for running under another allocator or a profiler.
        .executableTarget(name: "SluiceProbe", dependencies: [.product(name: "Sluice", package: sluicePackage)]),
        // The raw-line API against a structured call, for callgrind.
        .executableTarget(name: "SluiceCaptureProbe", dependencies: [.product(name: "Sluice", package: sluicePackage)]),
    ],
    swiftLanguageModes: [.v6]
)
