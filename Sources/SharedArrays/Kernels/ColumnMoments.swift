/// Per-column ``Moments`` of a row-major block of `rows` x `columns` elements (`axis=0` reductions).
///
/// `out[c]` receives column `c`'s moments; argmin/argmax/firstNaNIndex are GLOBAL ROW indices (`firstRow` is
/// the global row of the block's first row). Sums, squares and extrema accumulate row by row, vectorised
/// across columns; variance is a second row-by-row pass with the block's column means. A column whose sum
/// comes out NaN is redone by the exact NaN-aware scalar path.
public func blockColumnMoments<E: SharedElement>(
    _ block: UnsafeBufferPointer<E>, rows: Int, columns: Int, firstRow: Int, needs: MomentNeeds,
    into out: UnsafeMutableBufferPointer<Moments>
) {
    precondition(rows >= 0 && columns >= 0 && block.count >= rows * columns, "blockColumnMoments: bad shape")
    precondition(out.count >= columns, "blockColumnMoments: output too small")
    guard columns > 0, let o = out.baseAddress else { return }
    guard rows > 0, let base = block.baseAddress else {
        o.update(repeating: .empty, count: columns)
        return
    }
    let shape = BlockShape(rows: rows, columns: columns, firstRow: firstRow)
    switch KernelType(E.self) {
    case .float64: floatColumnMoments(UnsafeRawPointer(base).assumingMemoryBound(to: Double.self), shape, needs, o)
    case .float32: floatColumnMoments(UnsafeRawPointer(base).assumingMemoryBound(to: Float.self), shape, needs, o)
    case .int64: integerColumnMoments(UnsafeRawPointer(base).assumingMemoryBound(to: Int64.self), shape, needs, o)
    case .int32: integerColumnMoments(UnsafeRawPointer(base).assumingMemoryBound(to: Int32.self), shape, needs, o)
    case .other:
        let widened = block.prefix(rows * columns).map(\.asDouble)
        widened.withUnsafeBufferPointer { floatColumnMoments($0.baseAddress!, shape, needs, o) }
    }
}

struct BlockShape {
    let rows: Int, columns: Int, firstRow: Int
}

/// Column scratch accumulators (Double), one allocation per call.
private struct ColumnScratch {
    let storage: UnsafeMutablePointer<Double>
    let sums, squares, mins, maxs, m2: UnsafeMutablePointer<Double>

    init(columns: Int) {
        storage = .allocate(capacity: 5 * columns)
        sums = storage
        squares = storage + columns
        mins = storage + 2 * columns
        maxs = storage + 3 * columns
        m2 = storage + 4 * columns
        sums.initialize(repeating: 0, count: columns)
        squares.initialize(repeating: 0, count: columns)
        mins.initialize(repeating: .infinity, count: columns)
        maxs.initialize(repeating: -.infinity, count: columns)
        m2.initialize(repeating: 0, count: columns)
    }

    func deallocate() { storage.deallocate() }
}

@inline(__always)
private func loadD(_ p: UnsafeMutablePointer<Double>, _ c: Int) -> SIMD8<Double> {
    UnsafeRawPointer(p + c).loadUnaligned(as: SIMD8<Double>.self)
}

@inline(__always)
private func storeD(_ v: SIMD8<Double>, _ p: UnsafeMutablePointer<Double>, _ c: Int) {
    UnsafeMutableRawPointer(p + c).storeBytes(of: v, as: SIMD8<Double>.self)
}

/// Adds the rows into the column accumulators; `M` picks the optional accumulations.
private func accumulateRows<T: KernelFloat, M: PassMode>(
    _ p: UnsafePointer<T>, _ rows: Int, _ columns: Int, _ s: ColumnScratch, _: M.Type
) {
    let extrema = M.extrema, squares = M.squares
    for r in 0..<rows {
        accumulateRow(p + r * columns, columns, s, extrema: extrema, squares: squares)
    }
}

@inline(__always)
private func accumulateRow<T: KernelFloat>(
    _ row: UnsafePointer<T>, _ columns: Int, _ s: ColumnScratch, extrema: Bool, squares: Bool
) {
    let body = columns & ~7
    var c = 0
    while c < body {
        let x = T.load8(row, c)
        storeD(loadD(s.sums, c) + x, s.sums, c)
        if squares { storeD(x * x + loadD(s.squares, c), s.squares, c) }
        if extrema {
            storeD(lanewiseMin(loadD(s.mins, c), x), s.mins, c)
            storeD(lanewiseMax(loadD(s.maxs, c), x), s.maxs, c)
        }
        c &+= 8
    }
    while c < columns {
        let x = row[c].asDouble
        s.sums[c] += x
        if squares { s.squares[c] = x * x + s.squares[c] }
        if extrema {
            if x < s.mins[c] { s.mins[c] = x }
            if x > s.maxs[c] { s.maxs[c] = x }
        }
        c &+= 1
    }
}

private func floatColumnMoments<T: KernelFloat>(
    _ p: UnsafePointer<T>, _ shape: BlockShape, _ needs: MomentNeeds, _ out: UnsafeMutablePointer<Moments>
) {
    let rows = shape.rows, columns = shape.columns
    let s = ColumnScratch(columns: columns)
    defer { s.deallocate() }
    let extrema = needs.wantsExtrema, squares = needs.wantsSquares
    switch (extrema, squares) {
    case (false, false): accumulateRows(p, rows, columns, s, SumPass.self)
    case (true, false): accumulateRows(p, rows, columns, s, SumExtremaPass.self)
    case (false, true): accumulateRows(p, rows, columns, s, SumSquaresPass.self)
    case (true, true): accumulateRows(p, rows, columns, s, SumExtremaSquaresPass.self)
    }
    // Column means go into m2's slot first; the variance pass replaces them by m2.
    let n = Double(rows)
    var hasNaNColumn = false
    for c in 0..<columns {
        if s.sums[c].isNaN { hasNaNColumn = true }
        s.m2[c] = s.sums[c] / n
    }
    if needs.wantsVariance {
        let means = UnsafeMutablePointer<Double>.allocate(capacity: columns)
        defer { means.deallocate() }
        means.update(from: s.m2, count: columns)
        s.m2.update(repeating: 0, count: columns)
        let body = columns & ~7
        for r in 0..<rows {
            let row = p + r * columns
            var c = 0
            while c < body {
                let d = T.load8(row, c) - loadD(means, c)
                storeD(d * d + loadD(s.m2, c), s.m2, c)
                c &+= 8
            }
            while c < columns {
                let d = row[c].asDouble - means[c]
                s.m2[c] = d * d + s.m2[c]
                c &+= 1
            }
        }
    }
    for c in 0..<columns {
        if s.sums[c].isNaN {
            out[c] = exactFloatMoments(
                p + c, count: rows, stride: columns, firstIndex: shape.firstRow, indexStep: 1, needs: needs)
            continue
        }
        var m = Moments(count: rows, sum: s.sums[c], mean: s.sums[c] / n)
        if needs.wantsVariance { m.m2 = s.m2[c] }
        if squares { m.sumOfSquares = s.squares[c] }
        if extrema {
            m.min = s.mins[c]
            m.max = s.maxs[c]
        }
        out[c] = m
    }
    if needs.wantsArgExtrema {
        firstRowsOfExtrema(p, shape, out, skipping: hasNaNColumn ? s.sums : nil)
    }
}

/// Fills argmin/argmax with the first row equal to each column's min/max, scanning rows in order and
/// stopping once every column is resolved. Columns whose sum is NaN (already exact) are skipped.
private func firstRowsOfExtrema<T: KernelFloat>(
    _ p: UnsafePointer<T>, _ shape: BlockShape, _ out: UnsafeMutablePointer<Moments>,
    skipping nanSums: UnsafeMutablePointer<Double>?
) {
    let columns = shape.columns
    // Per column: target min, target max, found row of each (-1 = not yet).
    let mins = UnsafeMutablePointer<Double>.allocate(capacity: 2 * columns)
    let rowsFound = UnsafeMutablePointer<Int>.allocate(capacity: 2 * columns)
    defer { mins.deallocate(); rowsFound.deallocate() }
    let maxs = mins + columns
    var remaining = 0
    for c in 0..<columns {
        mins[c] = out[c].min
        maxs[c] = out[c].max
        let skip = nanSums?[c].isNaN ?? false
        rowsFound[2 * c] = skip ? 0 : -1
        rowsFound[2 * c + 1] = skip ? 0 : -1
        if !skip { remaining += 2 }
    }
    var r = 0
    while remaining > 0 && r < shape.rows {
        let row = p + r * columns
        // SIMD test for "some column of these 8 hits its min or max"; hits are rare, resolved by scalar code.
        let body = columns & ~7
        var c0 = 0
        while c0 < columns {
            let width: Int
            if c0 < body {
                let x = T.load8(row, c0)
                width = 8
                if !any((x .== loadD(mins, c0)) .| (x .== loadD(maxs, c0))) {
                    c0 &+= 8
                    continue
                }
            } else {
                width = 1
            }
            for c in c0..<(c0 + width) {
                let x = row[c].asDouble
                if rowsFound[2 * c] < 0 && x == mins[c] {
                    rowsFound[2 * c] = r
                    out[c].argmin = shape.firstRow + r
                    remaining -= 1
                }
                if rowsFound[2 * c + 1] < 0 && x == maxs[c] {
                    rowsFound[2 * c + 1] = r
                    out[c].argmax = shape.firstRow + r
                    remaining -= 1
                }
            }
            c0 &+= width
        }
        r += 1
    }
}

private func integerColumnMoments<I: KernelInteger>(
    _ p: UnsafePointer<I>, _ shape: BlockShape, _ needs: MomentNeeds, _ out: UnsafeMutablePointer<Moments>
) {
    let rows = shape.rows, columns = shape.columns
    let s = ColumnScratch(columns: columns)
    defer { s.deallocate() }
    let isums = UnsafeMutablePointer<Int64>.allocate(capacity: columns)
    isums.initialize(repeating: 0, count: columns)
    defer { isums.deallocate() }
    for r in 0..<rows {
        let row = p + r * columns
        for c in 0..<columns {
            let x = row[c]
            isums[c] = isums[c] &+ Int64(x)
            s.sums[c] += Double(x)
        }
    }
    let n = Double(rows)
    for c in 0..<columns {
        out[c] = Moments(count: rows, sum: s.sums[c], intSum: isums[c], mean: s.sums[c] / n)
    }
    if needs.wantsExtrema {
        // Exact native compares, strict so the first row wins ties; row 0 seeds every column.
        let mins = UnsafeMutablePointer<I>.allocate(capacity: columns)
        let maxs = UnsafeMutablePointer<I>.allocate(capacity: columns)
        let amin = UnsafeMutablePointer<Int>.allocate(capacity: columns)
        let amax = UnsafeMutablePointer<Int>.allocate(capacity: columns)
        defer { mins.deallocate(); maxs.deallocate(); amin.deallocate(); amax.deallocate() }
        mins.initialize(from: p, count: columns)
        maxs.initialize(from: p, count: columns)
        amin.initialize(repeating: 0, count: columns)
        amax.initialize(repeating: 0, count: columns)
        for r in 1..<rows {
            let row = p + r * columns
            for c in 0..<columns {
                let x = row[c]
                if x < mins[c] { mins[c] = x; amin[c] = r }
                if x > maxs[c] { maxs[c] = x; amax[c] = r }
            }
        }
        for c in 0..<columns {
            out[c].min = Double(mins[c])
            out[c].max = Double(maxs[c])
            if needs.wantsArgExtrema {
                out[c].argmin = shape.firstRow + amin[c]
                out[c].argmax = shape.firstRow + amax[c]
            }
        }
    }
    if needs.wantsSquares || needs.wantsVariance {
        let squares = needs.wantsSquares, variance = needs.wantsVariance
        for c in 0..<columns { s.mins[c] = out[c].mean }  // reuse as the means
        for r in 0..<rows {
            let row = p + r * columns
            for c in 0..<columns {
                let x = Double(row[c])
                if squares { s.squares[c] = x * x + s.squares[c] }
                if variance {
                    let d = x - s.mins[c]
                    s.m2[c] = d * d + s.m2[c]
                }
            }
        }
        for c in 0..<columns {
            if squares { out[c].sumOfSquares = s.squares[c] }
            if variance { out[c].m2 = s.m2[c] }
        }
    }
}
