import HDF5Arrays
import SharedArrays

/// `mproc stats` on a dataset larger than its memory limit: the statistics are streamed
/// (``StreamedReduction``) instead of computed on a loaded array, with the same bits.
extension StatsCommand {
    /// The report of a streamed run, or nil when the dataset fits in `limit` bytes as `E` (or a `.npy` file is
    /// mapped rather than copied, which takes no memory of its own).
    func streamedReport<E: SharedElement>(
        _: E.Type, spec: InputSpec, statistics: [Statistic], limit: Int?, pool: WorkerPool
    ) throws -> StatsReport? {
        guard let limit else { return nil }
        let admission = try sizeLimitOptions.limit()
        // Decide from the header or the dataspace (cheap); open the source only when streaming.
        let shape: [Int]
        switch spec.format {
        case .npy:
            let header = try NpyFile.read(path: spec.path)
            if SharedArray<E>.canMapFile(header) { return nil }
            shape = header.shape
        case .hdf5:
            let whole = try HDF5.datasetInfo(file: spec.path, dataset: try spec.resolvedDataset())
            shape = try spec.field.map { try whole.selecting(field: $0, file: spec.path) }?.shape ?? whole.shape
        }
        guard let bytes = admission.admittedBytes(shape: shape, elementSize: MemoryLayout<E>.stride), bytes > limit else {
            return nil  // fits, or refused by the load with the admission rule's own message
        }
        let stream: (((StreamedReduction.Progress) -> Void)?) throws -> Statistics
        switch spec.format {
        case .npy:
            let source = try NpyStreamSource(path: spec.path)
            stream = { try StreamedReduction.statistics(statistics, of: source, as: E.self, ddof: ddof, memoryLimit: limit, on: pool, progress: $0) }
        case .hdf5:
            let (source, _) = try HDF5StreamSource.open(
                file: spec.path, dataset: try spec.resolvedDataset(), field: spec.field, computeType: E.dtype, limit: admission)
            stream = { try StreamedReduction.statistics(statistics, of: source, as: E.self, ddof: ddof, memoryLimit: limit, on: pool, progress: $0) }
        }
        let reason = "\(spec): \(formatBytes(bytes)) as \(E.dtype.rawValue) is more than the memory limit of \(formatBytes(limit))"
        if let axis { throw CLIError("\(reason); --axis \(axis) needs the array in memory: raise --memory-limit") }
        if `where` != nil || column != nil {
            throw CLIError("\(reason); --where and --column need the array in memory: raise --memory-limit")
        }
        if !(try OrderOp.parseList(ops)).isEmpty {
            throw CLIError("\(reason); order statistics (median, pNN, qX) need the array in memory: raise --memory-limit")
        }
        let progress = Progress(enabled: isTerminal(2))
        defer { progress.finish() }
        let clock = ContinuousClock()
        var times: [Duration] = []
        var whole: Statistics?
        var windows = 0
        for _ in 0..<`repeat` {
            let start = clock.now
            whole = try stream { p in
                windows = p.windows
                progress.stage(
                    "streaming \(spec): window \(p.windowsDone) of \(p.windows) · "
                        + "\(formatBytes(p.elementsDone * MemoryLayout<E>.stride)) of \(formatBytes(bytes))")
            }
            times.append(clock.now - start)
        }
        return StatsReport(
            input: spec.description, dtype: E.dtype, shape: SharedArray<E>.arrayShape(forFileShape: shape), byteCount: bytes,
            workers: pool.workerCount, statistics: statistics, whole: whole, perAxis: nil, loadTime: .zero, computeTimes: times,
            streamedWindows: windows)
    }
}

extension InputSpec {
    /// ``load(as:limit:on:)``, except that a `.npy` file whose layout allows is mapped read-only rather than
    /// copied (`SharedArray.load(npy:mapped:)`): the commands that only read their input use this.
    func loadForReading<E: SharedElement>(as _: E.Type, limit: SizeLimit, on pool: WorkerPool) throws -> SharedArray<E> {
        switch format {
        case .npy: try SharedArray<E>.load(npy: path, mapped: true, limit: limit, on: pool)
        case .hdf5: try load(as: E.self, limit: limit, on: pool)
        }
    }
}
