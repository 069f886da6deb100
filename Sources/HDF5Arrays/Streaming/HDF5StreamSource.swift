import Multiprocessing
import SharedArrays
import Synchronization

/// One HDF5 dataset (or one numeric field of a compound dataset) as a ``StreamSource``: the workers read
/// their ranges of a window through the same reader as `SharedArray.load(hdf5:)` (hyperslabs of whole
/// stored chunks where the range allows), each opening the file itself after the fork and keeping it open
/// for the rest of the stream.
///
/// ```swift
/// let (source, info) = try HDF5StreamSource.open(file: "big.h5", dataset: "/data", computeType: .float64)
/// let s = try StreamedReduction.statistics([.mean], of: source, as: Double.self, memoryLimit: 1 << 30, on: pool)
/// ```
public struct HDF5StreamSource: StreamSource {
    var file: JobString
    var dataset: JobString
    var field: JobString
    /// Tells one stream's reader apart from the next one's in a worker.
    var serial: UInt64
    public let count: Int
    public let readAlignment: Int
    /// The type the dataset (or field) holds.
    public let dtype: DType

    /// Opens and checks the dataset (in a forked child, as `load(hdf5:)` does), admits its declared size as
    /// `computeType` under `limit`, and returns the source with what the file says about the dataset.
    public static func open(
        file: String, dataset: String, field: String? = nil, computeType: DType, limit: SizeLimit = .default
    ) throws -> (source: HDF5StreamSource, info: HDF5DatasetInfo) {
        let info = try HDF5.checkedDatasetInfo(file: file, dataset: dataset, field: field)
        guard let stored = info.dtype else { throw info.notNumericError(file: file) }
        _ = try info.admittedBytes(as: computeType, limit: limit, file: file)
        guard let jobFile = JobString(file), let jobDataset = JobString(info.path), let jobField = JobString(field ?? "") else {
            throw ArrayIOError(.invalidArgument, path: file, dataset: dataset, "path is too long")
        }
        let rowLength = info.shape.count > 1 ? CheckedSize.elementCount(info.shape.dropFirst()) ?? 0 : 1
        let chunkRows = Swift.min(info.chunkShape?.first ?? 1, Swift.max(1, info.shape.first ?? 1))
        let source = HDF5StreamSource(
            file: jobFile, dataset: jobDataset, field: jobField, serial: streamSerial.wrappingAdd(1, ordering: .relaxed).oldValue,
            count: info.count, readAlignment: Swift.max(1, CheckedSize.product(rowLength, chunkRows) ?? 1), dtype: stored)
        return (source, info)
    }

    public func read(_ range: Range<Int>, into destination: UnsafeMutableRawPointer, as dtype: DType) throws {
        try reader().readElements(range: range, into: destination, as: dtype)
    }

    /// This worker's reader for this stream, opened on first use.
    private func reader() throws -> HDF5DatasetReader {
        if let open = Self.openReader, open.serial == serial { return open.reader }
        Self.openReader?.reader.close()
        Self.openReader = nil
        let name = field.string
        let reader = try HDF5DatasetReader(file: file.string, dataset: dataset.string, field: name.isEmpty ? nil : name)
        Self.openReader = (serial, reader)
        return reader
    }

    /// The reader a worker keeps open across one stream's reads (a worker runs one item at a time).
    nonisolated(unsafe) private static var openReader: (serial: UInt64, reader: HDF5DatasetReader)?
}

private let streamSerial = Atomic<UInt64>(1)
