/// Co-moments of two arrays of the same length, `x` the reduced one and `y` its second operand: a chunk
/// folds to `[n, mean_x, mean_y, Sxx, Syy, Sxy]` (deviations from the chunk's means), merged by Chan's rule.
struct PairComomentReduction<Element: SharedElement>: ChunkReduction {
    var slotCount: Int { 6 }
    var identity: Double { 0 }

    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Double>) {
        guard let x = chunk.elements.baseAddress, let y = chunk.second(as: Element.self).baseAddress else { return }
        pairComoments(UnsafeRawPointer(x), UnsafeRawPointer(y), count: chunk.elements.count, dtype: Element.dtype, into: partial)
    }

    func merge(_ a: UnsafeMutableBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>) {
        guard b[0] > 0 else { return }
        guard a[0] > 0 else {
            for i in 0..<6 { a[i] = b[i] }
            return
        }
        let n = a[0] + b[0]
        let weight = a[0] * b[0] / n
        let dx = b[1] - a[1]
        let dy = b[2] - a[2]
        a[3] = a[3] + b[3] + dx * dx * weight
        a[4] = a[4] + b[4] + dy * dy * weight
        a[5] = a[5] + b[5] + dx * dy * weight
        a[1] = a[1] + dx * (b[0] / n)
        a[2] = a[2] + dy * (b[0] / n)
        a[0] = n
    }
}

/// Dispatched outside generic code, so each type's loop is specialised.
private func pairComoments(_ x: UnsafeRawPointer, _ y: UnsafeRawPointer, count: Int, dtype: DType, into p: UnsafeMutableBufferPointer<Double>) {
    func run<E: SharedElement>(_: E.Type) {
        pairComoments(UnsafeBufferPointer(start: x.assumingMemoryBound(to: E.self), count: count),
                      UnsafeBufferPointer(start: y.assumingMemoryBound(to: E.self), count: count), into: p)
    }
    switch dtype {
    case .float64: run(Double.self)
    case .float32: run(Float.self)
    case .int64: run(Int64.self)
    default: run(Int32.self)  // the element types of arrays; int16 and uint8 are load-time types only
    }
}

private func pairComoments<E: SharedElement>(_ x: UnsafeBufferPointer<E>, _ y: UnsafeBufferPointer<E>, into p: UnsafeMutableBufferPointer<Double>) {
    let n = x.count
    guard n > 0 else { return }
    var sx = 0.0
    var sy = 0.0
    for i in 0..<n {
        sx += x[i].asDouble
        sy += y[i].asDouble
    }
    let mx = sx / Double(n)
    let my = sy / Double(n)
    var sxx = 0.0
    var syy = 0.0
    var sxy = 0.0
    for i in 0..<n {
        let dx = x[i].asDouble - mx
        let dy = y[i].asDouble - my
        sxx = dx * dx + sxx
        syy = dy * dy + syy
        sxy = dx * dy + sxy
    }
    p[0] = Double(n)
    p[1] = mx
    p[2] = my
    p[3] = sxx
    p[4] = syy
    p[5] = sxy
}
