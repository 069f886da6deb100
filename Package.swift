// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Multiprocessing",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Multiprocessing", targets: ["Multiprocessing"]),
        .library(name: "SharedArrays", targets: ["SharedArrays"]),
        .library(name: "HDF5Arrays", targets: ["HDF5Arrays"]),
        .executable(name: "mproc", targets: ["mproc"]),
        // All three modules as one shared library, for programs compiled outside the package with swiftc
        // (the notebooks' code cells are compiled this way by notebooks-md/run.py).
        .library(name: "MultiprocessingDynamic", type: .dynamic, targets: ["Multiprocessing", "SharedArrays", "HDF5Arrays"]),
        .library(name: "DistributedArrays", targets: ["DistributedArrays"]),
    ],
    // `swift build --traits MPI` builds the distributed forms (`mproc stats --mpi`, DistributedArrays over Open MPI);
    // the default build needs no MPI installed.
    traits: [
        .trait(name: "MPI", description: "Distributed reductions and batches across machines with Open MPI."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        // C shims: only what Swift cannot call directly (variadic shm_open, futex, prctl, wait macros).
        // Not named CSystem: swift-system has a C target of that name, and target names are global.
        .target(name: "CMultiprocessing", path: "Sources/CSystem"),
        // OpenBLAS (Debian's libopenblas0-pthread, never `blas`, an alternatives link), loaded with dlopen
        // single-threaded before main instead of linked: see Sources/COpenBLAS/include/COpenBLAS.h.
        .target(name: "COpenBLAS", linkerSettings: [.linkedLibrary("dl")]),
        // SLEEF (Debian's libsleef-dev: vectorised exp, log, log1p, expm1, sin, cos, tanh, pow, 1.0 ulp) and the
        // Philox random fills, AVX-512 or AVX2 chosen at run time by CPU features; glibc's libmvec as well.
        .target(name: "CVectorMath", linkerSettings: [
            .linkedLibrary("mvec", .when(platforms: [.linux])), .linkedLibrary("sleef", .when(platforms: [.linux])),
        ]),
        // Debian's serial HDF5 through pkg-config `hdf5-serial`; constants exposed as inline functions.
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]
        ),
        // The process layer's code, in Sources/Multiprocessing. Programs import `Multiprocessing` (next
        // target), which re-exports it so that its Python-named types win over Foundation's and Glibc's.
        .target(
            name: "MultiprocessingCore",
            dependencies: [
                "CMultiprocessing",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/Multiprocessing"
        ),
        .target(name: "Multiprocessing", dependencies: ["MultiprocessingCore"], path: "Sources/MultiprocessingNames"),
        .target(
            name: "SharedArrays",
            dependencies: [
                "Multiprocessing", "COpenBLAS", "CVectorMath", .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "HDF5Arrays",
            dependencies: [
                "SharedArrays", "Multiprocessing", "CHDF5", .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Open MPI (Debian's libopenmpi-dev, pkg-config `ompi`); handles exposed as inline functions. Only with the MPI trait.
        .systemLibrary(
            name: "CMPI",
            path: "Sources/CMPI",
            pkgConfig: "ompi",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        // Ranks of an MPI job, each with its own local pool, reducing shares of one chunk grid to the same bits as one node.
        .target(
            name: "DistributedArrays",
            dependencies: [
                "SharedArrays", "HDF5Arrays", "Multiprocessing",
                .target(name: "CMPI", condition: .when(traits: ["MPI"])),
            ]
        ),
        .executableTarget(
            name: "mproc",
            dependencies: [
                "SharedArrays", "HDF5Arrays", "Multiprocessing", "DistributedArrays",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers shared by the test targets (python3 as the reference, temporary directories).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Async tasks on spawned workers need a program with its own main (a spawned worker reruns it).
        .executableTarget(name: "AsyncTaskProbe", dependencies: ["Multiprocessing"], path: "Tests/AsyncTaskProbe"),
        .testTarget(name: "MultiprocessingTests", dependencies: ["Multiprocessing", "MultiprocessingCore", "AsyncTaskProbe"]),
        .testTarget(name: "SharedArraysTests", dependencies: ["SharedArrays", "Multiprocessing", "TestSupport"]),
        .testTarget(name: "HDF5ArraysTests", dependencies: ["HDF5Arrays", "SharedArrays", "TestSupport"]),
        .testTarget(name: "mprocTests", dependencies: ["mproc"]),
        .testTarget(name: "DistributedArraysTests", dependencies: ["DistributedArrays", "SharedArrays"]),
    ],
    swiftLanguageModes: [.v6]
)
