// swift-tools-version: 6.1
import PackageDescription

// Counts heap allocations on the calling thread for a swift-log call through `SluiceLogHandler` and
// for the same call through `SluiceLogger`. Its own package (it replaces malloc for its process and
// needs the `SwiftLog` trait), so neither the root build nor the tests carry it.
let package = Package(
    name: "SwiftLogAllocations",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sluice", path: "../..", traits: ["SwiftLog"]),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(name: "AllocationCounter"),
        .executableTarget(
            name: "SwiftLogAllocations",
            dependencies: [
                "AllocationCounter",
                .product(name: "Sluice", package: "sluice"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
