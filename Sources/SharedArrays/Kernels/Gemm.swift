import COpenBLAS

/// C = A * B for a block of rows: `a` is `rowsA x k`, `b` is `k x n`, `c` is `rowsA x n`, all row-major
/// and contiguous. A worker passes its rows of A and the matching rows of C with the whole of B.
///
/// Double and Float call `cblas_dgemm` / `cblas_sgemm` (the worker sets OpenBLAS's thread count, not this).
/// Integers use an i-k-j loop accumulating each output row in wrapping Int64 (numpy's int matmul wraps),
/// then truncate to the element type.
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
    let limit = Int(Int32.max)
    precondition(rowsA <= limit && k <= limit && n <= limit, "gemmRowBlock: dimension exceeds BLAS int")
    switch KernelType(E.self) {
    case .float64:
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rowsA), Int32(n), Int32(k),
            1.0, retype(pa, Double.self), Int32(k), retype(pb, Double.self), Int32(n),
            0.0, retype(pc, Double.self), Int32(n))
    case .float32:
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rowsA), Int32(n), Int32(k),
            1.0, retype(pa, Float.self), Int32(k), retype(pb, Float.self), Int32(n),
            0.0, retype(pc, Float.self), Int32(n))
    case .int64:
        integerGemm(retype(pa, Int64.self), rowsA, k, retype(pb, Int64.self), n, retype(pc, Int64.self))
    case .int32:
        integerGemm(retype(pa, Int32.self), rowsA, k, retype(pb, Int32.self), n, retype(pc, Int32.self))
    case .other:
        for i in 0..<rowsA {
            for j in 0..<n {
                var acc = 0.0
                for p in 0..<k { acc = pa[i * k + p].asDouble * pb[p * n + j].asDouble + acc }
                pc[i * n + j] = E(fromDouble: acc)
            }
        }
    }
}

/// Columns of B and C handled per sweep, so the Int64 accumulator row stays in L1.
private let gemmColumnBlock = 512

private func integerGemm<I: KernelInteger>(
    _ a: UnsafePointer<I>, _ rows: Int, _ k: Int, _ b: UnsafePointer<I>, _ n: Int, _ c: UnsafeMutablePointer<I>
) {
    let acc = UnsafeMutablePointer<Int64>.allocate(capacity: Swift.min(n, gemmColumnBlock))
    defer { acc.deallocate() }
    var j0 = 0
    while j0 < n {
        let width = Swift.min(gemmColumnBlock, n - j0)
        for i in 0..<rows {
            acc.update(repeating: 0, count: width)
            let arow = a + i * k
            for p in 0..<k {
                let x = Int64(arow[p])
                if x == 0 { continue }
                let brow = b + p * n + j0
                for j in 0..<width { acc[j] = x &* Int64(brow[j]) &+ acc[j] }
            }
            let crow = c + i * n + j0
            for j in 0..<width { crow[j] = I(truncatingIfNeeded: acc[j]) }
        }
        j0 += width
    }
}
