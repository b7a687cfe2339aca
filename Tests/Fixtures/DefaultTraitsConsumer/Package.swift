// swift-tools-version: 6.1
import PackageDescription

// A consumer that depends on Sluice with its default traits. CI proves it resolves no package at all.
let package = Package(
    name: "DefaultTraitsConsumer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sluice", path: "../../..")
    ],
    targets: [
        .executableTarget(
            name: "DefaultTraitsConsumer",
            dependencies: [.product(name: "Sluice", package: "sluice")]
        )
    ],
    swiftLanguageModes: [.v6]
)
