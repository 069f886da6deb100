import ArgumentParser
import HDF5Arrays
import SharedArrays

struct SortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sort",
        abstract: "Sort an array (ascending, NaN last), or write the stable argsort indices, in parallel.",
        discussion: """
            The output is a new file (.npy, or FILE.h5[:/dataset], default dataset /data), written beside its \
            final name and renamed over it when complete; an existing one needs --force, and in an existing \
            HDF5 file only that dataset is replaced. A 2-D input is sorted flattened (np.sort(a, axis=None)). \
            --argsort writes int64 indices like np.argsort(a, axis=None, kind="stable"). The result is the same \
            for any number of workers.
            Examples:
              mproc sort big.npy sorted.npy
              mproc sort run.h5:/temperature order.npy --argsort
            """)

    @Argument(help: "FILE.npy, or FILE.h5:/path/to/dataset.")
    var input: String

    @Argument(help: "OUT.npy, or OUT.h5[:/dataset] (default dataset /data).")
    var output: String

    @Flag(name: .long, help: "Write the indices that sort the input (int64, stable) instead of the sorted values.")
    var argsort = false

    @Option(name: .long, help: "Element type to compute in: auto (the file's), float64, float32, int64, int32.")
    var dtype: String = "auto"

    @Flag(name: .long, help: "Replace the output file if it exists.")
    var force = false

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    @OptionGroup var workerOptions: WorkerOptions
    @OptionGroup var sizeLimitOptions: SizeLimitOptions
    @OptionGroup var timeoutOption: TimeoutOption

    func validate() throws {
        if dtype != "auto", DType(name: dtype) == nil { throw ValidationError("unknown --dtype '\(dtype)'") }
        if splitDatasetSpec(output).0.isEmpty { throw ValidationError("OUTPUT needs a file name") }
    }

    func run() throws {
        let spec = try InputSpec(parsing: input)
        let (path, dataset) = splitDatasetSpec(output)
        let isNpy = path.lowercased().hasSuffix(".npy")
        if isNpy, dataset != nil { throw CLIError("\(path): a .npy file has no datasets") }
        // A symbolic link, directory, FIFO or device at the output is refused, --force or not.
        try AtomicOutputFile.checkDestination(path)
        if !force, fileExists(path) { throw CLIError("\(path) exists; pass --force to replace it") }
        let fileType = try spec.fileDType()
        let computeType = dtype == "auto" ? StatsCommand.computeType(for: fileType) : DType(name: dtype)!
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        let clock = ContinuousClock()
        let limit = try sizeLimitOptions.limit()
        let target = SortTarget(path: path, dataset: isNpy ? nil : dataset ?? "/data", argsort: argsort, input: spec.description)
        let timing = try timeoutOption.bounding {
            switch computeType {
            case .float64: try target.sort(try spec.load(as: Double.self, limit: limit, on: pool), clock: clock)
            case .float32: try target.sort(try spec.load(as: Float.self, limit: limit, on: pool), clock: clock)
            case .int64: try target.sort(try spec.load(as: Int64.self, limit: limit, on: pool), clock: clock)
            case .int32, .int16, .uint8: try target.sort(try spec.load(as: Int32.self, limit: limit, on: pool), clock: clock)
            }
        }
        guard !quiet else { return }
        let what = argsort ? "argsort" : "sorted"
        let destination = dataset.map { "\(path):\($0)" } ?? (isNpy ? path : "\(path):/data")
        print("wrote \(destination)  \(argsort ? "int64" : computeType.rawValue)  [\(timing.count)]  = \(what) \(spec.description)")
        print("sort \(formatMilliseconds(timing.sort)) ms · write \(formatMilliseconds(timing.write)) ms"
            + " · \(pool.workerCount) worker\(pool.workerCount == 1 ? "" : "s")")
    }
}

/// Where `mproc sort` writes, and how.
private struct SortTarget {
    let path: String
    let dataset: String?
    let argsort: Bool
    let input: String

    func sort<E: SharedElement>(_ array: SharedArray<E>, clock: ContinuousClock) throws -> (count: Int, sort: Duration, write: Duration) {
        let start = clock.now
        if argsort {
            let order = try array.argsort()
            let sorted = clock.now
            try save(order)
            return (order.count, sorted - start, clock.now - sorted)
        }
        let values = try array.sorted()
        let sorted = clock.now
        try save(values)
        return (values.count, sorted - start, clock.now - sorted)
    }

    private func save<E: SharedElement>(_ array: SharedArray<E>) throws {
        if let dataset {
            try array.save(
                hdf5: path, dataset: dataset,
                attributes: ["operation": .string(argsort ? "argsort" : "sort"), "source": .string(input), "tool": .string("mproc sort")],
                overwrite: true)  // an existing output was refused before, unless --force
        } else {
            try array.save(npy: path)
        }
    }
}
