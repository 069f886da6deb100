import Multiprocessing

/// A dataset that workers read window by window, for reductions over data larger than the memory they may
/// use (``StreamedReduction``). It is plain data (copied into shared memory for the workers): a path and
/// what is needed to read element ranges, never an open handle.
///
/// ```swift
/// let source = try NpyStreamSource(path: "big.npy")
/// let s = try StreamedReduction.statistics([.mean, .std], of: source, as: Double.self, memoryLimit: 64 << 20, on: pool)
/// ```
public protocol StreamSource: BitwiseCopyable, Sendable {
    /// Elements in all, in flat C order.
    var count: Int { get }
    /// Reads start at multiples of this many elements where they can (an HDF5 chunk's rows), so that no
    /// stored chunk is decoded twice except at a window's edges.
    var readAlignment: Int { get }
    /// Reads the flat elements `range` into `destination`, converted to `dtype`. Runs in a worker process;
    /// it may keep the file open between calls (HDF5 readers do).
    func read(_ range: Range<Int>, into destination: UnsafeMutableRawPointer, as dtype: DType) throws
    /// The whole source as a read-only array mapped from its file, no copy, when it stores `E`s as this
    /// process does (a `.npy` file of that type and byte order); nil when reading needs a conversion. A share
    /// of the grid (``StreamedReduction/partials(_:of:chunks:layout:on:timeout:)``) is then reduced in place
    /// from the page cache instead of being copied chunk by chunk.
    func mappedArray<E: SharedElement>(as _: E.Type, on pool: WorkerPool) throws -> SharedArray<E>?
}

extension StreamSource {
    public func mappedArray<E: SharedElement>(as _: E.Type, on pool: WorkerPool) throws -> SharedArray<E>? { nil }

    /// This source's value in a new segment, for jobs to load in the workers (it can be larger than a job).
    func storedInSegment() throws -> SharedMemory {
        let segment = try SharedMemory(byteCount: MemoryLayout<Self>.size)
        withUnsafeBytes(of: self) { segment.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return segment
    }
}

/// A `.npy` file as a ``StreamSource``: any stored type and byte order, converted as ``NpyFile`` reads it.
public struct NpyStreamSource: StreamSource {
    var path: JobString
    var header: StoredHeader

    /// The header's fields as plain data (``NpyHeader`` holds an array).
    struct StoredHeader: BitwiseCopyable, Sendable {
        var dtype: DType
        var isBigEndian: Bool
        var dataOffset: Int
        var count: Int
    }

    /// Reads and checks the header of the `.npy` file at `path` (see ``NpyFile/read(path:)``).
    public init(path: String) throws {
        let header = try NpyFile.read(path: path)
        guard let jobPath = JobString(path) else { throw ArrayIOError(.invalidArgument, path: path, "path is too long") }
        self.path = jobPath
        self.header = StoredHeader(
            dtype: header.dtype, isBigEndian: header.isBigEndian, dataOffset: header.dataOffset, count: header.count)
    }

    public var count: Int { header.count }
    public var readAlignment: Int { 1 }
    /// The stored element type.
    public var dtype: DType { header.dtype }

    public func read(_ range: Range<Int>, into destination: UnsafeMutableRawPointer, as dtype: DType) throws {
        let full = NpyHeader(
            dtype: header.dtype, isBigEndian: header.isBigEndian, shape: [header.count], dataOffset: header.dataOffset,
            count: header.count)
        try NpyFile.readElements(path: path.string, header: full, range: range, into: destination, as: dtype)
    }

    public func mappedArray<E: SharedElement>(as _: E.Type, on pool: WorkerPool) throws -> SharedArray<E>? {
        guard header.dtype == E.dtype, header.isBigEndian == (1.bigEndian == 1) || header.dtype.byteSize == 1,
              let array = try SharedArray<E>.loadMapped(npy: path.string, limit: .unlimited, on: pool) else { return nil }
        // The file was replaced since its header was read: the grid would not fit it.
        guard array.count == header.count else {
            throw ArrayIOError(.truncated, path: path.string, "the file changed while it was being read: \(array.count) elements, not \(header.count)")
        }
        return array
    }
}
