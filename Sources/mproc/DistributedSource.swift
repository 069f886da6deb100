import HDF5Arrays
import SharedArrays

/// The dataset `stats --mpi` reduces, as one ``StreamSource`` type whatever the file format: each rank's
/// workers read their own chunks from the file (`.npy` offsets, HDF5 hyperslabs).
enum DistributedSource: StreamSource {
    case npy(NpyStreamSource)
    case hdf5(HDF5StreamSource)

    /// Opens `spec`'s dataset for reading as `computeType`, with the array shape it has in memory.
    static func open(_ spec: InputSpec, computeType: DType, limit: SizeLimit) throws -> (source: DistributedSource, shape: [Int]) {
        switch spec.format {
        case .npy:
            let header = try NpyFile.read(path: spec.path)
            return (.npy(try NpyStreamSource(path: spec.path)), SharedArray<Double>.arrayShape(forFileShape: header.shape))
        case .hdf5:
            let (source, info) = try HDF5StreamSource.open(
                file: spec.path, dataset: try spec.resolvedDataset(), field: spec.field, computeType: computeType, limit: limit)
            return (.hdf5(source), SharedArray<Double>.arrayShape(forFileShape: info.shape))
        }
    }

    var count: Int {
        switch self {
        case .npy(let source): source.count
        case .hdf5(let source): source.count
        }
    }

    var readAlignment: Int {
        switch self {
        case .npy(let source): source.readAlignment
        case .hdf5(let source): source.readAlignment
        }
    }

    func mappedArray<E: SharedElement>(as type: E.Type, on pool: WorkerPool) throws -> SharedArray<E>? {
        switch self {
        case .npy(let source): try source.mappedArray(as: type, on: pool)
        case .hdf5: nil
        }
    }

    func read(_ range: Range<Int>, into destination: UnsafeMutableRawPointer, as dtype: DType) throws {
        switch self {
        case .npy(let source): try source.read(range, into: destination, as: dtype)
        case .hdf5(let source): try source.read(range, into: destination, as: dtype)
        }
    }
}
