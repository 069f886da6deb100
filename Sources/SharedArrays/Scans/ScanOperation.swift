/// A cumulative operation: element `i` of the result combines elements `0...i` of the input.
///
/// Semantics follow numpy: `cumsum` and `cumprod` wrap around on integer overflow; `cummin` and `cummax`
/// are `np.minimum.accumulate` / `np.maximum.accumulate` (a NaN makes every later element NaN);
/// `nancumsum` counts a NaN as 0 and `nancumprod` as 1 (for integers they equal the plain scans).
public enum ScanOperation: String, Sendable, CaseIterable, BitwiseCopyable {
    case cumsum, cumprod, cummin, cummax, nancumsum, nancumprod

    /// Parses the name as typed (`cumsum`, `cummax`, ...).
    public init?(name: String) { self.init(rawValue: name.lowercased()) }
}

/// The element-wise step of a scan and its identity, for one accumulator type.
protocol ScanValue: SharedElement {
    static var scanZero: Self { get }
    static var scanOne: Self { get }
    /// The identity of `scanMin` (+inf, or the largest integer).
    static var scanMinIdentity: Self { get }
    /// The identity of `scanMax` (-inf, or the smallest integer).
    static var scanMaxIdentity: Self { get }
    /// `a + b` (wrapping for integers, as numpy).
    static func scanAdd(_ a: Self, _ b: Self) -> Self
    /// `a * b` (wrapping for integers, as numpy).
    static func scanMultiply(_ a: Self, _ b: Self) -> Self
    /// `np.minimum(a, b)`: NaN if either is NaN; on a tie, `a`.
    static func scanMin(_ a: Self, _ b: Self) -> Self
    /// `np.maximum(a, b)`: NaN if either is NaN; on a tie, `a`.
    static func scanMax(_ a: Self, _ b: Self) -> Self
    /// Whether the value is NaN (never for integers).
    var scanIsNaN: Bool { get }
}

extension ScanValue where Self: BinaryFloatingPoint {
    static var scanZero: Self { 0 }
    static var scanOne: Self { 1 }
    static var scanMinIdentity: Self { .infinity }
    static var scanMaxIdentity: Self { -.infinity }
    @inline(__always) static func scanAdd(_ a: Self, _ b: Self) -> Self { a + b }
    @inline(__always) static func scanMultiply(_ a: Self, _ b: Self) -> Self { a * b }
    @inline(__always) static func scanMin(_ a: Self, _ b: Self) -> Self { b < a || b.isNaN ? b : a }
    @inline(__always) static func scanMax(_ a: Self, _ b: Self) -> Self { b > a || b.isNaN ? b : a }
    @inline(__always) var scanIsNaN: Bool { isNaN }
}

extension ScanValue where Self: FixedWidthInteger {
    static var scanZero: Self { 0 }
    static var scanOne: Self { 1 }
    static var scanMinIdentity: Self { .max }
    static var scanMaxIdentity: Self { .min }
    @inline(__always) static func scanAdd(_ a: Self, _ b: Self) -> Self { a &+ b }
    @inline(__always) static func scanMultiply(_ a: Self, _ b: Self) -> Self { a &* b }
    @inline(__always) static func scanMin(_ a: Self, _ b: Self) -> Self { b < a ? b : a }
    @inline(__always) static func scanMax(_ a: Self, _ b: Self) -> Self { b > a ? b : a }
    @inline(__always) var scanIsNaN: Bool { false }
}

extension Double: ScanValue {}
extension Float: ScanValue {}
extension Int64: ScanValue {}
extension Int32: ScanValue {}

extension ScanOperation {
    /// The value a scan starts from (what an empty prefix combines to).
    @inline(__always) func identity<V: ScanValue>(_: V.Type) -> V {
        switch self {
        case .cumsum, .nancumsum: V.scanZero
        case .cumprod, .nancumprod: V.scanOne
        case .cummin: V.scanMinIdentity
        case .cummax: V.scanMaxIdentity
        }
    }

    /// `a ⊕ b`, with `a` the earlier prefix.
    @inline(__always) func combine<V: ScanValue>(_ a: V, _ b: V) -> V {
        switch self {
        case .cumsum, .nancumsum: V.scanAdd(a, b)
        case .cumprod, .nancumprod: V.scanMultiply(a, b)
        case .cummin: V.scanMin(a, b)
        case .cummax: V.scanMax(a, b)
        }
    }
}

/// `x` in the accumulator type: a bit copy when the types agree, otherwise through Double (exact for the
/// widenings scans use: Int32 to Int64, Float or Int32 to Double; Int64 to Double rounds as numpy does).
@inline(__always) func scanConvert<In: SharedElement, Out: ScanValue>(_ x: In, to _: Out.Type) -> Out {
    if In.self == Out.self { return unsafeBitCast(x, to: Out.self) }
    return Out(fromDouble: x.asDouble)
}
