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
        // zlib from the operating system (not a package): `apt-get install zlib1g-dev` on Debian/Ubuntu.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"]), .yum(["zlib-devel"]), .brew(["zlib"])]
        ),
        .target(name: "Sluice", dependencies: ["CZlib"]),
        .target(name: "SluiceTesting", dependencies: ["Sluice"]),
        .executableTarget(name: "SluiceDemo", dependencies: ["Sluice"], path: "Examples/Demo"),
        // A heavy writer the tests start as a child process and kill with SIGKILL.
        .executableTarget(name: "SluiceCrashWriter", dependencies: ["Sluice"], path: "Tests/Fixtures/CrashWriter"),
        .testTarget(name: "SluiceTests", dependencies: ["Sluice", "SluiceTesting", "SluiceCrashWriter"]),
    ],
    swiftLanguageModes: [.v6]
)
