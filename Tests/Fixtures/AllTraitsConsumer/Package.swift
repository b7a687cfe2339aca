// swift-tools-version: 6.1
import PackageDescription

// A consumer that enables every Sluice trait and uses each integration. CI builds and runs it.
let package = Package(
    name: "AllTraitsConsumer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sluice", path: "../../..", traits: ["SwiftLog", "ServiceLifecycle", "Metrics"]),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "AllTraitsConsumer",
            dependencies: [
                .product(name: "Sluice", package: "sluice"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
