import COpenBLAS

/// The co-moments of a table's `columns` columns as a ``ChunkReduction`` over whole-row chunks: a chunk
/// folds to (rows, column means, the `columns x columns` matrix of summed products of deviations from
/// those means), the centred block multiplied by its transpose with one BLAS `dsyrk`; partials merge
/// exactly by Chan's rule, `C = Ca + Cb + δδᵀ · na·nb / n` with `δ = mean_b - mean_a`.
///
/// Slots: `[rows, mean_0 ..< mean_k, C row-major]`, `1 + k + k²` Doubles.
struct ComomentReduction<Element: SharedElement>: ChunkReduction {
    var columns: Int

    var slotCount: Int { 1 + columns + columns * columns }
    var identity: Double { 0 }

    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Double>) {
        let k = columns
        let rows = chunk.elements.count / k
        guard rows > 0 else { return }
        let means = partial.baseAddress! + 1
        let comoments = means + k
        let centred = ChunkScratch.take(bytes: rows * k * 8).assumingMemoryBound(to: Double.self)
        defer { ChunkScratch.giveBack(UnsafeMutableRawPointer(centred)) }
        centre(UnsafeRawPointer(chunk.elements.baseAddress!), dtype: Element.dtype, rows: rows, columns: k, means: means, into: centred)
        partial[0] = Double(rows)
        // C = Xcᵀ Xc, its upper triangle by `dsyrk` (half the multiply-adds of a gemm): dimensions are at
        // most the chunk's rows and columns, checked against Int32 by the caller.
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(k), Int32(rows), 1.0, centred, Int32(k), 0.0, comoments, Int32(k))
        // The lower triangle mirrors the upper one, so C is exactly symmetric.
        for i in 0..<k {
            for j in 0..<i { comoments[i * k + j] = comoments[j * k + i] }
        }
    }

    func merge(_ a: UnsafeMutableBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>) {
        let k = columns
        let na = a[0]
        let nb = b[0]
        guard nb > 0 else { return }
        guard na > 0 else {
            for i in 0..<a.count { a[i] = b[i] }
            return
        }
        let n = na + nb
        let weight = na * nb / n
        var delta = [Double](repeating: 0, count: k)
        for j in 0..<k { delta[j] = b[1 + j] - a[1 + j] }
        for i in 0..<k {
            for j in 0..<k {
                let s = 1 + k + i * k + j
                a[s] = a[s] + b[s] + delta[i] * delta[j] * weight
            }
        }
        for j in 0..<k { a[1 + j] = a[1 + j] + delta[j] * (nb / n) }
        a[0] = n
    }
}

/// ``centre(_:rows:columns:means:into:)`` dispatched outside generic code, so each type's loop is specialised.
private func centre(
    _ x: UnsafeRawPointer, dtype: DType, rows: Int, columns k: Int, means: UnsafeMutablePointer<Double>,
    into out: UnsafeMutablePointer<Double>
) {
    func run<E: WideningElement>(_: E.Type) {
        centre(x.assumingMemoryBound(to: E.self), rows: rows, columns: k, means: means, into: out)
    }
    switch dtype {
    case .float64: run(Double.self)
    case .float32: run(Float.self)
    case .int64: run(Int64.self)
    default: run(Int32.self)  // the element types of arrays; int16 and uint8 are load-time types only
    }
}

/// Column means of a `rows x columns` block into `means`, and the block minus them into `out` (Double).
/// Eight columns at a time in SIMD registers (the remaining columns one by one), rows in two chains.
private func centre<E: WideningElement>(
    _ x: UnsafePointer<E>, rows: Int, columns k: Int, means: UnsafeMutablePointer<Double>, into out: UnsafeMutablePointer<Double>
) {
    var c = 0
    while c + 8 <= k {
        var a0 = SIMD8<Double>()
        var a1 = SIMD8<Double>()
        var r = 0
        while r + 2 <= rows {
            a0 += E.load8(x, r * k + c)
            a1 += E.load8(x, (r + 1) * k + c)
            r += 2
        }
        if r < rows { a0 += E.load8(x, r * k + c) }
        // Divide (numpy's mean), not multiply by 1/rows: a constant column's mean is then exact and its
        // deviations exactly 0.
        let m = (a0 + a1) / SIMD8(repeating: Double(rows))
        for r in 0..<rows {
            UnsafeMutableRawPointer(out + r * k + c).storeBytes(of: E.load8(x, r * k + c) - m, as: SIMD8<Double>.self)
        }
        for j in 0..<8 { means[c + j] = m[j] }
        c += 8
    }
    while c < k {
        var sum = 0.0
        for r in 0..<rows { sum += x[r * k + c].asDouble }
        let m = sum / Double(rows)
        for r in 0..<rows { out[r * k + c] = x[r * k + c].asDouble - m }
        means[c] = m
        c += 1
    }
}
