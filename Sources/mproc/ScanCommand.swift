import ArgumentParser
import Foundation
import HDF5Arrays
import SharedArrays

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Write the cumulative sum, product, minimum or maximum of an array (numpy's cumsum family).",
        discussion: """
            Operations: cumsum, cumprod, cummin, cummax, nancumsum (NaN counts as 0), nancumprod (NaN counts as 1). \
            A 2-D table is scanned flattened, row after row, like numpy without an axis. The output type is \
            numpy's: int32 (and int16, uint8) sums and products become int64; everything else keeps its type. \
            Floating-point sums agree with numpy's to rounding (see the library's cumsum), integers exactly. \
            The output is written to a temporary file beside it and renamed when complete; an existing \
            OUTPUT is replaced only with --force (in an HDF5 file only that dataset: the file's other contents are kept).
            Examples:
              mproc scan prices.npy running.npy --op cumsum
              mproc scan run.h5:/power peak.h5:/running_max --op cummax
            """)

    @Argument(help: "INPUT.npy or INPUT.h5:/dataset.")
    var input: String

    @Argument(help: "OUTPUT.npy or OUTPUT.h5:/dataset.")
    var output: String

    @Option(name: .long, help: "cumsum, cumprod, cummin, cummax, nancumsum or nancumprod.")
    var op: String

    @Flag(name: .long, help: "Replace OUTPUT if it exists.")
    var force = false

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    @OptionGroup var workerOptions: WorkerOptions
    @OptionGroup var sizeLimitOptions: SizeLimitOptions
    @OptionGroup var timeoutOption: TimeoutOption

    func validate() throws {
        guard ScanOperation(name: op) != nil else {
            throw ValidationError("unknown operation '\(op)'; use \(ScanOperation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let operation = ScanOperation(name: op)!
        let spec = try InputSpec(parsing: input)
        let target = try OutputSpec(parsing: output)
        if !force, FileManager.default.fileExists(atPath: target.path) {
            throw CLIError("\(target.path): exists; pass --force to replace it")
        }
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        let clock = ContinuousClock()
        let start = clock.now
        let written: (DType, [Int]) = try timeoutOption.bounding {
            switch StatsCommand.computeType(for: try spec.fileDType()) {
            case .float64: try scan(Double.self, operation, spec, target, pool)
            case .float32: try scan(Float.self, operation, spec, target, pool)
            case .int64: try scan(Int64.self, operation, spec, target, pool)
            case .int32, .int16, .uint8: try scan(Int32.self, operation, spec, target, pool)
            }
        }
        guard !quiet else { return }
        let shape = written.1.map(String.init).joined(separator: " x ")
        print("wrote \(target)  \(written.0.rawValue)  [\(shape)]  = \(operation.rawValue) of \(spec)  "
            + "(\(formatMilliseconds(clock.now - start)) ms, \(pool.workerCount) worker\(pool.workerCount == 1 ? "" : "s"))")
    }

    private func scan<E: SharedElement>(
        _: E.Type, _ operation: ScanOperation, _ spec: InputSpec, _ target: OutputSpec, _ pool: WorkerPool
    ) throws -> (DType, [Int]) {
        let x = try spec.load(as: E.self, limit: try sizeLimitOptions.limit(), on: pool)
        switch SharedArray<E>.numpyScanDType(operation) {
        case .int64:
            let y = try x.scan(operation, as: Int64.self)
            try target.save(y)
            return (.int64, y.shape)
        default:
            let y = try x.scan(operation, as: E.self)
            try target.save(y)
            return (E.dtype, y.shape)
        }
    }
}

/// `OUTPUT.npy` or `OUTPUT.h5:/dataset` as typed on the command line.
struct OutputSpec: CustomStringConvertible {
    let path: String
    let dataset: String?

    init(parsing text: String) throws {
        (path, dataset) = splitDatasetSpec(text)
        guard !path.isEmpty else { throw CLIError("no output file given in '\(text)'") }
        if path.lowercased().hasSuffix(".npy") {
            guard dataset == nil else { throw CLIError("\(path): a .npy file has no datasets (drop ':\(dataset!)')") }
        } else if dataset == nil {
            throw CLIError("\(path): name the output as FILE.npy or FILE.h5:/dataset")
        }
    }

    var description: String { dataset.map { "\(path):\($0)" } ?? path }

    /// Writes `array` through the library's atomic writers (temporary file beside it, then rename). An existing
    /// output was refused before unless --force, so an existing dataset is replaced here.
    func save<E: SharedElement>(_ array: SharedArray<E>) throws {
        if let dataset { try array.save(hdf5: path, dataset: dataset, overwrite: true) } else { try array.save(npy: path) }
    }
}
