/// How an array of `count` elements is split into chunks.
///
/// The grid depends only on the data (element count, element size, target chunk bytes), never on the
/// number of workers, so every chunk's partial result — and their fixed-order combine — is the same
/// for 1, 2 or 64 workers. Chunks start on 4 KiB page boundaries (workers never share a page they
/// write) and have near-equal lengths (the tail chunk is not a sliver).
public struct ChunkPlan: Sendable, Equatable, BitwiseCopyable {
    /// Elements in all.
    public let count: Int
    /// Elements per chunk (the last chunk may be shorter).
    public let chunkLength: Int
    /// Number of chunks (0 for an empty array).
    public let chunkCount: Int

    /// Target bytes per chunk: small enough for a chunk to stay in L2 cache between the passes of a
    /// two-pass kernel (variance), large enough that scheduling costs nothing.
    public static let defaultTargetBytes = 256 << 10

    /// Plans chunks for `count` elements of `elementSize` bytes.
    public init(count: Int, elementSize: Int, targetBytes: Int = ChunkPlan.defaultTargetBytes) {
        precondition(count >= 0 && elementSize > 0 && targetBytes > 0)
        self.count = count
        guard count > 0 else {
            chunkLength = 0
            chunkCount = 0
            return
        }
        let alignment = max(1, 4096 / elementSize)
        let target = max(alignment, targetBytes / elementSize)
        let even = Self.divideRoundingUp(count, Self.divideRoundingUp(count, target))
        let length = Self.roundUp(even, to: alignment)
        chunkLength = length
        chunkCount = Self.divideRoundingUp(count, length)
    }

    /// Plans chunks whose starts are multiples of `alignment` elements (an HDF5 chunk, a row block),
    /// of about `targetBytes` each.
    public init(count: Int, elementSize: Int, alignment: Int, targetBytes: Int) {
        precondition(count >= 0 && elementSize > 0 && alignment > 0 && targetBytes > 0)
        self.count = count
        guard count > 0 else {
            chunkLength = 0
            chunkCount = 0
            return
        }
        let target = max(alignment, targetBytes / elementSize / alignment * alignment)
        let even = Self.divideRoundingUp(count, Self.divideRoundingUp(count, target))
        chunkLength = Self.roundUp(even, to: alignment)
        chunkCount = Self.divideRoundingUp(count, chunkLength)
    }

    /// Plans whole rows: each chunk is a block of rows of `rowLength` elements.
    public init(rows: Int, rowLength: Int, elementSize: Int, targetBytes: Int = ChunkPlan.defaultTargetBytes) {
        precondition(rows >= 0 && rowLength >= 0 && elementSize > 0)
        count = rows
        guard rows > 0 else {
            chunkLength = 0
            chunkCount = 0
            return
        }
        let rowBytes = max(1, CheckedSize.product(rowLength, elementSize) ?? .max)
        let target = max(1, targetBytes / rowBytes)
        chunkLength = Self.divideRoundingUp(rows, Self.divideRoundingUp(rows, target))
        chunkCount = Self.divideRoundingUp(rows, chunkLength)
    }

    /// The grid of the elements the run `chunks` covers, with this grid's chunk length: its chunk `i` is this
    /// grid's chunk `chunks.lowerBound + i`. For a share of an array held on its own (an MPI rank's).
    public func run(_ chunks: Range<Int>) -> ChunkPlan {
        guard !chunks.isEmpty, chunks.lowerBound >= 0, chunks.upperBound <= chunkCount else { return ChunkPlan(count: 0, elementSize: 1) }
        let first = range(of: chunks.lowerBound).lowerBound
        return ChunkPlan(count: range(of: chunks.upperBound - 1).upperBound - first, chunkLength: chunkLength, chunkCount: chunks.count)
    }

    private init(count: Int, chunkLength: Int, chunkCount: Int) {
        self.count = count
        self.chunkLength = chunkLength
        self.chunkCount = chunkCount
    }

    /// The element (or row) range of chunk `index`.
    public func range(of index: Int) -> Range<Int> {
        let start = index * chunkLength
        return start..<start + min(count - start, chunkLength)
    }

    // Written so that no step can overflow, whatever the count (the count may come from a file).

    /// ⌈a / b⌉ for a >= 0, b > 0.
    private static func divideRoundingUp(_ a: Int, _ b: Int) -> Int { a / b + (a % b == 0 ? 0 : 1) }

    /// `value` rounded up to a multiple of `alignment`, or the largest multiple below `Int.max` when that
    /// does not fit (a chunk longer than the array is clipped by ``range(of:)``).
    private static func roundUp(_ value: Int, to alignment: Int) -> Int {
        CheckedSize.product(divideRoundingUp(value, alignment), alignment) ?? Int.max / alignment * alignment
    }
}
