import SharedArrays

/// Reads an HDF5 dataset into an array: each worker opens the file itself (after the fork, as HDF5
/// requires) and reads its own hyperslabs straight into the segment, converted to the element type.
struct HDF5LoadJob: WorkerJob {
    var file: JobString
    var dataset: JobString
    /// The compound member to read; empty for the whole element.
    var field: JobString
    var serial: UInt64
    var destination: SegmentReference
    var dtype: DType
    var plan: ChunkPlan
    /// Decode CF attributes (``CFDecoding``) after each read, in the worker.
    var decode = false

    static func run(_ job: HDF5LoadJob, chunk: Int, context: WorkerContext) throws {
        // Kept open across the chunks of one load (``WorkerReaderCache``).
        let reader = try WorkerReaderCache.reader(serial: job.serial) {
            let field = job.field.string
            return try openDatasetReader(
                file: job.file.string, dataset: job.dataset.string, field: field.isEmpty ? nil : field,
                computeType: job.dtype, decode: job.decode, fast: false)
        }
        let range = job.plan.range(of: chunk)
        let base = try context.address(of: job.destination) + range.lowerBound * job.dtype.byteSize
        try reader.readElements(range: range, into: base, as: job.dtype)
    }
}


extension SharedArray {
    /// Loads one HDF5 dataset (contiguous, chunked or compact; gzip/shuffle and the filters HDF5 finds plugins
    /// for; any integer or float type in either byte order, enums as their integer value, bitfields as
    /// unsigned integers, converted to `Element`), the workers reading their own hyperslabs in parallel,
    /// aligned to the dataset's HDF5 chunks. N-D datasets (N > 2) are viewed as `[shape[0], rest]`.
    /// A dataset whose declared size as `Element` exceeds `limit` is refused before any read (see
    /// ``SizeLimit``).
    ///
    /// ```swift
    /// let x = try SharedArray<Double>.load(hdf5: "run42.h5", dataset: "/temperature", on: pool)
    /// let t = try SharedArray<Double>.load(hdf5: "table.h5", dataset: "/readings", field: "pressure", on: pool)
    /// ```
    /// - Parameter field: for a compound dataset (a table), the numeric member to load; the error for a
    ///   compound dataset without one, or with a wrong one, lists the fields.
    /// - Parameter decode: apply the dataset's CF attributes (``CFDecoding``: `scale_factor`, `add_offset`,
    ///   `_FillValue`, `missing_value`, valid range; masked elements become NaN), as netCDF4-python and xarray
    ///   do by default; such a dataset loads as `Float` or `Double` only. `false` reads the stored values.
    public static func load(hdf5 file: String, dataset: String, field: String? = nil, decode: Bool = true,
                            limit: SizeLimit = .default, on pool: WorkerPool) throws -> SharedArray {
        // Opening a reader checks compact and contiguous storage against the declared size before any worker
        // reads (chunks are checked as read); in a forked child, so an HDF5 crash on a damaged file is an error.
        let (info, decoding) = try HDF5.checkedDatasetInfo(file: file, dataset: dataset, field: field, decode: decode)
        guard info.dtype != nil else { throw info.notNumericError(file: file) }
        if let decoding { try decoding.checkLoadable(as: Element.dtype, file: file, dataset: info.path) }
        _ = try info.admittedBytes(as: Element.dtype, limit: limit, file: file)
        guard let jobFile = JobString(file), let jobDataset = JobString(dataset), let jobField = JobString(field ?? "")
        else {
            throw ArrayIOError(.invalidArgument, path: file, dataset: dataset, "path is too long")
        }
        let result = try SizeLimit.allocating(for: file, dataset: info.path) {
            try SharedArray(zeros: arrayShape(forFileShape: info.shape), on: pool)
        }
        let rowLength = info.shape.count > 1 ? CheckedSize.elementCount(info.shape.dropFirst()) ?? 0 : 1
        // A chunk may be taller than the dataset (extendible datasets): never align past the rows there are.
        let chunkRows = Swift.min(info.chunkShape?.first ?? 1, Swift.max(1, info.shape.first ?? 1))
        let alignment = Swift.max(1, rowLength * chunkRows)
        let plan = ChunkPlan(
            count: info.count, elementSize: MemoryLayout<Element>.stride, alignment: alignment, targetBytes: 4 << 20)
        guard plan.chunkCount > 0 else { return result }
        let job = HDF5LoadJob(
            file: jobFile, dataset: jobDataset, field: jobField, serial: WorkerReaderCache.nextSerial(),
            destination: result.jobSegment, dtype: Element.dtype, plan: plan, decode: decoding != nil)
        try pool.run(job, chunks: plan.chunkCount, describeChunk: result.describe(plan))
        return result
    }

    /// Writes the array as `dataset` of the HDF5 file `file` (chunked, optionally gzip), with attributes on
    /// the dataset. A missing file is created; an existing HDF5 file keeps every other dataset, group and
    /// attribute, and an existing `dataset` is replaced only with `overwrite: true` (otherwise an error).
    /// Written through ``HDF5DatasetOutput``: a private copy beside `file`, renamed over it only when
    /// complete, so an interrupted save leaves `file` as it was; a symbolic link, a non-regular file or a
    /// file that is not HDF5 at `file` is refused and left untouched.
    ///
    /// ```swift
    /// try mean.save(hdf5: "run42.h5", dataset: "/summary/mean")   // the file's other datasets stay
    /// ```
    public func save(hdf5 file: String, dataset: String, gzipLevel: Int? = nil,
                     attributes: [String: HDF5AttributeValue] = [:], overwrite: Bool = false) throws {
        let output = try HDF5DatasetOutput(file: file, dataset: dataset, overwrite: overwrite)
        let contiguous = isContiguous ? self : try copy()
        try output.write { writer in
            let rowLength = shape.count > 1 ? shape[1] : 1
            let chunkRows = Swift.max(1, Swift.min(shape[0], (1 << 20) / Swift.max(1, rowLength * MemoryLayout<Element>.stride)))
            try writer.createDataset(
                output.dataset, dtype: Element.dtype, shape: shape, chunkRows: count > 0 ? chunkRows : nil,
                gzipLevel: gzipLevel)
            if count > 0 {
                try writer.writeElements(
                    dataset: output.dataset, range: 0..<count, from: UnsafeRawPointer(contiguous.unsafeElementPointer),
                    dtype: Element.dtype)
            }
            for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
                try writer.setAttribute(name: name, value: value, on: output.dataset)
            }
        }
    }
}
