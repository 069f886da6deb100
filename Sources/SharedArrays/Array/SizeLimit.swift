import Multiprocessing

/// The admission rule for arrays read from files: a dataset whose declared in-memory size (its element
/// count times the size of the element type it is computed in) exceeds the limit is refused before any of
/// it is read. `stats`, `map`, `batch` (streaming or not) and the library loads
/// (``SharedArray/load(npy:limit:on:)``, `SharedArray.load(hdf5:dataset:limit:on:)`, `HDF5Transform.map`,
/// `HDF5Batch`) all apply this one rule.
///
/// The declared size is what the file's header or dataspace says, not what the file holds: a 2 KB HDF5
/// file can declare 2^62 chunked elements that were never written, and reading its fill values would take
/// hours (streaming) or all memory (loading).
///
/// **The default** (``default``) is the smaller of 1 TiB (``defaultCeiling``) and the machine's physical
/// memory: a dataset that could never be held in memory on this machine is refused unless the caller
/// raises the limit (`--max-bytes SIZE` on the command line, `limit:` in the library). Physical memory
/// rather than the memory free at the moment keeps the rule the same from run to run; loading still fails
/// cleanly when the memory free now is too small.
///
/// ```swift
/// let limit = try SizeLimit(parsing: "64G")
/// let x = try SharedArray<Double>.load(npy: "big.npy", limit: limit, on: pool)
/// ```
public struct SizeLimit: Sendable, Equatable, CustomStringConvertible {
    /// The largest declared size admitted, in bytes.
    public var bytes: Int

    /// A limit of `bytes` bytes (negative counts as 0).
    public init(bytes: Int) { self.bytes = Swift.max(0, bytes) }

    /// The fixed part of the default: 1 TiB.
    public static let defaultCeiling = 1 << 40

    /// The smaller of ``defaultCeiling`` and the machine's physical memory.
    public static var `default`: SizeLimit {
        SizeLimit(bytes: Swift.min(defaultCeiling, physicalMemory() ?? defaultCeiling))
    }

    /// No limit (`Int.max` bytes): every declared size that can be computed at all is admitted.
    public static let unlimited = SizeLimit(bytes: .max)

    /// Parses a size as typed after `--max-bytes`: `1000000`, `512M`, `8G`, `1T` (powers of 1024; `8GiB`
    /// and `2^33` also work). Throws for anything else, or a size past `Int.max`.
    public init(parsing text: String) throws {
        guard let bytes = CheckedSize.parse(text) else {
            throw ArrayError(.invalidArgument, operation: nil, input: "size", "'\(text)' is not a size: give bytes up to \(Int.max), optionally with K, M, G, T, P or E (powers of 1024), e.g. 512M or 8G")
        }
        self.init(bytes: bytes)
    }

    /// `24.0 GiB (25769803776 bytes)`.
    public var description: String { "\(CheckedSize.formatLargeBytes(Double(bytes))) (\(bytes) bytes)" }

    /// Whether `shape` elements of `elementSize` bytes are admitted; their byte count when they are.
    public func admittedBytes(shape: [Int], elementSize: Int) -> Int? {
        guard let total = CheckedSize.byteCount(shape: shape, elementSize: elementSize), total <= bytes else {
            return nil
        }
        return total
    }

    /// Checks a dataset's declared size before anything is read; returns its byte count in `dtype`.
    ///
    /// - Throws: ``ArrayIOError`` of kind ``ArrayIOError/Kind/tooLarge`` naming `path` (and `dataset`),
    ///   the declared shape and size, and this limit.
    public func admit(shape: [Int], dtype: DType, path: String, dataset: String? = nil) throws -> Int {
        if let total = admittedBytes(shape: shape, elementSize: dtype.byteSize) { return total }
        throw ArrayIOError(.tooLarge, path: path, dataset: dataset, refusal(shape: shape, dtype: dtype))
    }

    /// Why `shape` of `dtype` is refused, without the file name (batch records carry that separately).
    public func refusal(shape: [Int], dtype: DType) -> String {
        let declared = CheckedSize.describeBytes(shape: shape, elementSize: dtype.byteSize)
        if shape.contains(where: { $0 < 0 }) {
            return "declared shape \(shape) has a negative dimension"
        }
        return "declared shape \(shape) of \(dtype.rawValue) is \(declared), more than the limit of \(self)"
            + "; raise it with --max-bytes (limit: in the library) if this is intended"
    }

    /// The machine's physical memory in bytes, nil when unknown.
    static func physicalMemory() -> Int? { SystemMemory.physicalBytes }
}

extension SizeLimit {
    /// Runs `body`, which allocates the array for a dataset admitted by this rule, and names the file
    /// (and dataset) in a shared-memory failure: an admitted dataset can still be larger than the memory
    /// free right now.
    public static func allocating<T>(for path: String, dataset: String? = nil, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SharedMemoryError {
            switch error {
            case .insufficientMemory, .insufficientSpace:
                throw ArrayIOError(.tooLarge, path: path, dataset: dataset, "\(error)")
            default:
                throw ArrayIOError(.ioFailure, path: path, dataset: dataset, "\(error)")
            }
        }
    }
}
