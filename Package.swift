// swift-tools-version: 6.1
import PackageDescription

// The default build of Sluice depends on no package at all: only the Swift toolchain. The server
// integrations are package traits, off by default; a trait adds its package only when a consumer
// enables it, e.g. `.package(url: ..., from: "0.1.0", traits: ["SwiftLog", "ServiceLifecycle"])`.
let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Sluice", targets: ["Sluice"]),
        .library(name: "SluiceTesting", targets: ["SluiceTesting"]),
        .library(name: "SluiceHTTP", targets: ["SluiceHTTP"]),
        .library(name: "SluiceSQLite", targets: ["SluiceSQLite"]),
        .library(name: "SluicePostgres", targets: ["SluicePostgres"]),
        .executable(name: "sluice-demo", targets: ["SluiceDemo"]),
        .executable(name: "sluice", targets: ["SluiceCLI"]),
    ],
    traits: [
        .trait(
            name: "SwiftLog",
            description: "A swift-log LogHandler backed by a Sluice pipeline: pipeline.logHandler(label:)"
        ),
        .trait(
            name: "ServiceLifecycle",
            description: "LogPipeline conforms to swift-service-lifecycle's Service and drains on graceful shutdown"
        ),
        .trait(
            name: "Metrics",
            description: "Exports pipeline stats as swift-metrics counters and gauges: pipeline.exportMetrics()"
        ),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    ],
    targets: [
        // zlib from the operating system (not a package): `apt-get install zlib1g-dev` on Debian/Ubuntu.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"]), .yum(["zlib-devel"]), .brew(["zlib"])]
        ),
        .target(
            name: "Sluice",
            dependencies: [
                "CZlib",
                .product(name: "Logging", package: "swift-log", condition: .when(traits: ["SwiftLog"])),
                .product(
                    name: "ServiceLifecycle",
                    package: "swift-service-lifecycle",
                    condition: .when(traits: ["ServiceLifecycle"])
                ),
                .product(name: "CoreMetrics", package: "swift-metrics", condition: .when(traits: ["Metrics"])),
            ]
        ),
        .target(name: "SluiceTesting", dependencies: ["Sluice"]),
        // HTTP shipping lives apart so the core never links FoundationNetworking (libcurl) or zlib.
        .target(name: "SluiceHTTP", dependencies: ["Sluice", "CZlib"]),
        // The database sinks link the system's SQLite and libpq; each lives in a product of its own so
        // that nothing else ever links them.
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"]), .yum(["sqlite-devel"]), .brew(["sqlite"])]
        ),
        .target(name: "SluiceSQLite", dependencies: ["Sluice", "CSQLite"]),
        .systemLibrary(
            name: "CLibPQ", path: "Sources/CLibPQ",
            providers: [.apt(["libpq-dev"]), .yum(["libpq-devel"]), .brew(["libpq"])]
        ),
        .target(name: "SluicePostgres", dependencies: ["Sluice", "CLibPQ"]),
        .executableTarget(name: "SluiceDemo", dependencies: ["Sluice", "SluiceSQLite"], path: "Examples/Demo"),
        // The `sluice` command (run and pipe): its logic in a target the tests import, its entry point apart.
        .target(name: "SluiceCommand", dependencies: ["Sluice", "SluiceHTTP"]),
        .executableTarget(name: "SluiceCLI", dependencies: ["SluiceCommand"]),
        // The program `sluice run` captures in the tests: interleaved streams, junk, long lines, floods.
        .executableTarget(name: "SluiceCaptureChild", path: "Tests/Fixtures/CaptureChild"),
        .testTarget(
            name: "SluiceCommandTests",
            dependencies: ["SluiceCommand", "SluiceCLI", "SluiceCaptureChild", "Sluice"]
        ),
        // A heavy writer the tests start as a child process and kill with SIGKILL.
        .executableTarget(name: "SluiceCrashWriter", dependencies: ["Sluice"], path: "Tests/Fixtures/CrashWriter"),
        // Fault scenarios (SIGPIPE and the like) the tests run in a process of their own.
        .executableTarget(name: "SluiceFaultChild", dependencies: ["Sluice"], path: "Tests/Fixtures/FaultChild"),
        // The fault-injection torture run: swift run sluice-torture --seconds 30 (Operations.md, Reliability).
        .executableTarget(name: "sluice-torture", dependencies: ["Sluice", "SluiceHTTP"], path: "Tests/Torture"),
        .testTarget(
            name: "SluiceTests",
            dependencies: [
                "Sluice", "SluiceTesting", "SluiceHTTP", "SluiceSQLite", "SluicePostgres", "SluiceCrashWriter",
                "SluiceFaultChild",
            ],
            // The HTTP and syslog receivers the tests start as child processes.
            exclude: ["Receivers/http_receiver.py", "Receivers/validate_otlp.py"]
        ),
        .testTarget(
            name: "SluiceIntegrationTests",
            dependencies: [
                "Sluice",
                "SluiceTesting",
                .product(name: "Logging", package: "swift-log", condition: .when(traits: ["SwiftLog"])),
                .product(
                    name: "ServiceLifecycle",
                    package: "swift-service-lifecycle",
                    condition: .when(traits: ["ServiceLifecycle"])
                ),
                .product(
                    name: "ServiceLifecycleTestKit",
                    package: "swift-service-lifecycle",
                    condition: .when(traits: ["ServiceLifecycle"])
                ),
                .product(name: "Metrics", package: "swift-metrics", condition: .when(traits: ["Metrics"])),
                .product(name: "MetricsTestKit", package: "swift-metrics", condition: .when(traits: ["Metrics"])),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
