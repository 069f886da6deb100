/// The numeric element types an array can hold, named as numpy names them.
///
/// `float64`, `float32`, `int64` and `int32` are full element types of ``SharedArray``;
/// `int16` and `uint8` are accepted as inputs and converted on load.
public enum DType: String, Sendable, CaseIterable, Codable, BitwiseCopyable {
    case float64, float32, int64, int32, int16, uint8

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .int16: 2
        case .uint8: 1
        }
    }

    /// Whether values are IEEE floating point (and may be NaN).
    public var isFloatingPoint: Bool { self == .float64 || self == .float32 }

    /// Parses a user-facing name: numpy's (`float64`, `f8`, `double`, `i4`, ...) in any case.
    public init?(name: String) {
        switch name.lowercased() {
        case "float64", "f8", "double", "d": self = .float64
        case "float32", "f4", "float", "single", "f": self = .float32
        case "int64", "i8", "long": self = .int64
        case "int32", "i4", "int": self = .int32
        case "int16", "i2", "short": self = .int16
        case "uint8", "u1", "byte": self = .uint8
        default: return nil
        }
    }
}

/// A Swift type that can be the element of a ``SharedArray``.
public protocol SharedElement: Numeric, Comparable, Sendable, BitwiseCopyable {
    /// The matching ``DType``.
    static var dtype: DType { get }
    /// The value as a Double (exact for every supported type but Int64 beyond 2^53).
    var asDouble: Double { get }
    /// Converts from Double: rounding for floats, truncation toward zero for integers.
    init(fromDouble value: Double)
}

extension Double: SharedElement {
    public static var dtype: DType { .float64 }
    @inline(__always) public var asDouble: Double { self }
    @inline(__always) public init(fromDouble value: Double) { self = value }
}

extension Float: SharedElement {
    public static var dtype: DType { .float32 }
    @inline(__always) public var asDouble: Double { Double(self) }
    @inline(__always) public init(fromDouble value: Double) { self = Float(value) }
}

extension Int64: SharedElement {
    public static var dtype: DType { .int64 }
    @inline(__always) public var asDouble: Double { Double(self) }
    @inline(__always) public init(fromDouble value: Double) {
        self = value.isNaN ? 0 : Int64(exactly: value.rounded(.towardZero)) ?? (value < 0 ? .min : .max)
    }
}

extension Int32: SharedElement {
    public static var dtype: DType { .int32 }
    @inline(__always) public var asDouble: Double { Double(self) }
    @inline(__always) public init(fromDouble value: Double) {
        self = value.isNaN ? 0 : Int32(exactly: value.rounded(.towardZero)) ?? (value < 0 ? .min : .max)
    }
}
