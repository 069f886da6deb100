import Multiprocessing

/// Medians and quantiles along an axis of a 2-D table, numpy's `axis=` argument: axis 0 gives one value
/// per column, axis 1 one per row. NaN rules, methods and errors as for the whole array.
///
/// ```swift
/// let perColumn = try table.median(axis: 0)
/// let quartiles = try table.quantile([0.25, 0.75], axis: 1)     // [q][row]
/// ```
extension SharedArray {
    /// The median of each column (axis 0) or row (axis 1).
    public func median(axis: Int, timeout: Duration? = nil) throws -> [Double] {
        try axisOrderStatistics(.median, axis: axis, skipNaN: false, name: "median", timeout: timeout)[0]
    }

    /// The median of each column or row, skipping NaN.
    public func nanmedian(axis: Int, timeout: Duration? = nil) throws -> [Double] {
        try axisOrderStatistics(.median, axis: axis, skipNaN: true, name: "nanmedian", timeout: timeout)[0]
    }

    /// Quantile `q` of each column or row.
    public func quantile(_ q: Double, axis: Int, method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> [Double] {
        try axisOrderStatistics(.quantiles(try checkedQuantiles([q], "quantile"), method, scalarQ: true), axis: axis,
                                skipNaN: false, name: "quantile", timeout: timeout)[0]
    }

    /// Quantiles `q` of each column or row: `result[i][j]` is quantile `q[i]` of column (row) `j`.
    public func quantile(_ q: [Double], axis: Int, method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> [[Double]] {
        try axisOrderStatistics(.quantiles(try checkedQuantiles(q, "quantile"), method, scalarQ: false), axis: axis,
                                skipNaN: false, name: "quantile", timeout: timeout)
    }

    /// Quantile `q` of each column or row, skipping NaN.
    public func nanquantile(_ q: Double, axis: Int, method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> [Double] {
        try axisOrderStatistics(.quantiles(try checkedQuantiles([q], "nanquantile"), method, scalarQ: true), axis: axis,
                                skipNaN: true, name: "nanquantile", timeout: timeout)[0]
    }

    /// Quantiles `q` of each column or row, skipping NaN: `result[i][j]` for `q[i]`.
    public func nanquantile(_ q: [Double], axis: Int, method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> [[Double]] {
        try axisOrderStatistics(.quantiles(try checkedQuantiles(q, "nanquantile"), method, scalarQ: false), axis: axis,
                                skipNaN: true, name: "nanquantile", timeout: timeout)
    }

    /// Rows at least this long are each selected by the parallel passes instead of a sort in one worker.
    package static var longRow: Int { 1 << 20 }

    /// `result[i][j]`: result `i` of the request for column (axis 0) or row (axis 1) `j`.
    func axisOrderStatistics(
        _ request: OrderRequest, axis: Int, skipNaN: Bool, name: String, timeout: Duration?
    ) throws -> [[Double]] {
        guard rank == 2 else { throw ArrayError(.invalidShape, operation: "\(name)", input: "shape", "axis \(axis) needs a 2-D array; this one has shape \(shape)") }
        guard axis == 0 || axis == 1 else { throw ArrayError(.invalidArgument, operation: "\(name)", input: "axis", "axis must be 0 or 1, got \(axis)") }
        let (rows, columns) = (shape[0], shape[1])
        let length = axis == 0 ? rows : columns
        let lines = axis == 0 ? columns : rows
        guard length > 0 else { throw ArrayError(.invalidArgument, operation: "\(name)", input: "array", "the arrays along axis \(axis) are empty (shape \(shape))") }
        return try WorkerPool.withTimeout(timeout) {
            if length >= Self.longRow {
                // Few, long lines: each by the whole-array passes (a column is copied first).
                let table = isContiguous ? self : try copy()
                var out = Array(repeating: [Double](), count: request.resultCount)
                for j in 0..<lines {
                    let line = axis == 1 ? try table.rows(j..<j + 1).flattened() : try table.flattened().strided(from: j, by: columns)
                    for (i, v) in try line.orderStatistics(request, skipNaN: skipNaN, name: name, timeout: nil).enumerated() {
                        out[i].append(v)
                    }
                }
                return out
            }
            // Many short lines: a row-layout reduction sorts each line in the worker owning it; columns
            // are transposed into rows first.
            let table = axis == 1 ? (isContiguous ? self : try copy()) : try transposedCopy()
            var out = Array(repeating: [Double](repeating: .nan, count: lines), count: request.resultCount)
            for batch in request.batches(of: RowOrderStatistics<Element>.capacity) {
                let reduction = RowOrderStatistics<Element>(batch.request, skipNaN: skipNaN)
                let slots = try table.runReduction(reduction, layout: .rows(length), plan: nil, second: .none, mask: .none)
                for j in 0..<lines {
                    for i in 0..<reduction.slotCount { out[batch.first + i][j] = slots[j * reduction.slotCount + i] }
                }
            }
            return out
        }
    }

    /// A new `[columns, rows]` array holding this table's transpose.
    private func transposedCopy() throws -> SharedArray {
        let (rows, columns) = (shape[0], shape[1])
        let t = try SharedArray(uninitialized: [columns, rows], on: pool)
        let source = flattened()
        let target = t.elementPointer
        for r in 0..<rows {
            for c in 0..<columns { target[c * rows + r] = source.elementPointer[(r * columns + c) * source.stride] }
        }
        return t
    }

    func checkedQuantiles(_ q: [Double], _ name: String) throws -> [Double] {
        guard !q.isEmpty else { throw ArrayError(.invalidArgument, operation: "\(name)", input: "q", "no quantile given") }
        for x in q where !(x >= 0 && x <= 1) {
            throw ArrayError(.invalidArgument, operation: "\(name)", input: "q", "q must be in [0, 1], got \(x)")
        }
        return q
    }
}

extension OrderRequest {
    /// The request split into requests of at most `size` results, with the index of each one's first.
    func batches(of size: Int) -> [(first: Int, request: OrderRequest)] {
        switch self {
        case .median: return [(0, self)]
        case .quantiles(let q, let method, let scalarQ):
            return stride(from: 0, to: q.count, by: size).map {
                ($0, .quantiles(Array(q[$0..<Swift.min($0 + size, q.count)]), method, scalarQ: scalarQ))
            }
        }
    }
}
