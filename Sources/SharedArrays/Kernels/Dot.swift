/// Dot product of two equally long chunks, as Double (``chunkCompensatedDot(_:_:)`` rounded once).
public func chunkDot<E: SharedElement>(_ a: UnsafeBufferPointer<E>, _ b: UnsafeBufferPointer<E>) -> Double {
    chunkCompensatedDot(a, b).value
}

/// Dot product of two equally long chunks as a compensated pair.
///
/// Double and Float take Dot2 (Ogita, Rump and Oishi: the products' and the sums' rounding errors are
/// carried, as if in twice the working precision, at memory speed; Float products are exact in Double);
/// integers accumulate `Double(a) * Double(b)` in a fixed order (see ``chunkIntegerDot(_:_:)`` for numpy's
/// exact wrapping int dot). The same bits on every run and every SIMD path.
public func chunkCompensatedDot<E: SharedElement>(_ a: UnsafeBufferPointer<E>, _ b: UnsafeBufferPointer<E>) -> CompensatedSum {
    precondition(a.count == b.count, "chunkDot: lengths differ")
    guard let pa = a.baseAddress, let pb = b.baseAddress, a.count > 0 else { return CompensatedSum() }
    switch KernelType(E.self) {
    case .float64:
        return .dot(UnsafeRawPointer(pa).assumingMemoryBound(to: Double.self), UnsafeRawPointer(pb).assumingMemoryBound(to: Double.self), a.count)
    case .float32:
        return .dot(UnsafeRawPointer(pa).assumingMemoryBound(to: Float.self), UnsafeRawPointer(pb).assumingMemoryBound(to: Float.self), a.count)
    case .int64:
        return CompensatedSum(hi: widenedDot(a.retyped(Int64.self), b.retyped(Int64.self)))
    case .int32:
        return CompensatedSum(hi: widenedDot(a.retyped(Int32.self), b.retyped(Int32.self)))
    case .other:
        return CompensatedSum(hi: widenedDot(a, b))
    }
}

/// Exact integer dot product with wrapping Int64 arithmetic (numpy's `np.dot` on int arrays).
/// Floating-point inputs are truncated toward zero first, so use ``chunkDot(_:_:)`` for them.
public func chunkIntegerDot<E: SharedElement>(_ a: UnsafeBufferPointer<E>, _ b: UnsafeBufferPointer<E>) -> Int64 {
    precondition(a.count == b.count, "chunkIntegerDot: lengths differ")
    switch KernelType(E.self) {
    case .int64: return wrappingDot(a.retyped(Int64.self), b.retyped(Int64.self))
    case .int32: return wrappingDot(a.retyped(Int32.self), b.retyped(Int32.self))
    default:
        var acc: Int64 = 0
        for i in 0..<a.count {
            acc = Int64(fromDouble: a[i].asDouble) &* Int64(fromDouble: b[i].asDouble) &+ acc
        }
        return acc
    }
}

private func widenedDot<E: SharedElement>(_ a: UnsafeBufferPointer<E>, _ b: UnsafeBufferPointer<E>) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    let n = a.count, body = n & ~3
    var i = 0
    while i < body {
        s0 = a[i].asDouble * b[i].asDouble + s0
        s1 = a[i + 1].asDouble * b[i + 1].asDouble + s1
        s2 = a[i + 2].asDouble * b[i + 2].asDouble + s2
        s3 = a[i + 3].asDouble * b[i + 3].asDouble + s3
        i += 4
    }
    var total = (s0 + s1) + (s2 + s3)
    while i < n {
        total = a[i].asDouble * b[i].asDouble + total
        i += 1
    }
    return total
}

private func wrappingDot<I: KernelInteger>(_ a: UnsafeBufferPointer<I>, _ b: UnsafeBufferPointer<I>) -> Int64 {
    var acc: Int64 = 0
    for i in 0..<a.count {
        acc = Int64(a[i]) &* Int64(b[i]) &+ acc
    }
    return acc
}
