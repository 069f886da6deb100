/// An element-wise comparison that builds a ``SharedMask``, with numpy's NaN rule: a comparison with NaN
/// is false, except ``notEqual``, which is true.
public enum Comparison: String, Sendable, CaseIterable, Codable, BitwiseCopyable {
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case equal = "=="
    case notEqual = "!="

    /// Whether `a` compares this way with `b` (IEEE rules for floating point).
    @inline(__always)
    func holds<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .less: a < b
        case .lessOrEqual: a <= b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        case .equal: a == b
        case .notEqual: a != b
        }
    }
}

/// The scalar side of a comparison, typed as numpy types a Python scalar (NEP 50).
///
/// An ``integer(_:)`` compares exactly with integer elements (whatever its range) and is converted to the
/// element type for floating-point elements. A ``real(_:)`` is converted to the element type for
/// floating-point elements (so `float32 > 0.1` compares with `Float(0.1)`), and integer elements are
/// compared as Doubles, like numpy's promotion of an integer array compared with a float.
public enum MaskScalar: Sendable, Equatable, BitwiseCopyable {
    case integer(Int64)
    case real(Double)
}
