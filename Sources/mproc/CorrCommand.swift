import ArgumentParser
import SharedArrays

struct CorrCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corr",
        abstract: "The correlation (or, with --cov, covariance) matrix of a 2-D table's columns.",
        discussion: """
            Rows are observations and columns variables, like np.corrcoef(x, rowvar=False) and \
            np.cov(x, rowvar=False, ddof=1). A NaN or infinity in a column makes its row and column NaN \
            (null in JSON); a constant column has no correlation (NaN).
            Examples:
              mproc corr table.npy
              mproc corr datasets/sensors.h5:/readings/table --cov --json
            """)

    @Argument(help: "INPUT.npy or INPUT.h5:/dataset, a 2-D table.")
    var input: String

    @Flag(name: .long, help: "The covariance matrix instead of the correlation matrix.")
    var cov = false

    @Option(name: .long, help: "Delta degrees of freedom for --cov (default 1, like np.cov).")
    var ddof = 1

    @Flag(name: .long, help: "Print JSON: {\"matrix\": [[...], ...]}.")
    var json = false

    @OptionGroup var workerOptions: WorkerOptions
    @OptionGroup var sizeLimitOptions: SizeLimitOptions
    @OptionGroup var timeoutOption: TimeoutOption

    func validate() throws {
        if ddof < 0 { throw ValidationError("--ddof must be >= 0 (got \(ddof))") }
    }

    func run() throws {
        let spec = try InputSpec(parsing: input)
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        let limit = try sizeLimitOptions.limit()
        let matrix: [[Double]] = try timeoutOption.bounding {
            func compute<E: SharedElement>(_: E.Type) throws -> [[Double]] {
                let x = try spec.load(as: E.self, limit: limit, on: pool)
                guard x.rank == 2 else { throw CLIError("\(spec): corr needs a 2-D table; this array has shape \(x.shape)") }
                return cov ? try x.cov(ddof: ddof) : try x.corrcoef()
            }
            switch StatsCommand.computeType(for: try spec.fileDType()) {
            case .float64: return try compute(Double.self)
            case .float32: return try compute(Float.self)
            case .int64: return try compute(Int64.self)
            case .int32, .int16, .uint8: return try compute(Int32.self)
            }
        }
        if json {
            let rows = matrix.map { "[" + $0.map { jsonNumber($0, integer: false) }.joined(separator: ",") + "]" }
            print("{\"matrix\": [" + rows.joined(separator: ", ") + "]}")
        } else {
            for row in matrix { print(row.map { formatValue($0, integer: false) }.joined(separator: "  ")) }
        }
    }
}
