/// Per-residue-class moments of one chunk: entry `r` covers the elements whose GLOBAL index `i` has
/// `i % stride == r` (numpy's `data[r::stride]`), with global indices in argmin/argmax/firstNaNIndex.
///
/// Merging entry `r` over all chunks in index order gives the moments of `data[r::stride]`; the seed
/// example's "mean of means" is then the count-weighted combination of those.
///
/// Floating point, `stride <= 64`, and only sum/variance asked: one vectorised pass over the chunk (plus
/// one for variance) with a SIMD accumulator per 8-element slot of the `8 * stride` period, whose lanes are
/// then regrouped by class; a class whose sum is NaN is redone by the exact path. Otherwise (integers,
/// extrema, wide strides) each class is a strided scalar pass over the chunk, which stays in cache.
public func stridedChunkMoments<E: SharedElement>(
    _ chunk: UnsafeBufferPointer<E>, firstIndex: Int, stride k: Int,
    needs: MomentNeeds = [.sum, .variance]
) -> [Moments] {
    precondition(k > 0, "stride must be positive")
    precondition(firstIndex >= 0, "firstIndex must be non-negative")
    switch KernelType(E.self) {
    case .float64: return stridedFloatClasses(chunk.retyped(Double.self), firstIndex, k, needs)
    case .float32: return stridedFloatClasses(chunk.retyped(Float.self), firstIndex, k, needs)
    case .int64:
        return stridedClasses(chunk.retyped(Int64.self), firstIndex, k, needs, stridedIntegerMoments)
    case .int32:
        return stridedClasses(chunk.retyped(Int32.self), firstIndex, k, needs, stridedIntegerMoments)
    case .other:
        let widened = chunk.map(\.asDouble)
        return widened.withUnsafeBufferPointer { stridedFloatClasses($0, firstIndex, k, needs) }
    }
}

/// Largest stride the periodic SIMD path handles (its accumulators take `stride` x 64 bytes).
private let maxPeriodicStride = 64

private func stridedFloatClasses<T: KernelFloat>(
    _ chunk: UnsafeBufferPointer<T>, _ firstIndex: Int, _ k: Int, _ needs: MomentNeeds
) -> [Moments] {
    let periodic = k <= maxPeriodicStride && needs.isSubset(of: [.sum, .variance]) && chunk.count >= 8 * k
    guard periodic, let p = chunk.baseAddress else {
        return stridedClasses(chunk, firstIndex, k, needs, stridedFloatMoments)
    }
    return periodicClassMoments(p, chunk.count, firstIndex, k, needs)
}

/// Each class as its own strided pass (`kernel` gets pointer, count, stride, firstIndex, indexStep, needs).
@inline(__always)
private func stridedClasses<T>(
    _ chunk: UnsafeBufferPointer<T>, _ firstIndex: Int, _ k: Int, _ needs: MomentNeeds,
    _ kernel: (UnsafePointer<T>, Int, Int, Int, Int, MomentNeeds) -> Moments
) -> [Moments] {
    var out = [Moments](repeating: .empty, count: k)
    let n = chunk.count
    guard n > 0, let p = chunk.baseAddress else { return out }
    let phase = firstIndex % k
    for r in 0..<k {
        let offset = (r - phase + k) % k  // first local position of class r
        guard offset < n else { continue }
        let count = (n - 1 - offset) / k + 1
        out[r] = kernel(p + offset, count, k, firstIndex + offset, k, needs)
    }
    return out
}

/// The vectorised path: the class pattern repeats every `8k` elements, i.e. every `k` SIMD8 loads, so
/// accumulator `t` (of `k`) receives the loads at `8t mod 8k`; lane `l` of accumulator `t` belongs to
/// class `(phase + 8t + l) % k`. Lanes are regrouped in a fixed order, then the tail adds element by element.
private func periodicClassMoments<T: KernelFloat>(
    _ p: UnsafePointer<T>, _ n: Int, _ firstIndex: Int, _ k: Int, _ needs: MomentNeeds
) -> [Moments] {
    let phase = firstIndex % k
    let period = 8 * k
    let body = n - n % period
    let acc = UnsafeMutablePointer<SIMD8<Double>>.allocate(capacity: 2 * k)
    defer { acc.deallocate() }
    let means = acc + k
    acc.initialize(repeating: SIMD8<Double>(), count: k)

    var j = 0
    while j < body {
        for t in 0..<k { acc[t] += T.load8(p, j &+ 8 &* t) }
        j &+= period
    }
    var sums = [Double](repeating: 0, count: k)
    var counts = [Int](repeating: 0, count: k)
    regroup(acc, k, phase, into: &sums)
    for t in 0..<k {
        for l in 0..<8 { counts[(phase + 8 * t + l) % k] += body / period }
    }
    for i in body..<n {
        let c = (phase + i) % k
        sums[c] += p[i].asDouble
        counts[c] += 1
    }

    var out = [Moments](repeating: .empty, count: k)
    for c in 0..<k where counts[c] > 0 {
        out[c] = Moments(count: counts[c], sum: sums[c], mean: sums[c] / Double(counts[c]))
    }
    if needs.wantsVariance {
        for t in 0..<k {
            var v = SIMD8<Double>()
            for l in 0..<8 { v[l] = out[(phase + 8 * t + l) % k].mean }
            means[t] = v
        }
        acc.update(repeating: SIMD8<Double>(), count: k)
        j = 0
        while j < body {
            for t in 0..<k {
                let d = T.load8(p, j &+ 8 &* t) - means[t]
                acc[t] = d * d + acc[t]
            }
            j &+= period
        }
        var m2 = [Double](repeating: 0, count: k)
        regroup(acc, k, phase, into: &m2)
        for i in body..<n {
            let c = (phase + i) % k
            let d = p[i].asDouble - out[c].mean
            m2[c] = d * d + m2[c]
        }
        for c in 0..<k { out[c].m2 = m2[c] }
    }
    // NaN (or inf - inf) in a class: redo that class exactly.
    for c in 0..<k where out[c].sum.isNaN {
        let offset = (c - phase + k) % k
        let count = (n - 1 - offset) / k + 1
        out[c] = exactFloatMoments(
            p + offset, count: count, stride: k, firstIndex: firstIndex + offset, indexStep: k, needs: needs)
    }
    return out
}

/// Adds lane `l` of accumulator `t` into class `(phase + 8t + l) % k`, in (t, l) order.
@inline(__always)
private func regroup(_ acc: UnsafeMutablePointer<SIMD8<Double>>, _ k: Int, _ phase: Int, into out: inout [Double]) {
    for t in 0..<k {
        let v = acc[t]
        for l in 0..<8 { out[(phase + 8 * t + l) % k] += v[l] }
    }
}
