import ArgumentParser
import DistributedArrays
import HDF5Arrays
import SharedArrays

struct GroupByCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groupby",
        abstract: "Per-key statistics of VALUES grouped by the integer KEYS beside them.",
        discussion: """
            Statistics: count, sum, mean, var, std, min, max, median (numpy's semantics per group: a NaN \
            makes the group's value NaN; --ddof as in np.var). Keys are listed ascending. KEYS must be an \
            integer array (int64, int32, int16 or uint8) of the same length as VALUES.
            Examples:
              mproc groupby hour.npy temperature.npy --ops count,mean,std
              mproc groupby run.h5:/station run.h5:/rain --ops sum,max --json
              mpirun -np 4 mproc groupby big-keys.npy big-values.npy --mpi --ops count,mean,std
            """)

    @Argument(help: "KEYS.npy or KEYS.h5:/dataset (integers).")
    var keys: String

    @Argument(help: "VALUES.npy or VALUES.h5:/dataset.")
    var values: String

    @Option(name: .long, help: "Comma-separated statistics (default: count,sum,mean,std,min,max).")
    var ops = "count,sum,mean,std,min,max"

    @Option(name: .long, help: "Delta degrees of freedom for var and std (default 0, like numpy).")
    var ddof = 0

    @Flag(name: .long, help: "Print JSON: {\"keys\": [...], \"count\": [...], ...}.")
    var json = false

    @Flag(name: .long, help: ArgumentHelp(
        "Run as one rank of an MPI job (mpirun -np N mproc groupby --mpi ...): each rank folds its share of both "
            + "files into per-key partials (and shuffles values to the rank owning their key for median); rank 0 combines and alone prints."))
    var mpi = false

    @OptionGroup var workerOptions: WorkerOptions
    @OptionGroup var sizeLimitOptions: SizeLimitOptions
    @OptionGroup var timeoutOption: TimeoutOption

    func validate() throws {
        _ = try statistics()
        if ddof < 0 { throw ValidationError("--ddof must be >= 0 (got \(ddof))") }
    }

    func statistics() throws -> [GroupStatistic] {
        let names = ops.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ValidationError("--ops names no statistic") }
        var seen: [GroupStatistic] = []
        for name in names {
            guard let s = GroupStatistic(name: name) else {
                throw ValidationError(
                    "unknown statistic '\(name)'; choose from \(GroupStatistic.allCases.map(\.rawValue).joined(separator: ","))")
            }
            if !seen.contains(s) { seen.append(s) }
        }
        return seen
    }

    func run() throws {
        if mpi { return try runAcrossRanks() }
        let statistics = try statistics()
        let keySpec = try InputSpec(parsing: keys)
        let valueSpec = try InputSpec(parsing: values)
        let keyType = try keySpec.fileDType()
        guard !keyType.isFloatingPoint else {
            throw CLIError("\(keySpec): keys must be integers; the file holds \(keyType.rawValue)")
        }
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        let limit = try sizeLimitOptions.limit()
        let result: GroupedStatistics = try timeoutOption.bounding {
            let k: SharedArray<Int64>? = keyType == .int64 ? try keySpec.load(as: Int64.self, limit: limit, on: pool) : nil
            let k32: SharedArray<Int32>? = keyType == .int64 ? nil : try keySpec.load(as: Int32.self, limit: limit, on: pool)
            func grouped<E: SharedElement>(_: E.Type) throws -> GroupedStatistics {
                let v = try valueSpec.load(as: E.self, limit: limit, on: pool)
                do {
                    if let k { return try v.groupBy(keys: k, statistics, ddof: ddof) }
                    return try v.groupBy(keys: k32!, statistics, ddof: ddof)
                } catch let error as ArrayError {
                    throw CLIError("\(keySpec), \(valueSpec): \(error)")
                }
            }
            switch StatsCommand.computeType(for: try valueSpec.fileDType()) {
            case .float64: return try grouped(Double.self)
            case .float32: return try grouped(Float.self)
            case .int64: return try grouped(Int64.self)
            case .int32, .int16, .uint8: return try grouped(Int32.self)
            }
        }
        print(json ? Self.json(result, statistics) : Self.table(result, statistics))
    }

    /// `groupby --mpi`: the passes of one node's group-by, each across the ranks; rank 0 prints.
    func runAcrossRanks() throws {
        #if MPI
        let statistics = try statistics()
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        try RankRun.run(pool: pool, timeout: timeoutOption.duration) { world in
            // Checks that may fail run inside the settled part, so that a bad input is reported once.
            let prepared = Result { () throws -> [(spec: InputSpec, computeType: DType)] in
                let specs = try [keys, values].map { try InputSpec(parsing: $0) }
                for spec in specs {
                    if let decoding = try spec.cfDecoding(), decoding.isActive {
                        throw CLIError("\(spec): --mpi reads stored values; this dataset is CF-encoded (\(decoding.summary))")
                    }
                }
                let keyType = try specs[0].fileDType()
                guard !keyType.isFloatingPoint else { throw CLIError("\(specs[0]): keys must be integers; the file holds \(keyType.rawValue)") }
                return [(specs[0], keyType == .int64 ? .int64 : .int32), (specs[1], StatsCommand.computeType(for: try specs[1].fileDType()))]
            }
            let limit = try sizeLimitOptions.limit()
            func open(_ index: Int) throws -> DistributedSource {
                let input = try prepared.get()[index]
                return try DistributedSource.open(input.spec, computeType: input.computeType, limit: limit).source
            }
            func grouped<K: SharedElement, V: SharedElement>(_: K.Type, _: V.Type) throws -> GroupedStatistics? {
                try DistributedReduction.groupBy(
                    keys: { try open(0) }, values: { try open(1) }, as: (K.self, V.self), statistics, ddof: ddof, limit: limit, on: pool,
                    world: world, timeout: timeoutOption.duration)
            }
            let types = (try? prepared.get())?.map(\.computeType) ?? [.int64, .float64]
            let result = try withElementType(types[0]) { k in try withElementType(types[1]) { v in try grouped(k, v) } }
            guard let result else { return }
            print(json ? Self.json(result, statistics) : Self.table(result, statistics))
        }
        #else
        throw CLIError("--mpi: this mproc was built without MPI: swift build --traits MPI (make builds it that way)")
        #endif
    }

    static func json(_ g: GroupedStatistics, _ statistics: [GroupStatistic]) -> String {
        var fields = [("keys", "[" + g.keys.map(String.init).joined(separator: ",") + "]")]
        for s in statistics {
            if s == .sum, let exact = g.integerSums {
                fields.append((s.rawValue, "[" + exact.map(String.init).joined(separator: ",") + "]"))
                continue
            }
            fields.append((s.rawValue, "[" + (g[s] ?? []).map { jsonNumber($0, integer: s == .count) }.joined(separator: ",") + "]"))
        }
        return "{" + fields.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    static func table(_ g: GroupedStatistics, _ statistics: [GroupStatistic]) -> String {
        let header = ["key"] + statistics.map(\.rawValue)
        var rows = [header]
        for (i, key) in g.keys.enumerated() {
            rows.append([String(key)] + statistics.map { s in
                if s == .sum, let exact = g.integerSums { return String(exact[i]) }
                return formatValue(g[s]?[i], integer: s == .count)
            })
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in String(repeating: " ", count: widths[c] - cell.count) + cell }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
