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
/// Variance is a second periodic pass over the chunk with the class means (exact two-pass per class).
/// (Unlike ``blockedMoments``, splitting the chunk into L1-sized sub-blocks measured slower here.)
private func periodicClassMoments<T: KernelFloat>(
    _ p: UnsafePointer<T>, _ n: Int, _ firstIndex: Int, _ k: Int, _ needs: MomentNeeds
) -> [Moments] {
    let phase = firstIndex % k
    let scratch = ClassScratch(k, phase: phase)
    defer { scratch.deallocate() }
    periodicBlock(p, n, phase, k, needs.wantsVariance, scratch)
    var out = [Moments](repeating: .empty, count: k)
    for c in 0..<k where scratch.counts[c] > 0 {
        let count = scratch.counts[c], sum = scratch.sums[c]
        out[c] = Moments(count: count, sum: sum, mean: sum / Double(count), m2: scratch.m2[c])
        if sum.isNaN {
            // NaN (or inf - inf) in this class: redo it exactly.
            let offset = (c - phase + k) % k
            out[c] = exactFloatMoments(
                p + offset, count: count, stride: k, firstIndex: firstIndex + offset, indexStep: k, needs: needs)
        }
    }
    return out
}

/// Per-class scratch for ``periodicBlock``: `k` accumulators and means, per-class results, and the class
/// of every accumulator lane (`laneClass[8t + l] = (phase + 8t + l) % k`, computed once per chunk).
private struct ClassScratch {
    let acc: UnsafeMutablePointer<SIMD8<Double>>
    let means: UnsafeMutablePointer<SIMD8<Double>>
    let sums: UnsafeMutablePointer<Double>
    let m2: UnsafeMutablePointer<Double>
    let counts: UnsafeMutablePointer<Int>
    let laneClass: UnsafeMutablePointer<Int>

    init(_ k: Int, phase: Int) {
        acc = .allocate(capacity: 2 * k)
        means = acc + k
        sums = .allocate(capacity: 2 * k)
        m2 = sums + k
        counts = .allocate(capacity: 9 * k)
        laneClass = counts + k
        for i in 0..<(8 * k) { laneClass[i] = (phase + i) % k }
    }

    func deallocate() {
        acc.deallocate()
        sums.deallocate()
        counts.deallocate()
    }
}

/// Class sums, counts and (optionally) m2 about the class means for `p[0..<n]`.
private func periodicBlock<T: KernelFloat>(
    _ p: UnsafePointer<T>, _ n: Int, _ phase: Int, _ k: Int, _ variance: Bool, _ s: ClassScratch
) {
    let period = 8 * k
    let body = n - n % period
    s.acc.initialize(repeating: SIMD8<Double>(), count: k)
    var j = 0
    while j < body {
        for t in 0..<k { s.acc[t] += T.load8(p, j &+ 8 &* t) }
        j &+= period
    }
    s.sums.initialize(repeating: 0, count: k)
    s.m2.initialize(repeating: 0, count: k)
    s.counts.initialize(repeating: 0, count: k)
    regroup(s.acc, k, s.laneClass, into: s.sums)
    // Each class owns 8 of the 8k lanes of a period.
    for c in 0..<k { s.counts[c] = 8 * (body / period) }
    for i in body..<n {
        let c = s.laneClass[i - body]
        s.sums[c] += p[i].asDouble
        s.counts[c] += 1
    }
    guard variance else { return }
    for t in 0..<k {
        var v = SIMD8<Double>()
        for l in 0..<8 {
            let c = s.laneClass[8 * t + l]
            v[l] = s.sums[c] / Double(s.counts[c])
        }
        s.means[t] = v
    }
    s.acc.update(repeating: SIMD8<Double>(), count: k)
    j = 0
    while j < body {
        for t in 0..<k {
            let d = T.load8(p, j &+ 8 &* t) - s.means[t]
            s.acc[t] = d * d + s.acc[t]
        }
        j &+= period
    }
    regroup(s.acc, k, s.laneClass, into: s.m2)
    for i in body..<n {
        let c = s.laneClass[i - body]
        let d = p[i].asDouble - s.sums[c] / Double(s.counts[c])
        s.m2[c] = d * d + s.m2[c]
    }
}

/// Adds lane `l` of accumulator `t` into its class `laneClass[8t + l]`, in (t, l) order.
@inline(__always)
private func regroup(
    _ acc: UnsafeMutablePointer<SIMD8<Double>>, _ k: Int, _ laneClass: UnsafeMutablePointer<Int>,
    into out: UnsafeMutablePointer<Double>
) {
    for t in 0..<k {
        let v = acc[t]
        for l in 0..<8 { out[laneClass[8 * t + l]] += v[l] }
    }
}
