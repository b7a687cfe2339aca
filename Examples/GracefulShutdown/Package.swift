// swift-tools-version: 6.1
import PackageDescription

// A service that logs in bursts under a ServiceGroup and loses nothing on SIGTERM. Its own package,
// so the root build of Sluice stays free of package dependencies; it enables Sluice's `SwiftLog` and
// `ServiceLifecycle` traits.
let package = Package(
    name: "GracefulShutdown",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sluice", path: "../..", traits: ["SwiftLog", "ServiceLifecycle"]),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "GracefulShutdown",
            dependencies: [
                .product(name: "Sluice", package: "sluice"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
