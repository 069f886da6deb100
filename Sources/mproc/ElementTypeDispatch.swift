import SharedArrays

/// Runs `body` with the Swift element type that computes `computeType` (one of the types
/// ``StatsCommand/computeType(for:)`` gives: int16 and uint8 are computed as Int32).
func withElementType<T>(_ computeType: DType, _ body: (any SharedElement.Type) throws -> T) throws -> T {
    switch computeType {
    case .float32: try body(Float.self)
    case .int64: try body(Int64.self)
    case .int32, .int16, .uint8: try body(Int32.self)
    default: try body(Double.self)
    }
}
