import Multiprocessing

/// Reads a `.npy` file into an array: each worker preads its own chunks straight into the segment
/// (so it is also the first to touch those pages).
struct NpyLoadJob: WorkerJob {
    var path: JobString
    var fileDType: DType
    var isBigEndian: Bool
    var dataOffset: Int
    var count: Int
    var destination: ArrayLocation
    var plan: ChunkPlan

    static func run(_ job: NpyLoadJob, chunk: Int, context: WorkerContext) throws {
        let range = job.plan.range(of: chunk)
        let header = NpyHeader(
            dtype: job.fileDType, isBigEndian: job.isBigEndian, shape: [job.count], dataOffset: job.dataOffset,
            count: job.count)
        let target = job.destination.dtype
        let base = try job.destination.base(in: context) + range.lowerBound * target.byteSize
        try NpyFile.readElements(path: job.path.string, header: header, range: range, into: base, as: target)
    }
}

/// Writes an array's elements into a `.npy` file whose header is already written: each worker
/// pwrites its own chunks through its own file descriptor.
struct NpyWriteJob: WorkerJob {
    var path: JobString
    /// The file `path` must still be (the output's temporary file).
    var identity: FileIdentity
    var dataOffset: Int
    var source: ArrayLocation
    var plan: ChunkPlan

    static func run(_ job: NpyWriteJob, chunk: Int, context: WorkerContext) throws {
        let range = job.plan.range(of: chunk)
        let dtype = job.source.dtype
        let base = try job.source.base(in: context) + range.lowerBound * dtype.byteSize
        try NpyWriter.writeElements(
            path: job.path.string, identity: job.identity, dataOffset: job.dataOffset, dtype: dtype, range: range,
            from: base)
    }
}

extension SharedArray {
    /// Loads a `.npy` file (little or big endian, C order, any supported dtype converted to `Element`),
    /// the workers reading their own chunks in parallel. 1-D and 2-D files keep their shape; higher
    /// dimensions are viewed as 2-D `[shape[0], rest]`. A file whose declared size as `Element` exceeds
    /// `limit` is refused before any read (see ``SizeLimit``).
    public static func load(npy path: String, limit: SizeLimit = .default, on pool: WorkerPool) throws -> SharedArray {
        let header = try NpyFile.read(path: path)
        _ = try limit.admit(shape: header.shape, dtype: Element.dtype, path: path)
        guard let jobPath = JobString(path) else { throw ArrayIOError(.invalidArgument, path: path, "path is too long") }
        let shape = arrayShape(forFileShape: header.shape)
        let result = try SizeLimit.allocating(for: path) { try SharedArray(uninitialized: shape, on: pool) }
        let plan = ChunkPlan(count: header.count, elementSize: MemoryLayout<Element>.stride, targetBytes: 4 << 20)
        guard plan.chunkCount > 0 else { return result }
        let job = NpyLoadJob(
            path: jobPath, fileDType: header.dtype, isBigEndian: header.isBigEndian, dataOffset: header.dataOffset,
            count: header.count, destination: result.location, plan: plan)
        try pool.run(job, chunks: plan.chunkCount, describeChunk: result.describe(plan))
        return result
    }

    /// The in-memory shape for a file's shape: scalars become `[1]`, N-D (N > 2) becomes `[d0, rest]`.
    public static func arrayShape(forFileShape shape: [Int]) -> [Int] {
        switch shape.count {
        case 0: [1]
        case 1, 2: shape
        default: [shape[0], CheckedSize.elementCount(shape.dropFirst()) ?? 0]  // admitted shapes fit
        }
    }

    /// Writes the array to a `.npy` file, the workers writing their chunks in parallel into an
    /// ``AtomicOutputFile`` (a new file beside `path`, renamed over it only when complete), so an existing
    /// file is never left half-written and nothing is written through a symbolic link.
    public func save(npy path: String) throws {
        let contiguous = isContiguous ? self : try copy()
        try convertingOutputErrors(path: path) {
            try AtomicOutputFile.write(to: path) { output in
                guard let jobPath = JobString(output.temporaryPath) else {
                    throw ArrayIOError(.invalidArgument, path: path, "path is too long")
                }
                let writer = try NpyWriter.create(in: output, dtype: Element.dtype, shape: shape)
                let plan = ChunkPlan(count: count, elementSize: MemoryLayout<Element>.stride, targetBytes: 4 << 20)
                if plan.chunkCount > 0 {
                    let job = NpyWriteJob(
                        path: jobPath, identity: output.identity, dataOffset: writer.dataOffset,
                        source: contiguous.location, plan: plan)
                    try pool.run(job, chunks: plan.chunkCount, describeChunk: describe(plan))
                }
            }
        }
    }
}
