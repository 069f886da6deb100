import ArgumentParser
import DistributedArrays
import HDF5Arrays
import SharedArrays
#if canImport(Glibc)
import Glibc
#endif

extension StatsCommand {
    /// `stats --mpi`: every rank of the MPI job reduces its share of the dataset's chunk grid on its own
    /// pool; rank 0 combines the partials in the single-node order and alone prints the result.
    func runAcrossRanks() throws {
        #if MPI
        // The workers fork before MPI starts (forking after MPI_Init is unsafe with Open MPI).
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        try RankRun.run(pool: pool, timeout: timeoutOption.duration) { world in
            if let report = try distributedReport(pool: pool, world: world) { print(json ? report.json() : report.table()) }
        }
        #else
        throw CLIError("--mpi: this mproc was built without MPI: swift build --traits MPI (make builds it that way)")
        #endif
    }

    #if MPI
    /// What rank 0 prints; nil on the other ranks.
    private func distributedReport(pool: WorkerPool, world: MPICommunicator) throws -> StatsReport? {
        // Checks that may fail run inside the settled part, so that a bad input is reported once.
        let prepared = Result<(spec: InputSpec, computeType: DType), any Error> {
            let unsupported = [
                (`where` != nil, "--where"), (column != nil, "--column"),
                (`repeat` != 1, "--repeat"), (memoryLimitOption.memoryLimit != nil, "--memory-limit"),
            ].filter(\.0).map(\.1)
            guard unsupported.isEmpty else {
                throw CLIError("--mpi computes whole-array, per-column (--axis 0) or per-row (--axis 1) statistics; it cannot be combined with \(unsupported.joined(separator: ", "))")
            }
            _ = try OrderOp.parseList(ops)  // a bad order op is reported here, once
            guard ExactSumOp.parseList(ops).isEmpty else {
                throw CLIError("--mpi computes the moments statistics (\(Statistic.allCases.map(\.rawValue).joined(separator: ","))) and order statistics; fsum needs the whole array on one node")
            }
            var spec = try InputSpec(parsing: input, field: field)
            spec.decode = decodeOption.decode
            if spec.decode, let decoding = try spec.cfDecoding(), decoding.isActive {
                throw CLIError("\(spec): --mpi reads stored values; this dataset is CF-encoded (\(decoding.summary)): add --raw")
            }
            let fileType = try spec.fileDType()
            let computeType = dtype == "auto" ? Self.computeType(for: fileType) : DType(name: dtype) ?? .float64
            return (spec, computeType)
        }
        switch (try? prepared.get())?.computeType ?? .float64 {
        case .float64: return try distributedReport(Double.self, prepared, pool: pool, world: world)
        case .float32: return try distributedReport(Float.self, prepared, pool: pool, world: world)
        case .int64: return try distributedReport(Int64.self, prepared, pool: pool, world: world)
        case .int32, .int16, .uint8: return try distributedReport(Int32.self, prepared, pool: pool, world: world)
        }
    }

    private func distributedReport<E: SharedElement>(
        _: E.Type, _ prepared: Result<(spec: InputSpec, computeType: DType), any Error>,
        pool: WorkerPool, world: MPICommunicator
    ) throws -> StatsReport? {
        let clock = ContinuousClock()
        let start = clock.now
        var shape: [Int] = []
        // From the command line alone, so that every rank runs the same collectives whatever its file does.
        let statistics = (try? parsedStatistics()) ?? []
        let orderOps = (try? OrderOp.parseList(ops)) ?? []
        let method = QuantileMethod(name: quantileMethod) ?? .linear
        func open() throws -> DistributedSource {
            let (spec, computeType) = try prepared.get()
            let opened = try DistributedSource.open(spec, computeType: computeType, limit: try sizeLimitOptions.limit())
            shape = opened.shape
            return opened.source
        }
        /// The table `--axis` needs: its source, rows and columns.
        func openTable() throws -> (source: DistributedSource, rows: Int, columns: Int) {
            let source = try open()
            guard shape.count == 2 else { throw CLIError("\(input): --axis \(axis ?? 0) needs a 2-D array; this one has shape \(shape)") }
            return (source, shape[0], shape[1])
        }
        var whole: Statistics?
        var perAxis: AxisStatistics?
        var orders = OrderResults()
        let limit = try sizeLimitOptions.limit()
        let orderStatistics = orderOps.map(\.statistic)
        if axis == nil, !orderOps.isEmpty {
            // Whole-array order statistics: each rank's share is loaded once, for the moments too.
            let values: [Double]?
            if statistics.isEmpty {
                values = try DistributedReduction.orderStatistics(
                    orderStatistics, method: method, of: open, as: E.self, limit: limit, on: pool, world: world, timeout: timeoutOption.duration)
            } else {
                let both = try DistributedReduction.statistics(
                    statistics, orderStatistics: orderStatistics, method: method, of: open, as: E.self, ddof: ddof, limit: limit, on: pool,
                    world: world, timeout: timeoutOption.duration)
                (whole, values) = (both?.statistics, both?.orderStatistics)
            }
            guard let values else { return nil }
            orders = OrderResults(names: orderOps.map(\.name), values: values.map { [$0] })
        } else {
            if !orderOps.isEmpty, statistics.isEmpty {
                // Order ops along an axis only: no moments pass (as on one node).
            } else if axis == 0 {
                perAxis = try DistributedReduction.columnStatistics(
                    statistics,
                    of: {
                        let (source, _, columns) = try openTable()
                        return (source, columns)
                    }, as: E.self, ddof: ddof, on: pool, world: world, timeout: timeoutOption.duration)
            } else if axis == 1 {
                perAxis = try DistributedReduction.rowStatistics(
                    statistics, of: openTable, as: E.self, ddof: ddof, on: pool, world: world, timeout: timeoutOption.duration)
            } else if let stride {
                perAxis = try DistributedReduction.stridedStatistics(
                    statistics, parts: stride, of: open, as: E.self, ddof: ddof, on: pool, world: world, timeout: timeoutOption.duration)
                    .map { Self.perPart($0, statistics) }
            } else {
                whole = try DistributedReduction.statistics(
                    statistics, of: open, as: E.self, ddof: ddof, on: pool, world: world, timeout: timeoutOption.duration)
            }
            // Ranks other than 0 got nil above and go on to the order statistics' passes all the same.
            if let axis, !orderOps.isEmpty {
                let values = try DistributedReduction.axisOrderStatistics(
                    orderStatistics, axis: axis, method: method, of: openTable, as: E.self, limit: limit, on: pool, world: world,
                    timeout: timeoutOption.duration)
                guard let values else { return nil }
                orders = OrderResults(names: orderOps.map(\.name), values: values, axis: axis)
            }
        }
        guard world.rank == 0, case .success(let ready) = prepared else { return nil }
        var report = StatsReport(
            input: ready.spec.description, dtype: E.dtype, shape: shape,
            byteCount: (CheckedSize.elementCount(shape) ?? 0) * MemoryLayout<E>.stride, workers: pool.workerCount,
            statistics: statistics, whole: whole, perAxis: perAxis, loadTime: .zero, computeTimes: [clock.now - start])
        report.ranks = world.size
        report.stride = stride
        report.orders = orders
        return report
    }
    #endif
}
