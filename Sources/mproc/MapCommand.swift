import ArgumentParser
import HDF5Arrays
import SharedArrays
#if canImport(Glibc)
import Glibc
#endif

struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Apply an element-wise operation to an HDF5 dataset and write the result as a new dataset.",
        discussion: """
            Operations: abs, sqrt, exp, log, log1p, expm1, sin, cos, tanh, negate, square, sign, floor, ceil, \
            round (half to even), scale:F, offset:A, clip:LO:HI, pow:P (numpy's semantics).
            The output is chunked (optionally shuffle + gzip) and carries the attributes operation, \
            source_file, source_dataset, tool and tool_version. It is written to a temporary file and renamed \
            when complete; other datasets of an existing output file are kept. An existing dataset is replaced \
            only with --force.
            Examples:
              mproc map datasets/sensors.h5:/readings/pressure --op scale:100 --out pa.h5:/pressure_pa
              mproc map run.h5:/power --op sqrt --out run.h5:/amplitude --gzip 4
            """)

    @Argument(help: "INPUT.h5:/dataset (the dataset may be left out when the file has one numeric dataset).")
    var input: String

    @Option(name: .long, help: "The operation: sqrt, sin, round, pow:3, scale:2, clip:0:1, ...")
    var op: String

    @Option(name: .long, help: "OUT.h5[:/dataset] (default dataset: the input's path).")
    var out: String

    @Option(name: .long, help: "gzip level 1-9 (with the shuffle filter); default: no compression.")
    var gzip: Int?

    @Option(name: .long, help: "Output type: float64 or float32 (default: float32 for float32 input, else float64).")
    var dtype: String?

    @Flag(name: .long, help: "Replace the output dataset if it exists (the file's other contents are kept).")
    var force = false

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    @OptionGroup var workerOptions: WorkerOptions

    @OptionGroup var sizeLimitOptions: SizeLimitOptions
    @OptionGroup var timeoutOption: TimeoutOption
    @OptionGroup var decodeOption: DecodeOption
    @OptionGroup var memoryLimitOption: MemoryLimitOption

    func validate() throws {
        guard UnaryOp(parsing: op) != nil else {
            throw ValidationError("unknown operation '\(op)'; use one of \(UnaryOp.cliNames)")
        }
        if let gzip, !(1...9).contains(gzip) { throw ValidationError("--gzip must be 1-9 (got \(gzip))") }
        if let dtype, DType(name: dtype) != .float64 && DType(name: dtype) != .float32 {
            throw ValidationError("--dtype must be float64 or float32 (got '\(dtype)')")
        }
        if splitDatasetSpec(out).0.isEmpty { throw ValidationError("--out needs a file name") }
    }

    func run() throws {
        signal(SIGXFSZ, SIG_IGN)  // a file size limit is an error to report, not a reason to die
        HDF5Transform.skipLibraryCleanupAtExit()
        let spec = try InputSpec(parsing: input)
        guard spec.format == .hdf5 else { throw CLIError("\(spec.path): map reads HDF5 datasets (FILE.h5:/dataset)") }
        let source = try spec.resolvedDataset()
        let (outFile, outDataset) = splitDatasetSpec(out)
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        let progress = Progress(enabled: !quiet && isTerminal(2))
        progress.stage("\(op) of \(spec.path):\(source)")
        let result: HDF5Transform.Result
        do {
            let limit = try sizeLimitOptions.limit()
            result = try timeoutOption.bounding {
                try suggestingForce {
                    try HDF5Transform.map(
                        UnaryOp(parsing: op)!, file: spec.path, dataset: source, to: outFile, dataset: outDataset ?? source,
                        dtype: dtype.flatMap(DType.init(name:)), gzipLevel: gzip, overwrite: force,
                        limit: limit, decode: decodeOption.decode, memoryLimit: try memoryLimitOption.bytes(), on: pool)
                }
            }
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        guard !quiet else { return }
        let shape = result.shape.isEmpty ? "scalar" : result.shape.map(String.init).joined(separator: " x ")
        print("wrote \(result.file):\(result.dataset)  \(result.dtype.rawValue)  [\(shape)]  \(formatBytes(result.bytes))"
            + "  = \(op) of \(spec.path):\(source)")
        print("load \(formatMilliseconds(result.loadTime)) ms · compute \(formatMilliseconds(result.computeTime)) ms"
            + " · write \(formatMilliseconds(result.writeTime)) ms · \(pool.workerCount) worker\(pool.workerCount == 1 ? "" : "s")")
    }
}

extension String {
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
