import SharedArrays

extension HDF5Transform {
    /// ``map(_:file:dataset:to:dataset:dtype:gzipLevel:overwrite:limit:memoryLimit:on:)`` for a source larger
    /// than its memory limit: the workers read and transform it window by window (``StreamedMap``), and this
    /// process writes each finished window as a hyperslab of the output, so memory holds two windows at most.
    /// The output's layout, attributes and values are those of the in-memory path. Load time is included in
    /// the compute time (reads overlap compute), and write time is the time spent writing windows.
    static func streamedTransform<E: SharedElement>(
        _: E.Type, _ op: UnaryOp, file: String, dataset: String, plan: WritePlan, pool: WorkerPool
    ) throws -> (Duration, Duration, Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        var writing = Duration.zero
        let (source, _) = try HDF5StreamSource.open(file: file, dataset: dataset, computeType: E.dtype, limit: .unlimited)  // admitted by map
        try plan.output.write { writer in
            let count = plan.shape.reduce(1, *)
            let chunked = !plan.shape.isEmpty && count > 0
            let rowBytes = Swift.max(1, plan.shape.dropFirst().reduce(1, *) * E.dtype.byteSize)
            try writer.createDataset(
                plan.dataset, dtype: E.dtype, shape: plan.shape,
                chunkRows: chunked ? Swift.max(1, (1 << 20) / rowBytes) : nil,
                gzipLevel: chunked ? plan.gzipLevel : nil, shuffle: chunked && plan.gzipLevel != nil)
            try StreamedMap.map(op, of: source, as: E.self, memoryLimit: plan.streamingLimit ?? .max, on: pool) { range, values in
                let begin = clock.now
                try writer.writeElements(dataset: plan.dataset, range: range, from: values, dtype: E.dtype)
                writing += clock.now - begin
            }
            for (name, value) in plan.attributes { try writer.setAttribute(name: name, value: value, on: plan.dataset) }
        }
        return (.zero, clock.now - start - writing, writing)
    }
}
