import ArgumentParser
import DistributedArrays
import HDF5Arrays
import SharedArrays

struct HistogramCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hist",
        abstract: "Count an array's values in equal-width bins (numpy's np.histogram).",
        discussion: """
            numpy's rules: BINS equal-width bins over --range (default: the data's min to max); the last bin \
            includes its upper edge; values outside the range and NaN are not counted. Counts are exact and \
            the same for any number of workers (and of MPI ranks with --mpi). An HDF5 dataset with CF \
            attributes is decoded first (--raw counts the stored values).
            Examples:
              mproc hist datasets/sensors.npy --bins 20
              mproc hist run.h5:/power --bins 100 --range 0,5000 --json
              mpirun -np 4 mproc hist big.npy --bins 50 --mpi
            """)

    @Argument(help: "INPUT.npy or INPUT.h5:/dataset.")
    var input: String

    @Option(name: .long, help: "Number of bins.")
    var bins: Int = 10

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("The bins' range, LOW,HIGH (default: the data's min and max; LOW may be negative).", valueName: "low,high"))
    var range: String?

    @Flag(name: .long, help: "Print JSON: edges (bins + 1) and counts.")
    var json = false

    @Flag(name: .long, help: ArgumentHelp(
        "Run as one rank of an MPI job (mpirun -np N mproc hist --mpi ...): each rank counts its share of the "
            + "file; rank 0 adds the counts and alone prints."))
    var mpi = false

    @OptionGroup var workerOptions: WorkerOptions
    @OptionGroup var sizeLimitOptions: SizeLimitOptions
    @OptionGroup var timeoutOption: TimeoutOption
    @OptionGroup var decodeOption: DecodeOption

    func validate() throws {
        if bins < 1 { throw ValidationError("--bins must be at least 1 (got \(bins))") }
        _ = try parsedRange()
    }

    /// `--range LOW,HIGH` as finite, ordered bounds.
    func parsedRange() throws -> ClosedRange<Double>? {
        guard let range else { return nil }
        let parts = range.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let low = parts[0], let high = parts[1], low.isFinite, high.isFinite, low <= high else {
            throw ValidationError("--range must be LOW,HIGH with finite LOW <= HIGH (got '\(range)')")
        }
        return low...high
    }

    func run() throws {
        if mpi { return try runAcrossRanks() }
        var spec = try InputSpec(parsing: input)
        spec.decode = decodeOption.decode
        let decoding = try spec.decode ? spec.cfDecoding() : nil
        printDecodingNotes(decoding, of: spec)
        let fileType = try (decoding?.isActive == true ? decoding?.unpackedDType : nil) ?? spec.fileDType()
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        let range = try parsedRange()
        let clock = ContinuousClock()
        let start = clock.now
        let result: HistogramReport = try timeoutOption.bounding {
            func count<E: SharedElement>(_: E.Type) throws -> HistogramReport {
                let x = try spec.load(as: E.self, limit: try sizeLimitOptions.limit(), on: pool)
                let (counts, edges) = try x.histogram(bins: bins, range: range)
                return HistogramReport(input: spec.description, dtype: E.dtype, count: x.count, edges: edges, counts: counts)
            }
            return switch StatsCommand.computeType(for: fileType) {
            case .float64: try count(Double.self)
            case .float32: try count(Float.self)
            case .int64: try count(Int64.self)
            case .int32, .int16, .uint8: try count(Int32.self)
            }
        }
        print(json ? result.json() : result.table(elapsed: clock.now - start, workers: pool.workerCount))
    }

    /// `hist --mpi`: every rank counts its share of the dataset's chunk grid; rank 0 prints.
    func runAcrossRanks() throws {
        #if MPI
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        let range = try parsedRange()
        let clock = ContinuousClock()
        let start = clock.now
        try RankRun.run(pool: pool, timeout: timeoutOption.duration) { world in
            // Checks that may fail run inside the settled part, so that a bad input is reported once.
            let prepared = Result { () throws -> (InputSpec, DType) in
                var spec = try InputSpec(parsing: input)
                spec.decode = decodeOption.decode
                if spec.decode, let decoding = try spec.cfDecoding(), decoding.isActive {
                    throw CLIError("\(spec): --mpi reads stored values; this dataset is CF-encoded (\(decoding.summary)): add --raw")
                }
                return (spec, StatsCommand.computeType(for: try spec.fileDType()))
            }
            var count = 0
            func counted<E: SharedElement>(_: E.Type) throws -> (counts: [Int], edges: [Double])? {
                try DistributedReduction.histogram(
                    bins: bins, range: range,
                    of: {
                        let (spec, computeType) = try prepared.get()
                        let opened = try DistributedSource.open(spec, computeType: computeType, limit: try sizeLimitOptions.limit())
                        count = opened.source.count
                        return opened.source
                    }, as: E.self, on: pool, world: world, timeout: timeoutOption.duration)
            }
            let result: (counts: [Int], edges: [Double])? =
                switch (try? prepared.get())?.1 ?? .float64 {
                case .float64: try counted(Double.self)
                case .float32: try counted(Float.self)
                case .int64: try counted(Int64.self)
                case .int32, .int16, .uint8: try counted(Int32.self)
                }
            guard let result, case .success(let (spec, computeType)) = prepared else { return }
            let report = HistogramReport(
                input: spec.description, dtype: computeType, count: count, edges: result.edges, counts: result.counts, ranks: world.size)
            print(json ? report.json() : report.table(elapsed: clock.now - start, workers: pool.workerCount))
        }
        #else
        throw CLIError("--mpi: this mproc was built without MPI: swift build --traits MPI (make builds it that way)")
        #endif
    }
}

/// What `mproc hist` prints: one line per bin, or JSON.
struct HistogramReport {
    var input: String
    var dtype: DType
    var count: Int
    var edges: [Double]
    var counts: [Int]
    /// The MPI ranks that counted (`--mpi`), nil on one node.
    var ranks: Int? = nil

    func table(elapsed: Duration, workers: Int) -> String {
        var lines = ["histogram of \(input)  \(dtype.rawValue)  \(count) values  \(counts.count) bins", ""]
        let labels = counts.indices.map { i in
            "[\(formatValue(edges[i], integer: false)), \(formatValue(edges[i + 1], integer: false))\(i == counts.count - 1 ? "]" : ")")"
        }
        let width = labels.map(\.count).max() ?? 0
        let countWidth = counts.map { String($0).count }.max() ?? 0
        for (label, n) in zip(labels, counts) { lines.append("  " + label.padding(width) + "  " + String(n).leftPadding(countWidth)) }
        lines.append("")
        let outside = count - counts.reduce(0, +)
        var closing = "\(counts.reduce(0, +)) counted"
        if outside > 0 { closing += " · \(outside) outside the range or NaN" }
        closing += " · \(formatMilliseconds(elapsed)) ms · " + describeWorkers(workers, ranks: ranks)
        lines.append(closing)
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var fields: [(String, String)] = [
            ("input", jsonString(input)), ("dtype", jsonString(dtype.rawValue)), ("count", "\(count)"), ("bins", "\(counts.count)"),
            ("edges", "[" + edges.map { jsonNumber($0, integer: false) }.joined(separator: ",") + "]"),
            ("counts", "[" + counts.map(String.init).joined(separator: ",") + "]"),
        ]
        if let ranks { fields.append(("ranks", "\(ranks)")) }
        return "{" + fields.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}
