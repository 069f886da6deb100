// The loops that write mask bytes (0 or 1). Each is generic over a concrete element type and inlined into
// its caller in this module, so the compiler specialises and vectorises every (comparison, type) pair; the
// comparison is switched on once per chunk, outside the loop.

/// `out[i] = lhs(i) ⋚ rhs(i)` for `i` in `0..<count`.
@inline(__always)
func fillMask<T: Comparable>(
    _ out: UnsafeMutablePointer<UInt8>, count: Int, _ comparison: Comparison, _ lhs: (Int) -> T, _ rhs: (Int) -> T
) {
    switch comparison {
    case .less: for i in 0..<count { out[i] = lhs(i) < rhs(i) ? 1 : 0 }
    case .lessOrEqual: for i in 0..<count { out[i] = lhs(i) <= rhs(i) ? 1 : 0 }
    case .greater: for i in 0..<count { out[i] = lhs(i) > rhs(i) ? 1 : 0 }
    case .greaterOrEqual: for i in 0..<count { out[i] = lhs(i) >= rhs(i) ? 1 : 0 }
    case .equal: for i in 0..<count { out[i] = lhs(i) == rhs(i) ? 1 : 0 }
    case .notEqual: for i in 0..<count { out[i] = lhs(i) != rhs(i) ? 1 : 0 }
    }
}

/// Floating-point elements against a scalar converted to their own type (numpy's weak scalar).
func compareFloats<F: BinaryFloatingPoint>(
    _ x: UnsafePointer<F>, stride: Int, count: Int, _ comparison: Comparison, _ scalar: MaskScalar,
    into out: UnsafeMutablePointer<UInt8>
) {
    let s: F =
        switch scalar {
        case .integer(let v): F(v)
        case .real(let v): F(v)
        }
    if stride == 1 {
        fillMask(out, count: count, comparison, { x[$0] }, { _ in s })
    } else {
        fillMask(out, count: count, comparison, { x[$0 &* stride] }, { _ in s })
    }
}

/// Integer elements against an integer scalar (exactly, in Int64) or a real one (as Doubles).
func compareIntegers<I: FixedWidthInteger>(
    _ x: UnsafePointer<I>, stride: Int, count: Int, _ comparison: Comparison, _ scalar: MaskScalar,
    into out: UnsafeMutablePointer<UInt8>
) {
    switch (scalar, stride == 1) {
    case (.integer(let s), true): fillMask(out, count: count, comparison, { Int64(x[$0]) }, { _ in s })
    case (.integer(let s), false): fillMask(out, count: count, comparison, { Int64(x[$0 &* stride]) }, { _ in s })
    case (.real(let s), true): fillMask(out, count: count, comparison, { Double(x[$0]) }, { _ in s })
    case (.real(let s), false): fillMask(out, count: count, comparison, { Double(x[$0 &* stride]) }, { _ in s })
    }
}

/// Element `i` of `x` against element `i` of `y`.
func compareArrays<T: Comparable>(
    _ x: UnsafePointer<T>, stride xStride: Int, _ y: UnsafePointer<T>, stride yStride: Int, count: Int,
    _ comparison: Comparison, into out: UnsafeMutablePointer<UInt8>
) {
    if xStride == 1 && yStride == 1 {
        fillMask(out, count: count, comparison, { x[$0] }, { y[$0] })
    } else {
        fillMask(out, count: count, comparison, { x[$0 &* xStride] }, { y[$0 &* yStride] })
    }
}

/// `isNaN` (or, with `finite`, `isFinite`) of each floating-point element.
func classifyFloats<F: BinaryFloatingPoint>(
    _ x: UnsafePointer<F>, stride: Int, count: Int, finite: Bool, into out: UnsafeMutablePointer<UInt8>
) {
    switch (finite, stride == 1) {
    case (false, true): for i in 0..<count { out[i] = x[i].isNaN ? 1 : 0 }
    case (false, false): for i in 0..<count { out[i] = x[i &* stride].isNaN ? 1 : 0 }
    case (true, true): for i in 0..<count { out[i] = x[i].isFinite ? 1 : 0 }
    case (true, false): for i in 0..<count { out[i] = x[i &* stride].isFinite ? 1 : 0 }
    }
}

/// `a & b`, `a | b` or `~a` over mask bytes (0 or 1; any non-zero byte reads as true).
func combineMasks(
    _ operation: MaskOperation, _ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, count: Int,
    into out: UnsafeMutablePointer<UInt8>
) {
    switch operation {
    case .and: for i in 0..<count { out[i] = (a[i] != 0) && (b[i] != 0) ? 1 : 0 }
    case .or: for i in 0..<count { out[i] = (a[i] | b[i]) != 0 ? 1 : 0 }
    default: for i in 0..<count { out[i] = a[i] == 0 ? 1 : 0 }
    }
}
