// swift-tools-version: 6.1
import PackageDescription

// The default build of Sluice depends on no package at all: only the Swift toolchain.
let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Sluice", targets: ["Sluice"]),
        .library(name: "SluiceTesting", targets: ["SluiceTesting"]),
        .executable(name: "sluice-demo", targets: ["SluiceDemo"]),
    ],
    targets: [
        .target(name: "Sluice"),
        .target(name: "SluiceTesting", dependencies: ["Sluice"]),
        .executableTarget(name: "SluiceDemo", dependencies: ["Sluice"], path: "Examples/Demo"),
        .testTarget(name: "SluiceTests", dependencies: ["Sluice", "SluiceTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
