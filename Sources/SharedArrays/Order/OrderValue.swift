/// numpy's arithmetic on the order statistics a quantile or median picks, per element type.
///
/// numpy computes a quantile's interpolation (`_lerp`) in the input's type when `q` is a Python scalar
/// (a `float32` result for `float32` data) and in float64 when `q` is an array; integers always
/// interpolate in float64 after an integer subtraction that wraps. A median is `np.mean` of the middle
/// one or two values: in float32 for float32 data, in float64 otherwise.
enum OrderValue {
    /// The element whose selection key is `key`, as a Double (NaN for a NaN key).
    static func element<E: SharedElement>(_: E.Type, key: UInt64) -> Double {
        switch E.dtype {
        case .float64: key == .max ? .nan : Float64Key.element(key)
        case .float32: key == .max ? .nan : Double(Float32Key.element(key))
        case .int64: Double(Int64Key.element(key))
        case .int32: Double(Int32Key.element(key))
        case .int16, .uint8: .nan
        }
    }

    /// numpy's `_lerp(a, b, t)`: `a + (b - a) * t`, or `b - (b - a) * (1 - t)` when `t >= 0.5`.
    /// `scalarQ` is numpy's weak promotion of a Python-scalar `q` (float32 arithmetic for float32 data).
    static func lerp<E: SharedElement>(_: E.Type, low: UInt64, high: UInt64, t: Double, scalarQ: Bool) -> Double {
        switch E.dtype {
        case .float64:
            let a = element(Double.self, key: low), b = element(Double.self, key: high)
            let d = b - a
            return t >= 0.5 ? b - d * (1 - t) : a + d * t
        case .float32:
            let a = low == .max ? Float.nan : Float32Key.element(low)
            let b = high == .max ? Float.nan : Float32Key.element(high)
            let d = b - a
            if scalarQ { return Double(t >= 0.5 ? b - d * Float(1 - t) : a + d * Float(t)) }
            return t >= 0.5 ? Double(b) - Double(d) * (1 - t) : Double(a) + Double(d) * t
        case .int64:
            let a = Int64Key.element(low), b = Int64Key.element(high)
            let d = Double(b &- a)
            return t >= 0.5 ? Double(b) - d * (1 - t) : Double(a) + d * t
        case .int32:
            let a = Int32Key.element(low), b = Int32Key.element(high)
            let d = Double(b &- a)
            return t >= 0.5 ? Double(b) - d * (1 - t) : Double(a) + d * t
        case .int16, .uint8:
            return .nan
        }
    }

    /// numpy's median of the middle values: `np.mean([a])` or `np.mean([a, b])`.
    static func mean<E: SharedElement>(_: E.Type, _ keys: [UInt64]) -> Double {
        if keys.count == 1 {
            return element(E.self, key: keys[0])
        }
        switch E.dtype {
        case .float32:
            let a = keys[0] == .max ? Float.nan : Float32Key.element(keys[0])
            let b = keys[1] == .max ? Float.nan : Float32Key.element(keys[1])
            return Double((a + b) / 2)
        default:
            return (element(E.self, key: keys[0]) + element(E.self, key: keys[1])) / 2
        }
    }
}
