/// Co-moments of two arrays of the same length, `x` the reduced one and `y` its second operand: a chunk
/// folds to `[n, mean_x, mean_y, Sxx, Syy, Sxy]` (deviations from the chunk's means), merged by Chan's rule.
struct PairComomentReduction<Element: SharedElement>: ChunkReduction {
    var slotCount: Int { 6 }
    var identity: Double { 0 }

    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Double>) {
        let y = chunk.second(as: Element.self)
        switch KernelType(Element.self) {
        case .float64: pairComoments(chunk.elements.retyped(Double.self), y.retyped(Double.self), into: partial)
        case .float32: pairComoments(chunk.elements.retyped(Float.self), y.retyped(Float.self), into: partial)
        case .int64: pairComoments(chunk.elements.retyped(Int64.self), y.retyped(Int64.self), into: partial)
        case .int32: pairComoments(chunk.elements.retyped(Int32.self), y.retyped(Int32.self), into: partial)
        case .other: pairComoments(chunk.elements, y, into: partial)
        }
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
