import SharedArrays

/// A range reader that decodes CF packing and masks (``CFDecoding``) as it reads: the stored values of a range
/// are read into a buffer this reader owns, then decoded into the destination (float32 or float64).
///
/// Made in the worker that reads (after the fork), wrapping that worker's own reader, so decoding is one more
/// pass over each chunk while it is in cache, in parallel on every worker.
final class CFDecodingReader: DatasetRangeReader {
    /// The file, for errors.
    let file: String
    let inner: any DatasetRangeReader
    let decoding: CFDecoding
    /// The inner reader's description with the decoded type.
    let info: HDF5DatasetInfo
    private var buffer: UnsafeMutableRawPointer?
    private var capacity = 0

    init(_ inner: any DatasetRangeReader, file: String, decoding: CFDecoding) {
        self.file = file
        self.inner = inner
        self.decoding = decoding
        var info = inner.info
        info.dtype = decoding.unpackedDType
        self.info = info
    }

    deinit { buffer?.deallocate() }

    func readElements(range: Range<Int>, into destination: UnsafeMutableRawPointer, as target: DType) throws {
        guard target.isFloatingPoint else {
            throw ArrayIOError(.invalidArgument, path: file, dataset: info.path,
                               "CF decoding gives \(decoding.unpackedDType.rawValue) values, not \(target.rawValue) (\(decoding.summary)); read them as a float type, or read the raw values with --raw (library: decode: false)")
        }
        if range.isEmpty { return }
        let packed = decoding.stored.packedDType
        guard let bytes = CheckedSize.product(range.count, packed.byteSize) else {
            throw ArrayIOError(.tooLarge, path: file, dataset: info.path, "element range \(range) is too large to read")
        }
        if capacity < bytes {
            buffer?.deallocate()
            buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            capacity = bytes
        }
        try inner.readElements(range: range, into: buffer!, as: packed)
        CFDecodeKernel.decode(decoding, from: buffer!, count: range.count, into: destination, as: target)
    }

    func close() { inner.close() }
}

/// Opens the reader a worker reads `dataset` with: the plain HDF5 reader (with `field`), or, where `fast` allows,
/// the raw-chunk reader; wrapped in a ``CFDecodingReader`` when `decode` is set and the dataset has CF
/// attributes to apply (never for a compound field).
func openDatasetReader(file: String, dataset: String, field: String? = nil, computeType: DType, decode: Bool,
                       fast: Bool) throws -> any DatasetRangeReader {
    let decoding = try decode && field == nil ? HDF5.cfDecodingInProcess(file: file, dataset: dataset) : nil
    guard let decoding, decoding.isActive else {
        if fast && field == nil { return try openRangeReader(file: file, dataset: dataset, computeType: computeType) }
        return try HDF5DatasetReader(file: file, dataset: dataset, field: field)
    }
    let inner: any DatasetRangeReader
    if fast {
        inner = try openRangeReader(file: file, dataset: dataset, computeType: decoding.stored.packedDType)
    } else {
        inner = try HDF5DatasetReader(file: file, dataset: dataset)
    }
    return CFDecodingReader(inner, file: file, decoding: decoding)
}
