/// Computes the ``Moments`` of one contiguous chunk; `firstIndex` is the global index of `chunk[0]`.
///
/// Floating-point chunks take a fast SIMD path (fixed order, so bit-identical on every run); if its sum comes
/// out NaN (a NaN is present, or inf - inf) the chunk is redone by the exact scalar path, which counts NaNs,
/// records the first one and computes the statistics of the other values. The chunk is read from memory
/// once, in sub-blocks of ``momentSubBlock`` elements: variance is an exact two-pass per sub-block (the
/// second pass hits L1; the C kernel for floating point) and the sub-blocks merge with Chan's update; argmin/argmax rescan only the sub-block
/// where the extreme first occurs, each only when asked. Integers accumulate in Double and keep a wrapping Int64 sum in `intSum`;
/// Int64 min/max compare exactly in the native type.
public func chunkMoments<E: SharedElement>(
    _ chunk: UnsafeBufferPointer<E>, firstIndex: Int, needs: MomentNeeds
) -> Moments {
    switch KernelType(E.self) {
    case .float64: return floatChunkMoments(chunk.retyped(Double.self), firstIndex: firstIndex, needs: needs)
    case .float32: return floatChunkMoments(chunk.retyped(Float.self), firstIndex: firstIndex, needs: needs)
    case .int64: return integerChunkMoments(chunk.retyped(Int64.self), firstIndex: firstIndex, needs: needs)
    case .int32: return integerChunkMoments(chunk.retyped(Int32.self), firstIndex: firstIndex, needs: needs)
    case .other:
        let widened = chunk.map(\.asDouble)
        return widened.withUnsafeBufferPointer { floatChunkMoments($0, firstIndex: firstIndex, needs: needs) }
    }
}

/// The ``Moments`` of one row of a matrix: ``chunkMoments(_:firstIndex:needs:)`` with indices within the row.
public func rowMoments<E: SharedElement>(_ row: UnsafeBufferPointer<E>, needs: MomentNeeds) -> Moments {
    chunkMoments(row, firstIndex: 0, needs: needs)
}

// MARK: - Floating point, fast path

/// Elements per inner block: lane sums are folded into the running total every block, which bounds the
/// rounding error like a two-level pairwise sum at no per-element cost.
private let sumBlock = 512

struct FirstPass {
    var sum = 0.0
    var squares = 0.0
    var min = Double.infinity
    var max = -Double.infinity
}

/// One SIMD pass: sum, and optionally sum of squares and min/max (chosen by `M`).
///
/// Sum alone, or with squares, keeps two SIMD8 accumulators each (memory speed). With extrema the loop
/// works on SIMD4 pieces so all accumulators fit the 16 SSE registers of the baseline x86-64 target.
func simdFirstPass<T: WideningElement, M: PassMode>(_ p: UnsafePointer<T>, _ n: Int, _: M.Type) -> FirstPass {
    let extrema = M.extrema, squares = M.squares
    var r = FirstPass()
    // Block partials go into vector totals reduced once at the end: reducing sum and squares per block
    // lets LLVM's SLP vectoriser pair them and wreck the loop (2.5x slower).
    var total = SIMD8<Double>(), totalSquares = SIMD8<Double>()
    var total4 = SIMD4<Double>(), totalSquares4 = SIMD4<Double>()
    var mn = SIMD4<Double>(repeating: .infinity)
    var mx = SIMD4<Double>(repeating: -.infinity)
    let body = n & ~15
    var i = 0
    while i < body {
        let end = Swift.min(i &+ sumBlock, body)
        if !extrema {
            var s0 = SIMD8<Double>(), s1 = SIMD8<Double>()
            var q0 = SIMD8<Double>(), q1 = SIMD8<Double>()
            repeat {
                let (a, b) = T.load16(p, i)
                s0 += a
                s1 += b
                if squares {
                    q0 = a * a + q0
                    q1 = b * b + q1
                }
                i &+= 16
            } while i < end
            total += s0 + s1
            if squares { totalSquares += q0 + q1 }
        } else {
            var s = SIMD4<Double>(), q = SIMD4<Double>()
            repeat {
                let a = T.load4(p, i), b = T.load4(p, i &+ 4), c = T.load4(p, i &+ 8), d = T.load4(p, i &+ 12)
                s += (a + b) + (c + d)
                if squares { q += (a * a + b * b) + (c * c + d * d) }
                mn = lanewiseMin(mn, lanewiseMin(lanewiseMin(a, b), lanewiseMin(c, d)))
                mx = lanewiseMax(mx, lanewiseMax(lanewiseMax(a, b), lanewiseMax(c, d)))
                i &+= 16
            } while i < end
            total4 += s
            if squares { totalSquares4 += q }
        }
    }
    if extrema {
        r.sum = (total4[0] + total4[2]) + (total4[1] + total4[3])
        if squares { r.squares = (totalSquares4[0] + totalSquares4[2]) + (totalSquares4[1] + totalSquares4[3]) }
        let a = mn[2] < mn[0] ? mn[2] : mn[0], b = mn[3] < mn[1] ? mn[3] : mn[1]
        r.min = b < a ? b : a
        let c = mx[2] > mx[0] ? mx[2] : mx[0], d = mx[3] > mx[1] ? mx[3] : mx[1]
        r.max = d > c ? d : c
    } else {
        r.sum = horizontalSum(total)
        if squares { r.squares = horizontalSum(totalSquares) }
    }
    while i < n {
        let x = p[i].asDouble
        r.sum += x
        if squares { r.squares = x * x + r.squares }
        if extrema {
            if x < r.min { r.min = x }
            if x > r.max { r.max = x }
        }
        i &+= 1
    }
    return r
}

/// Sum of (x - mean)^2 over a chunk without NaNs, same blocking as the first pass.
@inline(__always)
func simdSquaredDeviations<T: WideningElement>(_ p: UnsafePointer<T>, _ n: Int, mean: Double) -> Double {
    let m = SIMD8<Double>(repeating: mean)
    var total = SIMD8<Double>()
    let body = n & ~15
    var i = 0
    while i < body {
        let end = Swift.min(i &+ sumBlock, body)
        var q0 = SIMD8<Double>(), q1 = SIMD8<Double>()
        repeat {
            let (a, b) = T.load16(p, i)
            let da = a - m, db = b - m
            q0 = da * da + q0
            q1 = db * db + q1
            i &+= 16
        } while i < end
        total += q0 + q1
    }
    var m2 = horizontalSum(total)
    while i < n {
        let d = p[i].asDouble - mean
        m2 = d * d + m2
        i &+= 1
    }
    return m2
}

/// Index of the first element equal to `target`, or -1 (a SIMD scan for the block, then a scalar one).
@inline(__always)
func simdFirstIndex<T: WideningElement>(of target: Double, in p: UnsafePointer<T>, _ n: Int) -> Int {
    let t = SIMD8<Double>(repeating: target)
    let body = n & ~15
    var i = 0
    while i < body {
        let (a, b) = T.load16(p, i)
        if any((a .== t) .| (b .== t)) { break }
        i &+= 16
    }
    while i < n {
        if p[i].asDouble == target { return i }
        i &+= 1
    }
    return -1
}

func floatChunkMoments<T: KernelFloat>(
    _ chunk: UnsafeBufferPointer<T>, firstIndex: Int, needs: MomentNeeds
) -> Moments {
    let n = chunk.count
    guard n > 0, let p = chunk.baseAddress else { return .empty }
    let m = blockedMoments(p, n, firstIndex: firstIndex, needs: needs, extrema: needs.wantsExtrema)
    if m.sum.isNaN {
        return exactFloatMoments(p, count: n, stride: 1, firstIndex: firstIndex, indexStep: 1, needs: needs)
    }
    return m
}

/// Elements per sub-block of ``blockedMoments``: 32 KiB of Double, so the variance pass reads L1.
let momentSubBlock = 4096

/// The fast path over a chunk without NaNs (a NaN shows up as a NaN sum; the caller then redoes the chunk).
/// `extrema` may be false even when `needs` asks for it (Int64 computes exact extrema natively).
func blockedMoments<T: WideningElement>(
    _ p: UnsafePointer<T>, _ n: Int, firstIndex: Int, needs: MomentNeeds, extrema: Bool
) -> Moments {
    switch (extrema, needs.wantsSquares) {
    case (false, false): return blockedMoments(p, n, firstIndex, needs, SumPass.self)
    case (true, false): return blockedMoments(p, n, firstIndex, needs, SumExtremaPass.self)
    case (false, true): return blockedMoments(p, n, firstIndex, needs, SumSquaresPass.self)
    case (true, true): return blockedMoments(p, n, firstIndex, needs, SumExtremaSquaresPass.self)
    }
}

private func blockedMoments<T: WideningElement, M: PassMode>(
    _ p: UnsafePointer<T>, _ n: Int, _ firstIndex: Int, _ needs: MomentNeeds, _ mode: M.Type
) -> Moments {
    let variance = needs.wantsVariance
    // Without `.sum` (min, max, norm) the sum only reveals a NaN: a plain sum does that at a sixth of the cost.
    let plainSum = !needs.contains(.sum) && !variance
    // Without a compensated sum, a second pass or an index to rescan for (min, max, norm), the whole chunk is
    // one block: one kernel call and one fold instead of one per 4096 values (min and max are exact, and
    // the squares' order is still fixed by the chunk alone).
    let block = plainSum && !needs.wantsArgExtrema ? Swift.max(n, 1) : momentSubBlock
    // Floating point takes the C moments pass (compensated Sum2 sum, squares and extrema in one read, on the
    // widest SIMD path of the CPU); the sub-block sums merge as double-double. Integers take the Swift pass.
    var sum = CompensatedSum(), squares = 0.0, isum: Int64 = 0
    var mn = Double.infinity, mx = -Double.infinity, minBlock = -1, maxBlock = -1
    var count = 0.0, mean = 0.0, m2 = 0.0  // Chan's running state over the sub-blocks
    var offset = 0
    while offset < n {
        let len = Swift.min(block, n - offset)
        let q = p + offset
        let f: FirstPass, blockSum: CompensatedSum
        if let pass = T.momentsPass(q, len, squares: M.squares, extrema: M.extrema, plainSum: plainSum) {
            f = FirstPass(sum: pass.hi, squares: pass.squares, min: pass.min, max: pass.max)
            blockSum = CompensatedSum(hi: pass.hi, lo: pass.lo)
        } else {
            f = simdFirstPass(q, len, mode)
            blockSum = CompensatedSum(hi: f.sum)
        }
        sum.add(blockSum)
        isum = isum &+ T.wrappingSum(q, len)
        if M.squares { squares += f.squares }
        if M.extrema {
            // Strict compares: on ties the earlier sub-block keeps the first occurrence.
            if minBlock < 0 || f.min < mn { mn = f.min; minBlock = offset }
            if maxBlock < 0 || f.max > mx { mx = f.max; maxBlock = offset }
        }
        if variance {
            let nb = Double(len), mb = blockSum.hi / nb
            let m2b = T.squaredDeviations(q, len, mean: mb)
            if count == 0 {
                mean = mb
                m2 = m2b
                count = nb
            } else {
                let total = count + nb, delta = mb - mean
                mean += delta * (nb / total)
                m2 += m2b + delta * delta * (count * nb / total)
                count = total
            }
        }
        offset += len
    }
    var m = Moments(count: n, sum: sum.hi, sumLow: sum.lo, intSum: isum, mean: sum.hi / Double(n))
    if variance { m.m2 = m2 }
    if M.squares { m.sumOfSquares = squares }
    if M.extrema {
        m.min = mn
        m.max = mx
        if !sum.hi.isNaN {
            if needs.contains(.argMinimum) {
                m.argmin = firstIndex + minBlock + T.firstIndex(of: mn, in: p + minBlock, Swift.min(momentSubBlock, n - minBlock))
            }
            if needs.contains(.argMaximum) {
                m.argmax = firstIndex + maxBlock + T.firstIndex(of: mx, in: p + maxBlock, Swift.min(momentSubBlock, n - maxBlock))
            }
        }
    }
    return m
}

// MARK: - Floating point, exact scalar path (NaN-aware)

/// The NaN-aware scalar path: element `j` is `p[j * stride]` with global index `firstIndex + j * indexStep`.
/// Counts NaNs, records the first, and computes everything else over the non-NaN values only.
func exactFloatMoments<T: KernelFloat>(
    _ p: UnsafePointer<T>, count n: Int, stride s: Int, firstIndex: Int, indexStep: Int, needs: MomentNeeds
) -> Moments {
    var m = Moments()
    var sum = CompensatedSum(), squares = 0.0, count = 0, nanCount = 0, firstNaN = -1
    var mn = Double.infinity, mx = -Double.infinity, amn = -1, amx = -1
    let extrema = needs.wantsExtrema, wantSquares = needs.wantsSquares
    for j in 0..<n {
        let x = p[j &* s].asDouble
        if x.isNaN {
            if nanCount == 0 { firstNaN = j }
            nanCount &+= 1
            continue
        }
        count &+= 1
        sum.add(x)
        if wantSquares { squares = x * x + squares }
        if extrema {
            if amn < 0 || x < mn { mn = x; amn = j }
            if amx < 0 || x > mx { mx = x; amx = j }
        }
    }
    m.count = count
    m.nanCount = nanCount
    if nanCount > 0 { m.firstNaNIndex = firstIndex + firstNaN * indexStep }
    m.compensatedSum = sum.normalized
    m.mean = count > 0 ? m.sum / Double(count) : 0
    if wantSquares { m.sumOfSquares = squares }
    if extrema && count > 0 {
        m.min = mn
        m.max = mx
        if needs.wantsArgExtrema {
            m.argmin = firstIndex + amn * indexStep
            m.argmax = firstIndex + amx * indexStep
        }
    }
    if needs.wantsVariance && count > 0 {
        let mean = m.mean
        var m2 = 0.0
        for j in 0..<n {
            let x = p[j &* s].asDouble
            if x.isNaN { continue }
            let d = x - mean
            m2 = d * d + m2
        }
        m.m2 = m2
    }
    return m
}

// MARK: - Strided float path (residue classes), fast with exact fallback

/// Moments of `p[0], p[s], p[2s], ...` (`n` elements, global indices `firstIndex + j * indexStep`).
/// Four scalar accumulators per pass; falls back to ``exactFloatMoments`` when the sum is NaN.
func stridedFloatMoments<T: KernelFloat>(
    _ p: UnsafePointer<T>, count n: Int, stride s: Int, firstIndex: Int, indexStep: Int, needs: MomentNeeds
) -> Moments {
    guard n > 0 else { return .empty }
    // Four compensated accumulators (Sum2), folded in a fixed order.
    var s0 = CompensatedSum(), s1 = CompensatedSum(), s2 = CompensatedSum(), s3 = CompensatedSum()
    let body = n & ~3
    var j = 0
    while j < body {
        s0.add(p[j &* s].asDouble)
        s1.add(p[(j &+ 1) &* s].asDouble)
        s2.add(p[(j &+ 2) &* s].asDouble)
        s3.add(p[(j &+ 3) &* s].asDouble)
        j &+= 4
    }
    var total = s0.normalized
    total.add(s1.normalized)
    total.add(s2.normalized)
    total.add(s3.normalized)
    while j < n {
        total.add(p[j &* s].asDouble)
        j &+= 1
    }
    let sum = total.normalized
    if sum.hi.isNaN {
        return exactFloatMoments(p, count: n, stride: s, firstIndex: firstIndex, indexStep: indexStep, needs: needs)
    }
    var m = Moments(count: n, sum: sum.hi, sumLow: sum.lo, mean: sum.hi / Double(n))
    if needs.wantsExtrema || needs.wantsSquares {
        // No NaNs here, so the exact path's extrema and squares are the answer; reuse it for them.
        let e = exactFloatMoments(
            p, count: n, stride: s, firstIndex: firstIndex, indexStep: indexStep,
            needs: needs.subtracting(.variance))
        m.min = e.min
        m.max = e.max
        m.argmin = e.argmin
        m.argmax = e.argmax
        m.sumOfSquares = e.sumOfSquares
    }
    if needs.wantsVariance {
        let mean = m.mean
        var q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0
        j = 0
        while j < body {
            let d0 = p[j &* s].asDouble - mean, d1 = p[(j &+ 1) &* s].asDouble - mean
            let d2 = p[(j &+ 2) &* s].asDouble - mean, d3 = p[(j &+ 3) &* s].asDouble - mean
            q0 = d0 * d0 + q0
            q1 = d1 * d1 + q1
            q2 = d2 * d2 + q2
            q3 = d3 * d3 + q3
            j &+= 4
        }
        var m2 = (q0 + q1) + (q2 + q3)
        while j < n {
            let d = p[j &* s].asDouble - mean
            m2 = d * d + m2
            j &+= 1
        }
        m.m2 = m2
    }
    return m
}

// MARK: - Integers

/// Contiguous integers: the Double statistics use the SIMD passes (values widened); the wrapping Int64 sum
/// is its own SIMD pass; Int64 extrema compare natively (Double is not exact beyond 2^53).
func integerChunkMoments<I: KernelInteger>(
    _ chunk: UnsafeBufferPointer<I>, firstIndex: Int, needs: MomentNeeds
) -> Moments {
    let n = chunk.count
    guard n > 0, let p = chunk.baseAddress else { return .empty }
    let simdExtrema = needs.wantsExtrema && I.exactInDouble
    var m = blockedMoments(p, n, firstIndex: firstIndex, needs: needs, extrema: simdExtrema)
    if needs.wantsExtrema && !simdExtrema {
        let e = stridedIntegerMoments(p, count: n, stride: 1, firstIndex: firstIndex, indexStep: 1, needs: [.argExtrema])
        m.min = e.min
        m.max = e.max
        if needs.wantsArgExtrema {
            m.argmin = e.argmin
            m.argmax = e.argmax
        }
    }
    return m
}

/// numpy's integer sum: Int64 arithmetic that wraps on overflow.
func integerWrappingSum<I: KernelInteger>(_ p: UnsafePointer<I>, _ n: Int) -> Int64 {
    var a0 = SIMD8<Int64>(), a1 = SIMD8<Int64>()
    let body = n & ~15
    var i = 0
    while i < body {
        a0 &+= I.loadInt64x8(p, i)
        a1 &+= I.loadInt64x8(p, i &+ 8)
        i &+= 16
    }
    var total = (a0 &+ a1).wrappedSum()
    while i < n {
        total &+= Int64(p[i])
        i &+= 1
    }
    return total
}

/// Integer moments of `p[j * stride]`, `j < n` (global index `firstIndex + j * indexStep`): Double sums
/// (four accumulators), a wrapping Int64 sum, and exact native-type extrema (first occurrence).
func stridedIntegerMoments<I: KernelInteger>(
    _ p: UnsafePointer<I>, count n: Int, stride s: Int, firstIndex: Int, indexStep: Int, needs: MomentNeeds
) -> Moments {
    guard n > 0 else { return .empty }
    var isum: Int64 = 0
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    let body = n & ~3
    var j = 0
    while j < body {
        let x0 = p[j &* s], x1 = p[(j &+ 1) &* s], x2 = p[(j &+ 2) &* s], x3 = p[(j &+ 3) &* s]
        isum = isum &+ Int64(x0) &+ Int64(x1) &+ Int64(x2) &+ Int64(x3)
        s0 += Double(x0)
        s1 += Double(x1)
        s2 += Double(x2)
        s3 += Double(x3)
        j &+= 4
    }
    var sum = (s0 + s1) + (s2 + s3)
    while j < n {
        let x = p[j &* s]
        isum = isum &+ Int64(x)
        sum += Double(x)
        j &+= 1
    }
    var m = Moments(count: n, sum: sum, intSum: isum, mean: sum / Double(n))
    if needs.wantsExtrema {
        var mn = p[0], mx = p[0], amn = 0, amx = 0
        for j in 1..<n {
            let x = p[j &* s]
            if x < mn { mn = x; amn = j }
            if x > mx { mx = x; amx = j }
        }
        m.min = Double(mn)
        m.max = Double(mx)
        if needs.wantsArgExtrema {
            m.argmin = firstIndex + amn * indexStep
            m.argmax = firstIndex + amx * indexStep
        }
    }
    if needs.wantsSquares {
        var q = 0.0
        for j in 0..<n {
            let x = Double(p[j &* s])
            q = x * x + q
        }
        m.sumOfSquares = q
    }
    if needs.wantsVariance {
        let mean = m.mean
        var q0 = 0.0, q1 = 0.0
        j = 0
        let pairs = n & ~1
        while j < pairs {
            let d0 = Double(p[j &* s]) - mean, d1 = Double(p[(j &+ 1) &* s]) - mean
            q0 = d0 * d0 + q0
            q1 = d1 * d1 + q1
            j &+= 2
        }
        var m2 = q0 + q1
        if j < n {
            let d = Double(p[j &* s]) - mean
            m2 = d * d + m2
        }
        m.m2 = m2
    }
    return m
}
