import ArgumentParser
import HDF5Arrays
import SharedArrays
import HDF5Arrays

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Statistics of an array in a .npy file or an HDF5 dataset.",
        discussion: """
            Statistics: \(Statistic.allCases.map(\.rawValue).joined(separator: ", ")).
            Plain statistics propagate NaN; the nan* variants skip NaN values (numpy's rules).
            Order statistics (exact): median, pNN (percentile: p99, p99.9), qX (quantile: q0.25), and nanmedian, \
            nanpNN, nanqX; --quantile-method picks numpy's method for pNN and qX.
            fsum (and nanfsum): the correctly rounded sum, Python's math.fsum, bit for bit.
            Examples:
              mproc stats datasets/sensors.h5:/readings/temperature
              mproc stats datasets/sensors.npy --axis 0 --ops mean,std,min,max
              mproc stats big.npy --ops sum,mean,var --workers 2 --json
              mproc stats datasets/sensors.npy --column 2 --where "x > 0 & x < 10" --ops count,mean,max
            """)

    @Argument(help: "FILE.npy, or FILE.h5:/path/to/dataset.")
    var input: String

    @Option(name: .long, help: "Comma-separated statistics (default: count,mean,std,min,max).")
    var ops: String?

    @Option(name: .long, help: "Reduce along this axis of a 2-D array: 0 = per column, 1 = per row.")
    var axis: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Statistics of each of the K interleaved parts x[0::K], ..., x[K-1::K] of the flattened array (one pass).",
        valueName: "K"))
    var stride: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Reduce only the elements that satisfy EXPR: comparisons of x with numbers joined by & | ~ and parentheses, "
            + "plus isnan(x) and isfinite(x).", valueName: "EXPR"))
    var `where`: String?

    @Option(name: .long, help: ArgumentHelp("Reduce column J of a 2-D table.", valueName: "J"))
    var column: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Read this numeric field of a compound (table) HDF5 dataset.", valueName: "NAME"))
    var field: String?

    @Option(name: .long, help: "Delta degrees of freedom for var and std (numpy's ddof).")
    var ddof: Int = 0

    @Option(name: .long, help: "Element type to compute in: auto (the file's), float64, float32, int64, int32.")
    var dtype: String = "auto"

    @Option(name: .long, help: "Run the computation this many times (1...\(Self.maxRepeat)) and report the median time.")
    var `repeat`: Int = 1

    /// The most --repeat accepts: each run keeps its time, and more runs than this is a typo, not a benchmark.
    static let maxRepeat = 1_000_000

    @Option(name: .long, help: "numpy's method for pNN and qX ops: linear (default), lower, higher, nearest, midpoint, inverted_cdf, ...")
    var quantileMethod: String = "linear"

    @OptionGroup var workerOptions: WorkerOptions

    @OptionGroup var sizeLimitOptions: SizeLimitOptions
    @OptionGroup var timeoutOption: TimeoutOption
    @OptionGroup var decodeOption: DecodeOption
    @OptionGroup var memoryLimitOption: MemoryLimitOption

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    @Flag(name: .long, help: ArgumentHelp(
        "Run as one rank of an MPI job (mpirun -np N mproc stats --mpi ...): each rank reduces its share of the "
            + "chunks on its own workers, rank 0 prints the same values as one node."))
    var mpi = false

    func validate() throws {
        if let axis, axis != 0 && axis != 1 { throw ValidationError("--axis must be 0 or 1 (got \(axis))") }
        if ddof < 0 { throw ValidationError("--ddof must be >= 0 (got \(ddof))") }
        if !(1...Self.maxRepeat).contains(`repeat`) {
            throw ValidationError("--repeat must be between 1 and \(Self.maxRepeat) (got \(`repeat`))")
        }
        _ = try parsedStatistics()
        if let column, column < 0 { throw ValidationError("--column must be >= 0 (got \(column))") }
        if axis != nil, `where` != nil || column != nil {
            throw ValidationError("--axis reduces a whole table; it cannot be combined with --where or --column")
        }
        if let stride {
            if stride < 1 { throw ValidationError("--stride must be at least 1 (got \(stride))") }
            let others = [(axis != nil, "--axis"), (`where` != nil, "--where"), (column != nil, "--column"),
                          (memoryLimitOption.memoryLimit != nil, "--memory-limit"),
                          (!(try OrderOp.parseList(ops)).isEmpty || !ExactSumOp.parseList(ops).isEmpty, "order statistics or fsum in --ops")]
                .filter(\.0).map(\.1)
            guard others.isEmpty else {
                throw ValidationError("--stride computes the moment statistics of each part; it cannot be combined with \(others.joined(separator: ", "))")
            }
        }
        if let `where` {
            do { _ = try WhereExpression(parsing: `where`) } catch let error as CLIError { throw ValidationError(error.description) }
        }
        _ = try OrderOp.parseList(ops)
        if QuantileMethod(name: quantileMethod) == nil {
            throw ValidationError("unknown --quantile-method '\(quantileMethod)'; choose from \(QuantileMethod.allCases.map(\.name).joined(separator: ","))")
        }
        if dtype != "auto", DType(name: dtype) == nil { throw ValidationError("unknown --dtype '\(dtype)'") }
    }

    func parsedStatistics() throws -> [Statistic] {
        guard let ops else { return Statistic.summary }
        let names = ops.split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ValidationError("--ops is empty") }
        return try names.filter { !OrderOp.isOrderOp($0) && !ExactSumOp.names.contains($0) }.map { name in
            guard let s = Statistic(name: name) else {
                throw ValidationError(
                    "unknown statistic '\(name)'; choose from \(Statistic.allCases.map(\.rawValue).joined(separator: ","))")
            }
            return s
        }
    }

    func run() throws {
        if mpi { return try runAcrossRanks() }
        var spec = try InputSpec(parsing: input, field: field)
        spec.decode = decodeOption.decode
        let statistics = try parsedStatistics()
        let decoding = try spec.decode ? spec.cfDecoding() : nil
        printDecodingNotes(decoding, of: spec)
        let decoded = decoding?.isActive == true ? decoding : nil
        let fileType = try decoded?.unpackedDType ?? spec.fileDType()
        let computeType = dtype == "auto" ? Self.computeType(for: fileType) : DType(name: dtype)!
        if let decoded, !computeType.isFloatingPoint {
            throw CLIError("\(spec): --dtype \(dtype) cannot hold CF-decoded values (\(decoded.summary)); use a float type or --raw")
        }
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        let report: StatsReport = try timeoutOption.bounding {
            switch computeType {
            case .float64: try compute(Double.self, spec: spec, statistics: statistics, decoding: decoded, pool: pool)
            case .float32: try compute(Float.self, spec: spec, statistics: statistics, decoding: decoded, pool: pool)
            case .int64: try compute(Int64.self, spec: spec, statistics: statistics, pool: pool)
            case .int32, .int16, .uint8: try compute(Int32.self, spec: spec, statistics: statistics, pool: pool)
            }
        }
        print(json ? report.json() : report.table())
    }

    static func computeType(for fileType: DType) -> DType {
        switch fileType {
        case .float64, .float32, .int64, .int32: fileType
        case .int16, .uint8: .int32
        }
    }

    private func compute<E: SharedElement>(
        _: E.Type, spec: InputSpec, statistics asked: [Statistic], decoding: CFDecoding? = nil, pool: WorkerPool
    ) throws -> StatsReport {
        // On a decoded dataset with a mask, masked elements are NaN and every statistic skips them.
        let skip = decoding?.masks ?? false
        let statistics = asked.map { $0.skippingMasked(skip) }
        if decoding == nil, let streamed = try streamedReport(
            E.self, spec: spec, statistics: statistics, limit: try memoryLimitOption.bytes(), pool: pool) {
            return streamed
        }
        let clock = ContinuousClock()
        // Every op a moments statistic (order statistics and other ops need the array), whole dataset, one run:
        let momentsOnly = (ops ?? "").split(separator: ",").allSatisfy { Statistic(name: String($0)) != nil }
        if spec.format == .hdf5, spec.field == nil, decoding == nil, column == nil, `where` == nil, axis == nil, stride == nil, `repeat` == 1,
           momentsOnly {
            // Whole-dataset moments need no array: stream the chunks as batch does (same bits, no fresh memory).
            // CF-decoded datasets take the array path, whose reader decodes per chunk.
            let start = clock.now
            let (whole, fileShape) = try HDF5.streamedStatistics(
                file: spec.path, dataset: try spec.resolvedDataset(), statistics: statistics, ddof: ddof, dtype: E.dtype,
                limit: try sizeLimitOptions.limit(), on: pool)
            let shape = SharedArray<E>.arrayShape(forFileShape: fileShape)
            return StatsReport(
                input: spec.description, dtype: E.dtype, shape: shape,
                byteCount: (CheckedSize.elementCount(shape) ?? 0) * MemoryLayout<E>.stride, workers: pool.workerCount,
                statistics: statistics, whole: whole, perAxis: nil, loadTime: .zero, computeTimes: [clock.now - start])
        }
        let loadStart = clock.now
        var array = try spec.loadForReading(as: E.self, limit: try sizeLimitOptions.limit(), on: pool)
        let loadTime = clock.now - loadStart
        if let column { array = try columnView(array, column, of: spec) }
        let filter = try `where`.map { try WhereExpression(parsing: $0) }
        if let axis, array.rank != 2 {
            throw CLIError("\(spec): --axis \(axis) needs a 2-D array; this one has shape \(array.shape)")
        }
        var times: [Duration] = []
        var whole: Statistics?
        var perAxis: AxisStatistics?
        let orderOps = try OrderOp.parseList(ops).map { $0.skippingMasked(skip) }
        let exactSumOps = ExactSumOp.parseList(ops)
        var orders = OrderResults()
        for _ in 0..<`repeat` {
            let start = clock.now
            let mask = try filter.map { try $0.mask(for: array) }
            if !orderOps.isEmpty {
                // Order statistics of the selected elements: the selection compacted first (numpy's x[mask]).
                let source = try mask.map { try array.filter($0) } ?? array
                orders = try OrderResults.compute(orderOps, of: source, axis: axis, method: QuantileMethod(name: quantileMethod) ?? .linear)
            }
            if !exactSumOps.isEmpty {
                if orderOps.isEmpty { orders = OrderResults() }
                try ExactSumOp.compute(exactSumOps, of: try mask.map { try array.filter($0) } ?? array, axis: axis, into: &orders)
            }
            if (!orderOps.isEmpty || !exactSumOps.isEmpty) && statistics.isEmpty {
                // Order ops only: no moments pass.
            } else if let axis {
                perAxis = try array.statistics(statistics, axis: axis, ddof: ddof)
            } else if let stride {
                perAxis = Self.perPart(try array.flattened().strided(by: stride).statistics(statistics, ddof: ddof), statistics)
            } else if let mask {
                whole = try array.statistics(statistics, where: mask, ddof: ddof)
            } else {
                whole = try array.statistics(statistics, ddof: ddof)
            }
            times.append(clock.now - start)
        }
        var report = StatsReport(
            input: spec.description, dtype: E.dtype, shape: array.shape, byteCount: array.byteCount,
            workers: pool.workerCount, statistics: asked, whole: whole?.relabeled(asked), perAxis: perAxis?.relabeled(asked),
            loadTime: loadTime, computeTimes: times, orders: orders)
        report.decoding = decoding.map { $0.summary + ($0.masks ? " (statistics skip masked values)" : "") }
        report.stride = stride
        return report
    }

    /// The statistics of `--stride`'s parts as one value per part, the way `--axis` reports its columns.
    static func perPart(_ parts: [Statistics], _ statistics: [Statistic]) -> AxisStatistics {
        AxisStatistics(axis: 0, values: statistics.map { s in (s, parts.map { $0[s] }) })
    }
}

/// Column `j` of a 2-D table as a view without a copy, with the command line's wording for a bad `--column`.
func columnView<E: SharedElement>(_ table: SharedArray<E>, _ j: Int, of spec: InputSpec) throws -> SharedArray<E> {
    guard table.rank == 2 else { throw CLIError("\(spec): --column \(j) needs a 2-D table; this one has shape \(table.shape)") }
    guard j < table.shape[1] else {
        throw CLIError("\(spec): --column \(j) is out of range; the table has \(table.shape[1]) columns (0..<\(table.shape[1]))")
    }
    return try table.column(j)
}
