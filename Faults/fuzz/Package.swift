// swift-tools-version: 6.1
// The fuzz targets and fault helpers of the fault suite (Faults/faults.py), a package of their own so the
// library's Package.swift carries no fuzzing flags. Built by Faults/fuzz/build.sh with
// `-sanitize=fuzzer,address`; each target links libFuzzer but keeps its own main (LLVMFuzzerRunDriver).
import Foundation
import PackageDescription

// The root package is two directories up; its identity is its directory's name, whatever the clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let rootName = root.lastPathComponent

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzDriver"] + products.map { .product(name: $0, package: rootName) })
}

let package = Package(
    name: "MultiprocessingFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: root.path)],
    targets: [
        .target(name: "CFuzz"),
        .target(name: "FuzzDriver", dependencies: ["CFuzz", .product(name: "Multiprocessing", package: rootName)]),
        fuzzTarget("FuzzNpyHeader", ["SharedArrays"]),
        fuzzTarget("FuzzHDF5Info", ["HDF5Arrays", "SharedArrays"]),
        fuzzTarget("FuzzCodec", ["Multiprocessing"]),
        fuzzTarget("FuzzFrames", ["Multiprocessing"]),
        // Not a fuzzer: kills a lock / semaphore / barrier holder and reports whether the others recover.
        .executableTarget(name: "SyncHolder", dependencies: ["FuzzDriver", .product(name: "Multiprocessing", package: rootName)]),
    ],
    swiftLanguageModes: [.v6]
)
