// swift-tools-version: 6.1
// A program written as a user of the library would write it, in a package of its own that depends on this
// one by path: it imports Foundation together with Multiprocessing (in both orders, one file each) and uses
// the Python-named types unqualified. Built and run by scripts/run-tests.sh; it prints "user program: ok".
import Foundation
import PackageDescription

// The root package is two directories up; its identity is its directory's name, whatever the clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

let package = Package(
    name: "UserPackage",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: root.path),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
    ],
    targets: [
        .executableTarget(
            name: "UserProgram",
            dependencies: [
                .product(name: "Multiprocessing", package: root.lastPathComponent),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
