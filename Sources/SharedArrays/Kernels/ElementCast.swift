// numpy's casting between the four element types (`astype`), one chunk at a time.
//
// Float -> float rounds to nearest (overflow gives ±inf, as numpy); int -> float rounds to nearest; float -> int
// truncates toward zero; int -> narrower int keeps the low bits. Checked casts stop at the first element whose
// value the target cannot hold (NaN, ±inf, a float outside the target's range after truncation, an integer
// outside the narrower type's range) and return its index. Unchecked casts never stop: such a float becomes the
// target's minimum (what numpy gives on x86, whose conversion instruction returns that "integer indefinite"
// value), and integers wrap.

/// Converts `n` elements of `s` into `d`; returns the index of the first element the target cannot hold
/// when `checked` (the elements before it are converted), else nil.
func castElements<S: SharedElement, T: SharedElement>(
    _ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int, checked: Bool
) -> Int? {
    switch KernelType(S.self) {
    case .float64: return castFrom(retype(s, Double.self), d, n, checked: checked)
    case .float32: return castFrom(retype(s, Float.self), d, n, checked: checked)
    case .int64: return castFrom(retype(s, Int64.self), d, n, checked: checked)
    case .int32: return castFrom(retype(s, Int32.self), d, n, checked: checked)
    case .other:
        for i in 0..<n { d[i] = T(fromDouble: s[i].asDouble) }
        return nil
    }
}

@inline(__always)
private func castFrom<S: BinaryFloatingPoint, T: SharedElement>(
    _ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int, checked: Bool
) -> Int? {
    switch KernelType(T.self) {
    case .float64: floatToFloat(s, retype(d, Double.self), n)
    case .float32: floatToFloat(s, retype(d, Float.self), n)
    case .int64: return floatToInteger(s, retype(d, Int64.self), n, checked: checked)
    case .int32: return floatToInteger(s, retype(d, Int32.self), n, checked: checked)
    case .other: for i in 0..<n { d[i] = T(fromDouble: Double(s[i])) }
    }
    return nil
}

@inline(__always)
private func castFrom<S: BinaryInteger, T: SharedElement>(
    _ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int, checked: Bool
) -> Int? {
    switch KernelType(T.self) {
    case .float64: integerToFloat(s, retype(d, Double.self), n)
    case .float32: integerToFloat(s, retype(d, Float.self), n)
    case .int64: return integerToInteger(s, retype(d, Int64.self), n, checked: checked)
    case .int32: return integerToInteger(s, retype(d, Int32.self), n, checked: checked)
    case .other: for i in 0..<n { d[i] = T(fromDouble: Double(s[i])) }
    }
    return nil
}

@inline(__always)
private func floatToFloat<S: BinaryFloatingPoint, T: BinaryFloatingPoint>(_ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int) {
    for i in 0..<n { d[i] = T(s[i]) }
}

@inline(__always)
private func integerToFloat<S: BinaryInteger, T: BinaryFloatingPoint>(_ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int) {
    for i in 0..<n { d[i] = T(s[i]) }
}

@inline(__always)
private func floatToInteger<S: BinaryFloatingPoint, T: FixedWidthInteger>(
    _ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int, checked: Bool
) -> Int? {
    // x fits when trunc(x) is in [-2^(bits-1), 2^(bits-1)): both bounds are powers of two, exact in S.
    let upper = S(sign: .plus, exponent: S.Exponent(T.bitWidth - 1), significand: 1)   // 2^(bits-1)
    let lower = -upper                                                                    // -2^(bits-1)
    for i in 0..<n {
        let x = s[i]
        if x < upper && (x >= lower || x.rounded(.towardZero) >= lower) {
            d[i] = T(x)
        } else {
            // NaN, ±inf or out of range.
            if checked { return i }
            d[i] = T.min
        }
    }
    return nil
}

@inline(__always)
private func integerToInteger<S: BinaryInteger, T: FixedWidthInteger>(
    _ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int, checked: Bool
) -> Int? {
    for i in 0..<n {
        if checked {
            guard let v = T(exactly: s[i]) else { return i }
            d[i] = v
        } else {
            d[i] = T(truncatingIfNeeded: s[i])
        }
    }
    return nil
}
