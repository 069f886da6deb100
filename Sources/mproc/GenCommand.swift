import ArgumentParser
import HDF5Arrays
import SharedArrays

struct GenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Write a large synthetic array to a .npy or HDF5 file, generated in parallel.",
        discussion: """
            Values depend only on --seed and the element index, never on --workers.
            Examples:
              mproc gen big.npy --count 134217728
              mproc gen big.h5:/data --count 268435456 --dtype float32 --gzip 4
              mproc gen table.npy --shape 1000000,8 --distribution uniform
              mproc gen fast.npy --count 2^27 --generator philox
            """)

    @Argument(help: "OUT.npy, or OUT.h5[:/dataset] (default dataset /data; an existing HDF5 file keeps its other datasets).")
    var output: String

    @Option(name: .long, help: "Number of elements of a 1-D array (suffixes k, M, G and powers like 2^27 are accepted).")
    var count: String?

    @Option(name: .long, help: "ROWS,COLUMNS for a 2-D array.")
    var shape: String?

    @Option(name: .long, help: "float64, float32, int64 or int32.")
    var dtype: String = "float64"

    @Option(name: .long, help: "normal, uniform or arange.")
    var distribution: String = "normal"

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 42

    @Option(name: .long, help: "philox (fast, vectorised) or splitmix64 (the default: the values earlier versions wrote for a seed).")
    var generator: String = RandomGenerator.splitMix64.rawValue

    @Option(name: .long, help: "HDF5 only: gzip level 1-9 (default: no compression).")
    var gzip: Int?

    @Flag(name: .long, help: "Replace the output .npy file, or the HDF5 dataset (the file's other contents are kept), if it exists.")
    var force = false

    @OptionGroup var workerOptions: WorkerOptions

    func validate() throws {
        if count == nil && shape == nil { throw ValidationError("give --count N or --shape ROWS,COLUMNS") }
        if count != nil && shape != nil { throw ValidationError("give either --count or --shape, not both") }
        _ = try parsedShape()
        guard let type = DType(name: dtype), type != .int16, type != .uint8 else {
            throw ValidationError("--dtype must be float64, float32, int64 or int32 (got '\(dtype)')")
        }
        guard ["normal", "uniform", "arange"].contains(distribution) else {
            throw ValidationError("--distribution must be normal, uniform or arange (got '\(distribution)')")
        }
        guard RandomGenerator(rawValue: generator.lowercased()) != nil else {
            throw ValidationError("--generator must be philox or splitmix64 (got '\(generator)')")
        }
        if let gzip, !(1...9).contains(gzip) { throw ValidationError("--gzip must be 1-9 (got \(gzip))") }
    }

    func parsedShape() throws -> [Int] {
        if let count {
            guard let n = parseCount(count), n >= 0 else {
                throw ValidationError("--count: '\(count)' is not a count (or is larger than \(Int.max))")
            }
            return [n]
        }
        let parts = (shape ?? "").split(separator: ",").map { parseCount(String($0)) }
        guard parts.count == 2, let rows = parts[0], let columns = parts[1], rows >= 0, columns >= 0 else {
            throw ValidationError("--shape must be ROWS,COLUMNS (got '\(shape ?? "")')")
        }
        return [rows, columns]
    }

    func run() throws {
        let shape = try parsedShape()
        let type = DType(name: dtype)!
        let (path, dataset) = splitDatasetSpec(output)
        let isNpy = path.lowercased().hasSuffix(".npy")
        if isNpy, dataset != nil { throw CLIError("\(path): a .npy file has no datasets") }
        // A symbolic link, directory, FIFO or device at the output is refused, --force or not.
        try AtomicOutputFile.checkDestination(path)
        if isNpy, !force, fileExists(path) { throw CLIError("\(path) exists; pass --force to replace it") }
        guard let bytes = CheckedSize.byteCount(shape: shape, elementSize: type.byteSize) else {
            throw CLIError("gen: \(shape.count == 1 ? "--count \(shape[0])" : "--shape \(shape[0]),\(shape[1])") of \(type.rawValue) is "
                + "\(CheckedSize.describeBytes(shape: shape, elementSize: type.byteSize)), more than can be addressed")
        }
        if let free = SharedMemory.freeSpace(), bytes > free {
            throw CLIError("not enough shared memory for \(formatBytes(bytes)): /dev/shm has \(formatBytes(free)) free")
        }
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        if !isNpy {
            // Into an HDF5 file: its other contents are kept; only an existing dataset of that name needs
            // --force. Checked before generating (and after the fork: no HDF5 state reaches the workers).
            _ = try suggestingForce { try HDF5DatasetOutput(file: path, dataset: dataset ?? "/data", overwrite: force) }
        }
        let progress = Progress(enabled: isTerminal(2))
        let clock = ContinuousClock()
        let start = clock.now
        switch type {
        case .float64: try generate(Double.self, shape, path, dataset, isNpy, pool, progress)
        case .float32: try generate(Float.self, shape, path, dataset, isNpy, pool, progress)
        case .int64: try generate(Int64.self, shape, path, dataset, isNpy, pool, progress)
        default: try generate(Int32.self, shape, path, dataset, isNpy, pool, progress)
        }
        let elapsed = clock.now - start
        progress.finish()
        let where_ = isNpy ? path : "\(path):\(dataset ?? "/data")"
        print("wrote \(where_): \(type.rawValue) \(shape) (\(formatBytes(bytes))) in \(formatMilliseconds(elapsed)) ms")
    }

    private func generate<E: SharedElement>(
        _: E.Type, _ shape: [Int], _ path: String, _ dataset: String?, _ isNpy: Bool, _ pool: WorkerPool,
        _ progress: Progress
    ) throws {
        progress.stage("generating \(formatBytes(shape.reduce(1, *) * MemoryLayout<E>.stride)) with \(pool.workerCount) workers")
        let array: SharedArray<E>
        let rng = RandomGenerator(rawValue: generator.lowercased()) ?? .splitMix64
        switch distribution {
        case "uniform": array = try .random(.uniform(lower: 0, upper: 1), shape: shape, seed: seed, generator: rng, on: pool)
        case "arange": array = try SharedArray<E>.arange(shape.reduce(1, *), on: pool).reshaped(shape)
        default: array = try .random(.normal(mean: 0, std: 1), shape: shape, seed: seed, generator: rng, on: pool)
        }
        progress.stage("writing \(path)")
        if isNpy {
            try array.save(npy: path)
        } else {
            var attributes: [String: HDF5AttributeValue] = [
                "generator": .string("mproc gen"), "distribution": .string(distribution),
                // A seed past Int.max is kept exactly, as text.
                "seed": Int(exactly: seed).map { .int($0) } ?? .string(String(seed)),
            ]
            if distribution != "arange" { attributes["rng"] = .string(rng.rawValue) }
            if let gzip { attributes["gzip_level"] = .int(gzip) }
            try suggestingForce {
                try array.save(hdf5: path, dataset: dataset ?? "/data", gzipLevel: gzip, attributes: attributes, overwrite: force)
            }
        }
    }
}

/// Parses `1000`, `64k`, `128M`, `1G` (powers of 1024) or `2^27`, without overflow (see
/// ``CheckedSize/parse(_:)``).
func parseCount(_ text: String) -> Int? { CheckedSize.parse(text) }

extension String {
    func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
