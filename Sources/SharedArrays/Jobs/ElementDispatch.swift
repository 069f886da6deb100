import Multiprocessing

/// Generic code to run for whichever element type a job's ``DType`` names.
protocol ElementVisitor {
    associatedtype Result
    func visit<E: SharedElement>(_ type: E.Type) throws -> Result
}

extension DType {
    /// Calls `visitor` with the Swift element type of this dtype (only full element types reach jobs).
    func dispatch<V: ElementVisitor>(_ visitor: V) throws -> V.Result {
        switch self {
        case .float64: return try visitor.visit(Double.self)
        case .float32: return try visitor.visit(Float.self)
        case .int64: return try visitor.visit(Int64.self)
        case .int32: return try visitor.visit(Int32.self)
        case .int16, .uint8: throw ArrayError(.unsupportedType, operation: nil, input: "dtype", "\(rawValue) is an input type only; load it as another element type")
        }
    }
}
