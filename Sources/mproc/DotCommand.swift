import ArgumentParser
import DistributedArrays
import HDF5Arrays
import SharedArrays

struct DotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dot",
        abstract: "The dot product of two arrays of the same size (numpy's np.vdot: both flattened).",
        discussion: """
            Floating-point inputs get a compensated dot product (Dot2: as accurate as if computed in twice the \
            precision, then rounded), integers numpy's wrapping int64 sum. Both inputs are read as one type: \
            theirs when they agree, int64 when both are integers, float64 otherwise. The result is the same, \
            bit for bit, for any number of workers (and of MPI ranks with --mpi). An HDF5 dataset with CF \
            attributes is decoded first (--raw uses the stored values).
            Examples:
              mproc dot x.npy y.npy
              mproc dot run.h5:/power run.h5:/weight --json
              mpirun -np 4 mproc dot big-x.npy big-y.npy --mpi
            """)

    @Argument(help: "The first INPUT.npy or INPUT.h5:/dataset.")
    var input: String

    @Argument(help: "The second, with as many elements.")
    var other: String

    @Flag(name: .long, help: "Print JSON: the inputs, dtype, count and dot.")
    var json = false

    @Flag(name: .long, help: ArgumentHelp(
        "Run as one rank of an MPI job (mpirun -np N mproc dot --mpi ...): each rank reads its share of both "
            + "files; rank 0 combines and alone prints."))
    var mpi = false

    @OptionGroup var workerOptions: WorkerOptions
    @OptionGroup var sizeLimitOptions: SizeLimitOptions
    @OptionGroup var timeoutOption: TimeoutOption
    @OptionGroup var decodeOption: DecodeOption

    /// The type both inputs are read as: theirs when they agree, int64 for two integer types, else float64.
    static func commonType(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        return !a.isFloatingPoint && !b.isFloatingPoint ? .int64 : .float64
    }

    func run() throws {
        if mpi { return try runAcrossRanks() }
        var specs = try [input, other].map { try InputSpec(parsing: $0) }
        var fileTypes: [DType] = []
        for i in specs.indices {
            specs[i].decode = decodeOption.decode
            let decoding = try specs[i].decode ? specs[i].cfDecoding() : nil
            printDecodingNotes(decoding, of: specs[i])
            let fileType = try (decoding?.isActive == true ? decoding?.unpackedDType : nil) ?? specs[i].fileDType()
            fileTypes.append(StatsCommand.computeType(for: fileType))
        }
        let computeType = Self.commonType(fileTypes[0], fileTypes[1])
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        let clock = ContinuousClock()
        let start = clock.now
        let report: DotReport = try timeoutOption.bounding {
            func product<E: SharedElement>(_: E.Type) throws -> DotReport {
                let limit = try sizeLimitOptions.limit()
                let x = try specs[0].load(as: E.self, limit: limit, on: pool)
                let y = try specs[1].load(as: E.self, limit: limit, on: pool)
                guard x.count == y.count else {
                    throw CLIError("\(specs[0]) has \(x.count) elements and \(specs[1]) \(y.count); a dot product needs as many")
                }
                let partial = try x.reduce(DotReduction<E>(), pairedWith: y)[0]
                return DotReport(inputs: (specs[0].description, specs[1].description), dtype: E.dtype, count: x.count, partial: partial)
            }
            return try withElementType(computeType) { try product($0) }
        }
        print(json ? report.json() : report.table(elapsed: clock.now - start, workers: pool.workerCount))
    }

    /// `dot --mpi`: every rank reads its share of the chunk grid of both datasets; rank 0 prints.
    func runAcrossRanks() throws {
        #if MPI
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        let clock = ContinuousClock()
        let start = clock.now
        try RankRun.run(pool: pool, timeout: timeoutOption.duration) { world in
            // Checks that may fail run inside the settled part, so that a bad input is reported once.
            let prepared = Result { () throws -> ([InputSpec], DType) in
                var specs: [InputSpec] = []
                for text in [input, other] {
                    var spec = try InputSpec(parsing: text)
                    spec.decode = decodeOption.decode
                    if spec.decode, let decoding = try spec.cfDecoding(), decoding.isActive {
                        throw CLIError("\(spec): --mpi reads stored values; this dataset is CF-encoded (\(decoding.summary)): add --raw")
                    }
                    specs.append(spec)
                }
                let types = try specs.map { StatsCommand.computeType(for: try $0.fileDType()) }
                return (specs, Self.commonType(types[0], types[1]))
            }
            var count = 0
            func open(_ index: Int) throws -> DistributedSource {
                let (specs, computeType) = try prepared.get()
                let opened = try DistributedSource.open(specs[index], computeType: computeType, limit: try sizeLimitOptions.limit()).source
                if index == 0 { count = opened.count }
                return opened
            }
            func product<E: SharedElement>(_: E.Type) throws -> DotPartial? {
                try DistributedReduction.reduce(
                    DotReduction<E>(), of: { try open(0) }, pairedWith: { try open(1) }, on: pool, world: world,
                    timeout: timeoutOption.duration)?.first
            }
            let partial = try withElementType((try? prepared.get())?.1 ?? .float64) { try product($0) }
            guard let partial, case .success(let (specs, computeType)) = prepared else { return }
            let report = DotReport(
                inputs: (specs[0].description, specs[1].description), dtype: computeType, count: count, partial: partial, ranks: world.size)
            print(json ? report.json() : report.table(elapsed: clock.now - start, workers: pool.workerCount))
        }
        #else
        throw CLIError("--mpi: this mproc was built without MPI: swift build --traits MPI (make builds it that way)")
        #endif
    }
}

/// What `mproc dot` prints: the value with its inputs, or JSON.
struct DotReport {
    var inputs: (String, String)
    var dtype: DType
    var count: Int
    var partial: DotPartial
    /// The MPI ranks that computed it (`--mpi`), nil on one node.
    var ranks: Int? = nil

    /// The value with every digit: numpy's exact wrapping int64 for integers, the shortest decimal that reads
    /// back as the same double otherwise.
    var text: String {
        if !dtype.isFloatingPoint { return String(partial.integerSum) }
        return partial.value.isFinite ? "\(partial.value)" : formatValue(partial.value, integer: false)
    }

    func table(elapsed: Duration, workers: Int) -> String {
        [
            "dot of \(inputs.0) and \(inputs.1)  \(dtype.rawValue)  \(count) elements",
            "",
            "  " + text,
            "",
            "\(formatMilliseconds(elapsed)) ms · " + describeWorkers(workers, ranks: ranks),
        ].joined(separator: "\n")
    }

    func json() -> String {
        var fields: [(String, String)] = [
            ("input", jsonString(inputs.0)), ("other", jsonString(inputs.1)), ("dtype", jsonString(dtype.rawValue)), ("count", "\(count)"),
            ("dot", partial.value.isFinite || !dtype.isFloatingPoint ? text : "null"),
        ]
        if let ranks { fields.append(("ranks", "\(ranks)")) }
        return "{" + fields.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}
