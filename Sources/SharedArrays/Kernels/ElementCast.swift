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

// The loops below go through Double (exact for Float) and Int64 (exact for Int32) with concrete
// conversions: the stdlib's generic BinaryFloatingPoint / BinaryInteger initialisers, which a generic loop
// would call, are a slow bit-by-bit path.

/// Float element types: the value as a Double (exact), and a float from a Double or an Int64 rounded once.
protocol CastFloat: BinaryFloatingPoint {
    var castWide: Double { get }
    init(castRounding value: Double)
    init(castRounding value: Int64)
}

extension Double: CastFloat {
    @inline(__always) var castWide: Double { self }
    @inline(__always) init(castRounding value: Double) { self = value }
    @inline(__always) init(castRounding value: Int64) { self = Double(value) }
}

extension Float: CastFloat {
    @inline(__always) var castWide: Double { Double(self) }
    @inline(__always) init(castRounding value: Double) { self = Float(value) }
    @inline(__always) init(castRounding value: Int64) { self = Float(value) }
}

/// Integer element types: the value as an Int64, and the conversions into the type.
protocol CastInteger: FixedWidthInteger {
    var castWide: Int64 { get }
    /// trunc(value), which the caller has checked fits.
    init(castTruncating value: Double)
    init?(castExactly value: Int64)
    init(castWrapping value: Int64)
}

extension Int64: CastInteger {
    @inline(__always) var castWide: Int64 { self }
    @inline(__always) init(castTruncating value: Double) { self = Int64(value) }
    @inline(__always) init?(castExactly value: Int64) { self = value }
    @inline(__always) init(castWrapping value: Int64) { self = value }
}

extension Int32: CastInteger {
    @inline(__always) var castWide: Int64 { Int64(self) }
    @inline(__always) init(castTruncating value: Double) { self = Int32(value) }
    @inline(__always) init?(castExactly value: Int64) {
        guard let v = Int32(exactly: value) else { return nil }
        self = v
    }
    @inline(__always) init(castWrapping value: Int64) { self = Int32(truncatingIfNeeded: value) }
}

@inline(__always)
private func castFrom<S: CastFloat, T: SharedElement>(
    _ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int, checked: Bool
) -> Int? {
    switch KernelType(T.self) {
    case .float64: floatToFloat(s, retype(d, Double.self), n)
    case .float32: floatToFloat(s, retype(d, Float.self), n)
    case .int64: return floatToInteger(s, retype(d, Int64.self), n, checked: checked)
    case .int32: return floatToInteger(s, retype(d, Int32.self), n, checked: checked)
    case .other: for i in 0..<n { d[i] = T(fromDouble: s[i].castWide) }
    }
    return nil
}

@inline(__always)
private func castFrom<S: CastInteger, T: SharedElement>(
    _ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int, checked: Bool
) -> Int? {
    switch KernelType(T.self) {
    case .float64: integerToFloat(s, retype(d, Double.self), n)
    case .float32: integerToFloat(s, retype(d, Float.self), n)
    case .int64: return integerToInteger(s, retype(d, Int64.self), n, checked: checked)
    case .int32: return integerToInteger(s, retype(d, Int32.self), n, checked: checked)
    case .other: for i in 0..<n { d[i] = T(fromDouble: Double(s[i].castWide)) }
    }
    return nil
}

@inline(__always)
private func floatToFloat<S: CastFloat, T: CastFloat>(_ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int) {
    for i in 0..<n { d[i] = T(castRounding: s[i].castWide) }
}

@inline(__always)
private func integerToFloat<S: CastInteger, T: CastFloat>(_ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int) {
    for i in 0..<n { d[i] = T(castRounding: s[i].castWide) }
}

@inline(__always)
private func floatToInteger<S: CastFloat, T: CastInteger>(
    _ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int, checked: Bool
) -> Int? {
    // x fits when trunc(x) is in [-2^(bits-1), 2^(bits-1)): x < 2^(bits-1) and x > -2^(bits-1) - 1, the
    // latter written as the next Double below -2^63 for Int64 (where -2^63 - 1 is not a Double). No rounding
    // call: the loop stays a compare pair and one conversion.
    let upper = T.bitWidth == 64 ? 0x1p63 : 0x1p31
    let lowerExclusive = T.bitWidth == 64 ? (-0x1p63).nextDown : -0x1p31 - 1
    for i in 0..<n {
        let x = s[i].castWide
        if x < upper && x > lowerExclusive {
            d[i] = T(castTruncating: x)
        } else {
            // NaN, ±inf or out of range.
            if checked { return i }
            d[i] = T.min
        }
    }
    return nil
}

@inline(__always)
private func integerToInteger<S: CastInteger, T: CastInteger>(
    _ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<T>, _ n: Int, checked: Bool
) -> Int? {
    if checked {
        for i in 0..<n {
            guard let v = T(castExactly: s[i].castWide) else { return i }
            d[i] = v
        }
    } else {
        for i in 0..<n { d[i] = T(castWrapping: s[i].castWide) }
    }
    return nil
}
