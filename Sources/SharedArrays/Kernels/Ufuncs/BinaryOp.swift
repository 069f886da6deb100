/// An element-wise operation on two equally long arrays: `dst = a (op) b`.
///
/// Floating point follows IEEE (x / 0 is ±inf or NaN). Integers wrap on overflow like numpy; `div` is
/// integer division truncating toward zero with x / 0 = 0 (numpy's `/` would return floats). `power` is
/// `np.power` (wrapping integer power on integers; ``SharedArray/power(_:)`` refuses negative integer
/// exponents as numpy does); `minimum` and `maximum` propagate NaN like `np.minimum` / `np.maximum`.
public enum BinaryOp: String, Sendable, Hashable, Codable, CaseIterable, BitwiseCopyable {
    case add, sub, mul, div
    case power, minimum, maximum

    /// The ufunc table: this operation's row, handed to `visitor` with its concrete type. A new binary ufunc
    /// is a case above, a row type, and one line here.
    func withKernel<V: BinaryKernelVisitor>(_ visitor: V) -> V.Result {
        switch self {
        case .add: visitor.visit(AddKernel())
        case .sub: visitor.visit(SubtractKernel())
        case .mul: visitor.visit(MultiplyKernel())
        case .div: visitor.visit(DivideKernel())
        case .power: visitor.visit(PowerArrayKernel())
        case .minimum: visitor.visit(MinimumKernel())
        case .maximum: visitor.visit(MaximumKernel())
        }
    }
}
