import Multiprocessing

/// The tiles of a blocked transpose: a `rows x columns` source cut into blocks of ``blockRows`` x
/// ``blockColumns`` elements, one chunk each, copied in 64 x 64 tiles so that both the reads and the writes of
/// a tile stay in cache. The grid depends only on the shape.
struct TransposeGrid: BitwiseCopyable, Sendable {
    var rows: Int, columns: Int
    var blockRows: Int, blockColumns: Int

    static let tile = 64

    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        // 256 x 256 blocks, stretched along the long side of a narrow table so a chunk has ~64k elements.
        blockColumns = Swift.min(256, Swift.max(1, columns))
        blockRows = Swift.min(256, Swift.max(1, rows))
        if blockColumns < 256 { blockRows = Swift.min(Swift.max(1, rows), Self.roundToTile(65_536 / blockColumns)) }
        if blockRows < 256 { blockColumns = Swift.min(Swift.max(1, columns), Self.roundToTile(65_536 / blockRows)) }
    }

    private static func roundToTile(_ n: Int) -> Int { (n + tile - 1) / tile * tile }

    var rowBlocks: Int { (rows + blockRows - 1) / blockRows }
    var columnBlocks: Int { (columns + blockColumns - 1) / blockColumns }
    var chunkCount: Int { rows == 0 || columns == 0 ? 0 : rowBlocks * columnBlocks }
}

/// Copies block `chunk` of a row-major `rows x columns` source into the `columns x rows` destination.
struct TransposeJob: WorkerJob {
    var source: ArrayLocation
    var destination: ArrayLocation
    var grid: TransposeGrid

    static func run(_ job: TransposeJob, chunk: Int, context: WorkerContext) throws {
        let s = UnsafeRawPointer(try job.source.base(in: context))
        let d = try job.destination.base(in: context)
        switch job.source.dtype.byteSize {
        case 8: job.copyBlock(chunk, s.assumingMemoryBound(to: UInt64.self), d.assumingMemoryBound(to: UInt64.self))
        case 4: job.copyBlock(chunk, s.assumingMemoryBound(to: UInt32.self), d.assumingMemoryBound(to: UInt32.self))
        case 2: job.copyBlock(chunk, s.assumingMemoryBound(to: UInt16.self), d.assumingMemoryBound(to: UInt16.self))
        default: job.copyBlock(chunk, s.assumingMemoryBound(to: UInt8.self), d.assumingMemoryBound(to: UInt8.self))
        }
    }

    private func copyBlock<W>(_ chunk: Int, _ s: UnsafePointer<W>, _ d: UnsafeMutablePointer<W>) {
        let (rows, columns) = (grid.rows, grid.columns)
        let r0 = chunk / grid.columnBlocks * grid.blockRows, c0 = chunk % grid.columnBlocks * grid.blockColumns
        let r1 = Swift.min(rows, r0 + grid.blockRows), c1 = Swift.min(columns, c0 + grid.blockColumns)
        let tile = TransposeGrid.tile
        var ti = r0
        while ti < r1 {
            let ti1 = Swift.min(r1, ti + tile)
            var tj = c0
            while tj < c1 {
                let tj1 = Swift.min(c1, tj + tile)
                for j in tj..<tj1 {
                    let out = d + j * rows
                    for i in ti..<ti1 { out[i] = s[i * columns + j] }
                }
                tj = tj1
            }
            ti = ti1
        }
    }
}
