import SharedArrays

/// What reads a dataset's elements by flat range, converted to a dtype: the seam streaming
/// (``MomentStreaming``) and decoding layers read through. ``HDF5DatasetReader`` is the one HDF5 reader.
protocol DatasetRangeReader: AnyObject {
    var info: HDF5DatasetInfo { get }
    func readElements(range: Range<Int>, into destination: UnsafeMutableRawPointer, as target: DType) throws
    func close()
}

extension HDF5DatasetReader: DatasetRangeReader {}

/// Opens `dataset` of `file` for range reads in this (worker) process: the same ``HDF5DatasetReader``
/// every command uses (raw chunks and libdeflate where the filters allow, `H5Dread` otherwise). The reader
/// chooses its lane per read, by the type asked for, so `computeType` only names what the caller will ask.
func openRangeReader(file: String, dataset: String, computeType: DType) throws -> any DatasetRangeReader {
    try HDF5DatasetReader(file: file, dataset: dataset)
}
