import COpenBLAS

/// C = A * B for a block of rows: `a` is `rowsA x k`, `b` is `k x n`, `c` is `rowsA x n`, all row-major
/// and contiguous. ``gemmTile(a:lda:b:ldb:c:ldc:rows:k:columns:)`` with the whole of B.
public func gemmRowBlock<E: SharedElement>(
    a: UnsafeBufferPointer<E>, rowsA: Int, k: Int, b: UnsafeBufferPointer<E>, n: Int,
    c: UnsafeMutableBufferPointer<E>
) {
    precondition(rowsA >= 0 && k >= 0 && n >= 0, "gemmRowBlock: negative dimension")
    precondition(a.count >= rowsA * k && b.count >= k * n && c.count >= rowsA * n, "gemmRowBlock: buffer too small")
    guard rowsA > 0, n > 0, let pc = c.baseAddress else { return }
    guard k > 0, let pa = a.baseAddress, let pb = b.baseAddress else {
        pc.update(repeating: E(fromDouble: 0), count: rowsA * n)
        return
    }
    gemmTile(a: pa, lda: k, b: pb, ldb: n, c: pc, ldc: n, rows: rowsA, k: k, columns: n)
}

/// One tile of C = A * B, row-major with leading dimensions: `c[i * ldc + j]` for `i < rows`, `j < columns`
/// becomes the sum over `p < k` of `a[i * lda + p] * b[p * ldb + j]`. A worker passes pointers to its tile's
/// rows of A, columns of B and place in C; every operand stays where it is in shared memory.
///
/// Double and Float call `cblas_dgemm` / `cblas_sgemm` (the worker sets OpenBLAS's thread count, not this).
/// Integers use an i-k-j loop accumulating each output row in wrapping Int64 (numpy's int matmul wraps),
/// then truncate to the element type. `k == 0` writes zeros.
func gemmTile<E: SharedElement>(
    a: UnsafePointer<E>, lda: Int, b: UnsafePointer<E>, ldb: Int, c: UnsafeMutablePointer<E>, ldc: Int,
    rows: Int, k: Int, columns: Int
) {
    guard rows > 0, columns > 0 else { return }
    guard k > 0 else {
        for i in 0..<rows { (c + i * ldc).update(repeating: E(fromDouble: 0), count: columns) }
        return
    }
    let limit = Int(Int32.max)
    precondition(rows <= limit && k <= limit && columns <= limit && lda <= limit && ldb <= limit && ldc <= limit,
                 "gemmTile: dimension exceeds BLAS int")
    switch KernelType(E.self) {
    case .float64:
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(columns), Int32(k),
            1.0, retype(a, Double.self), Int32(lda), retype(b, Double.self), Int32(ldb),
            0.0, retype(c, Double.self), Int32(ldc))
    case .float32:
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(columns), Int32(k),
            1.0, retype(a, Float.self), Int32(lda), retype(b, Float.self), Int32(ldb),
            0.0, retype(c, Float.self), Int32(ldc))
    case .int64:
        integerGemm(retype(a, Int64.self), lda, rows, k, retype(b, Int64.self), ldb, columns, retype(c, Int64.self), ldc)
    case .int32:
        integerGemm(retype(a, Int32.self), lda, rows, k, retype(b, Int32.self), ldb, columns, retype(c, Int32.self), ldc)
    case .other:
        for i in 0..<rows {
            for j in 0..<columns {
                var acc = 0.0
                for p in 0..<k { acc = a[i * lda + p].asDouble * b[p * ldb + j].asDouble + acc }
                c[i * ldc + j] = E(fromDouble: acc)
            }
        }
    }
}

/// Columns of B and C handled per sweep, so the Int64 accumulator row stays in L1.
private let gemmColumnBlock = 512

private func integerGemm<I: KernelInteger>(
    _ a: UnsafePointer<I>, _ lda: Int, _ rows: Int, _ k: Int, _ b: UnsafePointer<I>, _ ldb: Int, _ n: Int,
    _ c: UnsafeMutablePointer<I>, _ ldc: Int
) {
    let acc = UnsafeMutablePointer<Int64>.allocate(capacity: Swift.min(n, gemmColumnBlock))
    defer { acc.deallocate() }
    var j0 = 0
    while j0 < n {
        let width = Swift.min(gemmColumnBlock, n - j0)
        for i in 0..<rows {
            acc.update(repeating: 0, count: width)
            let arow = a + i * lda
            for p in 0..<k {
                let x = Int64(arow[p])
                if x == 0 { continue }
                let brow = b + p * ldb + j0
                for j in 0..<width { acc[j] = x &* Int64(brow[j]) &+ acc[j] }
            }
            let crow = c + i * ldc + j0
            for j in 0..<width { crow[j] = I(truncatingIfNeeded: acc[j]) }
        }
        j0 += width
    }
}
