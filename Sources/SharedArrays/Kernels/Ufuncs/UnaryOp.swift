/// An element-wise operation on one array, as the CLI names it (`sqrt`, `scale:2.5`, `clip:0:1`, `pow:3`).
///
/// Each case is one row of the ufunc table (``withKernel(_:)``); numpy's semantics unless stated. On integer
/// arrays the result keeps the element type: `abs`, `negate`, `square`, `sign` and integral `scale`, `offset`
/// and `pow` are exact wrapping integer arithmetic, `floor`, `ceil` and `round` are the identity, and the
/// others are computed in Double and truncated toward zero (numpy would return float64: use
/// ``SharedArray/astype(_:unchecked:timeout:)`` first for that).
///
/// ```swift
/// let op = UnaryOp(parsing: "clip:0:1")!   // .clip(lower: 0, upper: 1)
/// applyUnary(op, src, dst)
/// ```
public enum UnaryOp: Sendable, Hashable, Codable, CustomStringConvertible, BitwiseCopyable {
    case abs, sqrt, exp, log, negate
    /// x * factor.
    case scale(Double)
    /// min(max(x, lower), upper), like `np.clip` (NaN stays NaN).
    case clip(lower: Double, upper: Double)
    /// x * x.
    case square
    /// x + amount.
    case offset(Double)
    /// Rounding to integral values: `np.floor`, `np.ceil`, and `np.round` (half to even).
    case floor, ceil, round
    /// -1, 0 or 1 (`np.sign`: NaN stays NaN, -0.0 gives 0.0).
    case sign
    /// log(1 + x) and e^x - 1, accurate near 0; sine, cosine and hyperbolic tangent (libm).
    case log1p, expm1, sin, cos, tanh
    /// x^exponent (`np.power` with a scalar exponent: like numpy, 2 is `square`, 0.5 is `sqrt` and -1 is 1/x).
    case power(Double)

    /// The operations without an argument, by CLI name.
    static let plainNames: [String: UnaryOp] = [
        "abs": .abs, "sqrt": .sqrt, "exp": .exp, "log": .log, "negate": .negate, "neg": .negate, "square": .square,
        "floor": .floor, "ceil": .ceil, "round": .round, "rint": .round, "sign": .sign, "log1p": .log1p,
        "expm1": .expm1, "sin": .sin, "cos": .cos, "tanh": .tanh,
    ]

    /// Every CLI spelling, for help texts.
    public static let cliNames =
        "abs, sqrt, exp, log, log1p, expm1, sin, cos, tanh, negate, square, sign, floor, ceil, round, "
        + "scale:F, offset:A, clip:LO:HI, pow:P"

    /// Parses `name` or `name:arg[:arg]`; nil for an unknown name, a wrong number of arguments, an argument
    /// that is not a number, or a NaN clip bound. Names are case-insensitive; `neg` is `negate`, `rint` is
    /// `round`, `power:P` is `pow:P`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let name = parts[0].lowercased()
        var args: [Double] = []
        for part in parts.dropFirst() {
            guard let value = Double(part) else { return nil }
            args.append(value)
        }
        if args.isEmpty, let op = Self.plainNames[name] {
            self = op
            return
        }
        switch (name, args.count) {
        case ("scale", 1): self = .scale(args[0])
        case ("offset", 1): self = .offset(args[0])
        case ("pow", 1), ("power", 1): self = .power(args[0])
        case ("clip", 2):
            guard !args[0].isNaN && !args[1].isNaN else { return nil }
            self = .clip(lower: args[0], upper: args[1])
        default: return nil
        }
    }

    /// The canonical CLI spelling; `UnaryOp(parsing: op.description) == op`.
    public var description: String {
        switch self {
        case .abs: "abs"
        case .sqrt: "sqrt"
        case .exp: "exp"
        case .log: "log"
        case .negate: "negate"
        case .square: "square"
        case .scale(let f): "scale:\(f)"
        case .offset(let a): "offset:\(a)"
        case .clip(let lo, let hi): "clip:\(lo):\(hi)"
        case .floor: "floor"
        case .ceil: "ceil"
        case .round: "round"
        case .sign: "sign"
        case .log1p: "log1p"
        case .expm1: "expm1"
        case .sin: "sin"
        case .cos: "cos"
        case .tanh: "tanh"
        case .power(let p): "pow:\(p)"
        }
    }

    /// The ufunc table: this operation's row, handed to `visitor` with its concrete type (so the loops are
    /// specialised for it). A new unary ufunc is a case above, its name, a row type, and one line here.
    func withKernel<V: UnaryKernelVisitor>(_ visitor: V) -> V.Result {
        switch self {
        case .abs: visitor.visit(AbsKernel())
        case .sqrt: visitor.visit(SqrtKernel())
        case .exp: visitor.visit(ExpKernel())
        case .log: visitor.visit(LogKernel())
        case .negate: visitor.visit(NegateKernel())
        case .square: visitor.visit(SquareKernel())
        case .scale(let f): visitor.visit(ScaleKernel(factor: f))
        case .offset(let a): visitor.visit(OffsetKernel(amount: a))
        case .clip(let lo, let hi): visitor.visit(ClipKernel(lower: lo, upper: hi))
        case .floor: visitor.visit(FloorKernel())
        case .ceil: visitor.visit(CeilKernel())
        case .round: visitor.visit(RoundKernel())
        case .sign: visitor.visit(SignKernel())
        case .log1p: visitor.visit(Log1pKernel())
        case .expm1: visitor.visit(Expm1Kernel())
        case .sin: visitor.visit(SinKernel())
        case .cos: visitor.visit(CosKernel())
        case .tanh: visitor.visit(TanhKernel())
        // numpy's fast paths for these scalar exponents (np.power(-inf, 0.5) is sqrt's NaN, not pow's inf).
        case .power(2): visitor.visit(SquareKernel())
        case .power(0.5): visitor.visit(SqrtKernel())
        case .power(-1): visitor.visit(ReciprocalKernel())
        case .power(let p): visitor.visit(PowerKernel(exponent: p))
        }
    }
}
