// swift-tools-version: 6.1
import PackageDescription

// A swift-log app bootstrapped onto Sluice. Its own package, so the root build of Sluice stays free
// of package dependencies; it enables Sluice's `SwiftLog` trait.
let package = Package(
    name: "SwiftLogBackend",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sluice", path: "../..", traits: ["SwiftLog"]),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "SwiftLogBackend",
            dependencies: [
                .product(name: "Sluice", package: "sluice"),
                .product(name: "Logging", package: "swift-log"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
