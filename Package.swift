// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: LakeCLI → LakeServer → Lake → Parquet → CZstd, CZlib (../shared/STYLE.md);
// Lake also links the system's SQLite and librdkafka.

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
        // The HTTP server (SwiftNIO underneath): request size limits, keep-alive, graceful shutdown.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // HMAC-SHA256 for `pii = "hash"` columns: a maintained implementation, not our own.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        // CRC-32 of Parquet pages (zlib's is ~4 GB/s here).
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        // The Kafka source and `lake generate --kafka` (SPEC §14).
        .systemLibrary(
            name: "CRdKafka", pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]),
        .target(name: "Parquet", dependencies: ["CZstd", "CZlib"], swiftSettings: hotPath),
        // Process set-up glibc only offers in C (mallopt).
        .target(name: "CLakeSupport"),
        .target(
            name: "Lake",
            dependencies: ["Parquet", "CSQLite", "CZstd", "CRdKafka", "CLakeSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: hotPath),
        .target(
            name: "LakeServer",
            dependencies: [
                "Lake", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // The page's script and style hashes for its Content-Security-Policy.
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .executableTarget(
            name: "LakeCLI",
            dependencies: [
                "Lake", "LakeServer", "Parquet", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "ParquetTool",
            dependencies: ["Parquet", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "ParquetTests", dependencies: ["Parquet"]),
        .testTarget(name: "LakeTests", dependencies: ["Lake", "Parquet"]),
        .testTarget(name: "LakeServerTests", dependencies: ["LakeServer", "Lake"]),
    ]
)
