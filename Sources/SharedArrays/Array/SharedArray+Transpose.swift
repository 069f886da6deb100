extension SharedArray {
    /// The transpose of a 2-D array as a new `[columns, rows]` array (numpy's `a.T.copy()`), copied by the
    /// workers in cache-sized tiles; a 1-D array gives a copy.
    ///
    /// ```swift
    /// let byColumn = try table.transposed()    // row j is column j of table
    /// ```
    public func transposed() throws -> SharedArray {
        guard rank == 2 else { return try copy() }
        let result = try SharedArray(uninitialized: [shape[1], shape[0]], on: pool)
        let grid = TransposeGrid(rows: shape[0], columns: shape[1])
        guard grid.chunkCount > 0 else { return result }
        let job = TransposeJob(source: location, destination: result.location, grid: grid)
        try pool.run(job, chunks: grid.chunkCount) { chunk in
            "block \(chunk) (rows from \(chunk / grid.columnBlocks * grid.blockRows), columns from \(chunk % grid.columnBlocks * grid.blockColumns))"
        }
        return result
    }
}
