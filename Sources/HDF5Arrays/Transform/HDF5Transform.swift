import CHDF5
import Multiprocessing
import SharedArrays

/// Element-wise transforms of HDF5 datasets written back as datasets, with attributes recording what
/// produced them.
///
/// The workers read the source's hyperslabs in parallel into shared memory and apply the operation there;
/// this process, the only writer, writes the result (chunked, optionally shuffle + gzip) to a temporary
/// file that is renamed over the output only when complete (``HDF5DatasetOutput``). When the output file
/// exists, its other contents are kept: the temporary file starts as a copy of it. An existing dataset is
/// replaced only with `overwrite: true`, so an existing output is never left half-written or silently replaced.
///
/// ```swift
/// try HDF5Transform.map(.sqrt, file: "run.h5", dataset: "/power", to: "out.h5", dataset: "/amplitude", on: pool)
/// ```
public enum HDF5Transform {
    /// Keeps HDF5 from closing its files again at process exit. HDF5 1.10 crashes in that cleanup when a
    /// file could not be flushed on close (a full disk); every file this package writes is closed
    /// explicitly. Call before any other HDF5 call (the CLI does, first thing).
    public static func skipLibraryCleanupAtExit() {
        _ = H5dont_atexit()
    }

    /// What ``map(_:file:dataset:to:dataset:dtype:gzipLevel:overwrite:on:)`` wrote.
    public struct Result: Sendable {
        public var file: String
        public var dataset: String
        public var shape: [Int]
        public var dtype: DType
        /// Bytes of the dataset in memory.
        public var bytes: Int
        /// The attributes set on the new dataset.
        public var attributes: [(name: String, value: HDF5AttributeValue)]
        public var loadTime: Duration
        public var computeTime: Duration
        public var writeTime: Duration
    }

    /// Applies `op` to every element of `dataset` in `file` and writes the result as `outputDataset` of
    /// `outputFile`, in the source's shape (N-D kept).
    ///
    /// - Parameters:
    ///   - dtype: float64 or float32; default float32 for a float32 source, float64 otherwise.
    ///   - gzipLevel: 1...9 adds shuffle and gzip filters; nil stores the chunks uncompressed.
    ///   - overwrite: replace `outputDataset` when it exists (otherwise that is an error).
    ///   - limit: the admission rule: a source whose declared size in the output type exceeds it is
    ///     refused before any read (see ``SizeLimit``).
    ///   - decode: apply the source's CF attributes first (``CFDecoding``); the default type is then the
    ///     decoded one. `false` transforms the stored values.
    ///   - memoryLimit: a source larger than this many bytes in the output type is streamed through two
    ///     windows of shared memory instead of loaded (``StreamedMap``); nil: always loaded.
    /// - Attributes written: `operation`, `source_file` (absolute), `source_dataset`, `tool`, `tool_version`.
    @discardableResult
    public static func map(
        _ op: UnaryOp, file: String, dataset: String, to outputFile: String, dataset outputDataset: String,
        dtype: DType? = nil, gzipLevel: Int? = nil, overwrite: Bool = false, limit: SizeLimit = .default,
        decode: Bool = true, memoryLimit: Int? = nil, on pool: WorkerPool
    ) throws -> Result {
        let info = try HDF5.datasetInfo(file: file, dataset: dataset)
        guard var stored = info.dtype else { throw info.notNumericError(file: file) }
        var decoded = false
        if decode, let decoding = try HDF5.cfDecoding(file: file, dataset: dataset), decoding.isActive {
            stored = decoding.unpackedDType
            decoded = true
        }
        let target = dtype ?? (stored == .float32 ? .float32 : .float64)
        guard target == .float64 || target == .float32 else {
            throw ArrayIOError(.invalidArgument, path: outputFile, dataset: outputDataset,
                               "the output type must be float64 or float32, not \(target.rawValue)")
        }
        _ = try info.admittedBytes(as: target, limit: limit, file: file)
        if let gzipLevel, !(1...9).contains(gzipLevel) {
            throw ArrayIOError(.invalidArgument, path: outputFile, dataset: outputDataset, "gzip level \(gzipLevel) is not in 1...9")
        }
        let output = try HDF5DatasetOutput(file: outputFile, dataset: outputDataset, overwrite: overwrite)
        let outputName = output.dataset
        let attributes: [(name: String, value: HDF5AttributeValue)] = [
            ("operation", .string(op.description)), ("source_file", .string(absolutePath(file))),
            ("source_dataset", .string(info.path)), ("tool", .string(HDF5Batch.toolName)),
            ("tool_version", .string(HDF5Batch.toolVersion)),
        ]
        var plan = WritePlan(output: output, shape: info.shape, gzipLevel: gzipLevel, attributes: attributes)
        // Streaming reads stored values: a CF-decoded source is loaded (its reader decodes per chunk).
        if let memoryLimit, !decoded, (CheckedSize.product(info.count, target.byteSize) ?? .max) > memoryLimit {
            plan.streamingLimit = memoryLimit
        }
        let times: (Duration, Duration, Duration)
        switch target {
        case .float32:
            times = try transform(Float.self, op, file: file, dataset: info.path, decode: decode, plan: plan, pool: pool)
        default:
            times = try transform(Double.self, op, file: file, dataset: info.path, decode: decode, plan: plan, pool: pool)
        }
        return Result(
            file: outputFile, dataset: outputName, shape: info.shape, dtype: target, bytes: info.count * target.byteSize,
            attributes: attributes, loadTime: times.0, computeTime: times.1, writeTime: times.2)
    }

    struct WritePlan {
        var output: HDF5DatasetOutput
        var shape: [Int]
        var gzipLevel: Int?
        var attributes: [(name: String, value: HDF5AttributeValue)]
        /// Stream through windows of at most this many bytes (see ``HDF5Transform/streamedTransform``).
        var streamingLimit: Int?
        var file: String { output.file }
        var dataset: String { output.dataset }
    }

    private static func transform<E: SharedElement>(
        _: E.Type, _ op: UnaryOp, file: String, dataset: String, decode: Bool, plan: WritePlan, pool: WorkerPool
    ) throws -> (Duration, Duration, Duration) {
        if plan.streamingLimit != nil { return try streamedTransform(E.self, op, file: file, dataset: dataset, plan: plan, pool: pool) }
        let clock = ContinuousClock()
        var start = clock.now
        // Admitted by map.
        let array = try SharedArray<E>.load(hdf5: file, dataset: dataset, decode: decode, limit: .unlimited, on: pool)
        let load = clock.now - start
        start = clock.now
        try array.apply(op)
        let compute = clock.now - start
        start = clock.now
        try plan.output.write { writer in
            let count = plan.shape.reduce(1, *)
            let chunked = !plan.shape.isEmpty && count > 0
            let rowBytes = Swift.max(1, plan.shape.dropFirst().reduce(1, *) * E.dtype.byteSize)
            try writer.createDataset(
                plan.dataset, dtype: E.dtype, shape: plan.shape,
                chunkRows: chunked ? Swift.max(1, (1 << 20) / rowBytes) : nil,
                gzipLevel: chunked ? plan.gzipLevel : nil, shuffle: chunked && plan.gzipLevel != nil)
            if count > 0 {
                try writer.writeElements(
                    dataset: plan.dataset, range: 0..<count, from: UnsafeRawPointer(array.unsafeElementPointer),
                    dtype: E.dtype)
            }
            for (name, value) in plan.attributes { try writer.setAttribute(name: name, value: value, on: plan.dataset) }
        }
        return (load, compute, clock.now - start)
    }

    /// HDF5's write failures quote the OS error deep inside a long message: bring it to the front.
    static func plainWriteFailure(_ reason: String) -> String {
        let marker = "error message = '"
        let scalars = Array(reason.unicodeScalars), key = Array(marker.unicodeScalars)
        guard scalars.count > key.count else { return reason }
        for i in 0...(scalars.count - key.count) where Array(scalars[i..<(i + key.count)]) == key {
            var message = ""
            for c in scalars[(i + key.count)...] {
                if c == "'" { break }
                message.unicodeScalars.append(c)
            }
            var head = ""
            for c in scalars {
                if c == ":" { break }
                head.unicodeScalars.append(c)
            }
            return "\(head): \(message)"
        }
        return reason
    }

    private static func absolutePath(_ path: String) -> String {
        FileSystem.resolvedPath(path) ?? path
    }
}
