/// How the output of a matrix product is cut into tiles, one worker chunk each.
///
/// Every tile is one single-threaded BLAS call over the whole inner dimension, reading its rows of A and
/// its columns of B where they lie in shared memory, so no operand is copied and a tile's values do not
/// depend on which worker computed it. The grid depends only on the shapes, never on the worker count:
/// results are the same, bit for bit, for 1, 2 or 3 workers.
///
/// Tiles are square-ish and large (about ``edge`` on a side): a BLAS call packs its panel of B and of A
/// once, so thin row blocks (the old grid: 256 rows x all columns) re-pack all of B for every block.
struct ProductTiling: BitwiseCopyable, Sendable, Equatable {
    /// The output's shape.
    var rows: Int, columns: Int
    /// A tile's shape (the last tile of a row or column of tiles may be smaller).
    var tileRows: Int, tileColumns: Int

    /// The longest side of a tile.
    static let edge = 1024
    /// Products with fewer multiply-adds than this are one tile: splitting costs more than it saves.
    static let smallestSplit = 1 << 21

    init(rows: Int, columns: Int, inner: Int) {
        self.rows = rows
        self.columns = columns
        let work = rows.multipliedReportingOverflow(by: columns)
        let total = work.overflow ? (partialValue: 0, overflow: true) : work.partialValue.multipliedReportingOverflow(by: inner)
        if !total.overflow && total.partialValue < Self.smallestSplit {
            tileRows = Swift.max(1, rows)
            tileColumns = Swift.max(1, columns)
        } else {
            tileRows = Self.side(rows)
            tileColumns = Self.side(columns)
        }
    }

    /// `length` cut into near-equal pieces of at most ``edge``, and into at least two from 256 on (so a
    /// 1024 x 1024 product is four tiles, not one for one worker), rounded up to a multiple of 64.
    private static func side(_ length: Int) -> Int {
        guard length >= 256 else { return Swift.max(1, length) }
        let pieces = Swift.max(2, (length + edge - 1) / edge)
        let even = (length + pieces - 1) / pieces
        return Swift.min(length, (even + 63) / 64 * 64)
    }

    var rowTiles: Int { rows == 0 ? 0 : (rows + tileRows - 1) / tileRows }
    var columnTiles: Int { columns == 0 ? 0 : (columns + tileColumns - 1) / tileColumns }
    /// Number of tiles (0 for an empty output).
    var count: Int { rowTiles * columnTiles }

    /// The output rows and columns of tile `index` (row of tiles by row of tiles).
    func tile(_ index: Int) -> (rows: Range<Int>, columns: Range<Int>) {
        let r0 = index / columnTiles * tileRows, c0 = index % columnTiles * tileColumns
        return (r0..<Swift.min(rows, r0 + tileRows), c0..<Swift.min(columns, c0 + tileColumns))
    }
}
