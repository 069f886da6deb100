/// How each element of a new ``SharedMask`` is computed, as plain data a job can carry.
enum MaskOperation: BitwiseCopyable, Sendable {
    /// `source[i] ⋚ scalar`.
    case compareScalar(Comparison, MaskScalar)
    /// `source[i] ⋚ second[i]` (same element type).
    case compareArray(Comparison)
    /// `source[i].isNaN` (false for integers).
    case isNaN
    /// `source[i].isFinite` (true for integers).
    case isFinite
    /// `source[i] && second[i]` over two masks.
    case and
    /// `source[i] || second[i]` over two masks.
    case or
    /// `!source[i]` over a mask.
    case not
}
