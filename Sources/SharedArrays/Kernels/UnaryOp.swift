/// An element-wise operation on one array, as the CLI names it (`sqrt`, `scale:2.5`, `clip:0:1`, `offset:-3`).
///
/// ```swift
/// let op = UnaryOp(parsing: "clip:0:1")!   // .clip(lower: 0, upper: 1)
/// applyUnary(op, src, dst)
/// ```
public enum UnaryOp: Sendable, Hashable, Codable, CustomStringConvertible {
    case abs, sqrt, exp, log, negate
    /// x * factor.
    case scale(Double)
    /// min(max(x, lower), upper), like `np.clip` (NaN stays NaN).
    case clip(lower: Double, upper: Double)
    /// x * x.
    case square
    /// x + amount.
    case offset(Double)

    /// Parses `name` or `name:arg[:arg]`; nil for an unknown name, a wrong number of arguments, an argument
    /// that is not a number, or a NaN clip bound. Names are case-insensitive; `neg` is `negate`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let name = parts[0].lowercased()
        var args: [Double] = []
        for part in parts.dropFirst() {
            guard let value = Double(part) else { return nil }
            args.append(value)
        }
        switch (name, args.count) {
        case ("abs", 0): self = .abs
        case ("sqrt", 0): self = .sqrt
        case ("exp", 0): self = .exp
        case ("log", 0): self = .log
        case ("negate", 0), ("neg", 0): self = .negate
        case ("square", 0): self = .square
        case ("scale", 1): self = .scale(args[0])
        case ("offset", 1): self = .offset(args[0])
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
        }
    }
}
