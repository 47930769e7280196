// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: LakeCLI → LakeServer → Lake → Parquet → CZstd (../shared/STYLE.md).

/// Release builds of the hot-path modules skip the dynamic exclusivity checks (measured at ~5%
/// of silver's time); debug builds and the tests keep them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
let package = Package(
    name: "lake",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lake", targets: ["LakeCLI"]),
        .executable(name: "parquet-tool", targets: ["ParquetTool"]),
        .library(name: "Parquet", targets: ["Parquet"]),
        .library(name: "Lake", targets: ["Lake"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // A small HTTP server on BSD sockets and Swift concurrency, no other dependencies.
        .package(url: "https://github.com/swhitty/FlyingFox.git", from: "0.27.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "Parquet", dependencies: ["CZstd"], swiftSettings: hotPath),
        .target(name: "Lake", dependencies: ["Parquet", "CSQLite", "CZstd"], swiftSettings: hotPath),
        .target(
            name: "LakeServer",
            dependencies: ["Lake", .product(name: "FlyingFox", package: "FlyingFox")]),
        .executableTarget(
            name: "LakeCLI",
            dependencies: [
                "Lake", "LakeServer", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "ParquetTool",
            dependencies: ["Parquet", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "ParquetTests", dependencies: ["Parquet"]),
        .testTarget(name: "LakeTests", dependencies: ["Lake", "Parquet"]),
        .testTarget(name: "LakeServerTests", dependencies: ["LakeServer", "Lake"]),
    ]
)
