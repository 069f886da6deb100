/// An element-wise operation on two equally long arrays: `dst = a (op) b`.
///
/// Floating point follows IEEE (x / 0 is ±inf or NaN). Integers wrap on overflow like numpy; `div` is
/// integer division truncating toward zero with x / 0 = 0 (numpy's `/` would return floats).
public enum BinaryOp: String, Sendable, Hashable, Codable, CaseIterable {
    case add, sub, mul, div
}
