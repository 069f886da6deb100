/// Element conversion between the ``DType``s for file readers: byte swapping and numeric casts.
///
/// Integers convert to integers exactly, clamping to the target's range; integers convert to floats by
/// rounding to nearest; floats convert to integers by truncation toward zero (NaN becomes 0, values out of
/// range clamp), matching ``SharedElement/init(fromDouble:)``.
protocol IOScalar: BitwiseCopyable {
    static var ioIsInteger: Bool { get }
    var ioDouble: Double { get }
    var ioInt64: Int64 { get }
    init(ioConvertingDouble value: Double)
    init(ioConvertingInt64 value: Int64)
    var ioByteSwapped: Self { get }
}

@inline(__always)
private func ioTruncatingToInt64(_ value: Double) -> Int64 {
    if value.isNaN { return 0 }
    if value >= 9_223_372_036_854_775_807.0 { return .max }
    if value <= -9_223_372_036_854_775_808.0 { return .min }
    return Int64(value.rounded(.towardZero))
}

extension Double: IOScalar {
    static var ioIsInteger: Bool { false }
    @inline(__always) var ioDouble: Double { self }
    @inline(__always) var ioInt64: Int64 { ioTruncatingToInt64(self) }
    @inline(__always) init(ioConvertingDouble value: Double) { self = value }
    @inline(__always) init(ioConvertingInt64 value: Int64) { self = Double(value) }
    @inline(__always) var ioByteSwapped: Double { Double(bitPattern: bitPattern.byteSwapped) }
}

extension Float: IOScalar {
    static var ioIsInteger: Bool { false }
    @inline(__always) var ioDouble: Double { Double(self) }
    @inline(__always) var ioInt64: Int64 { ioTruncatingToInt64(Double(self)) }
    @inline(__always) init(ioConvertingDouble value: Double) { self = Float(value) }
    @inline(__always) init(ioConvertingInt64 value: Int64) { self = Float(value) }
    @inline(__always) var ioByteSwapped: Float { Float(bitPattern: bitPattern.byteSwapped) }
}

extension Int64: IOScalar {
    static var ioIsInteger: Bool { true }
    @inline(__always) var ioDouble: Double { Double(self) }
    @inline(__always) var ioInt64: Int64 { self }
    @inline(__always) init(ioConvertingDouble value: Double) { self = ioTruncatingToInt64(value) }
    @inline(__always) init(ioConvertingInt64 value: Int64) { self = value }
    @inline(__always) var ioByteSwapped: Int64 { byteSwapped }
}

extension Int32: IOScalar {
    static var ioIsInteger: Bool { true }
    @inline(__always) var ioDouble: Double { Double(self) }
    @inline(__always) var ioInt64: Int64 { Int64(self) }
    @inline(__always) init(ioConvertingDouble value: Double) { self = Int32(clamping: ioTruncatingToInt64(value)) }
    @inline(__always) init(ioConvertingInt64 value: Int64) { self = Int32(clamping: value) }
    @inline(__always) var ioByteSwapped: Int32 { byteSwapped }
}

extension Int16: IOScalar {
    static var ioIsInteger: Bool { true }
    @inline(__always) var ioDouble: Double { Double(self) }
    @inline(__always) var ioInt64: Int64 { Int64(self) }
    @inline(__always) init(ioConvertingDouble value: Double) { self = Int16(clamping: ioTruncatingToInt64(value)) }
    @inline(__always) init(ioConvertingInt64 value: Int64) { self = Int16(clamping: value) }
    @inline(__always) var ioByteSwapped: Int16 { byteSwapped }
}

extension UInt8: IOScalar {
    static var ioIsInteger: Bool { true }
    @inline(__always) var ioDouble: Double { Double(self) }
    @inline(__always) var ioInt64: Int64 { Int64(self) }
    @inline(__always) init(ioConvertingDouble value: Double) { self = UInt8(clamping: ioTruncatingToInt64(value)) }
    @inline(__always) init(ioConvertingInt64 value: Int64) { self = UInt8(clamping: value) }
    @inline(__always) var ioByteSwapped: UInt8 { self }
}

enum ElementConversion {
    /// Converts `count` elements of `source` (optionally byte-swapped) at `from` into `target` at `to`.
    /// Neither pointer needs to be aligned.
    static func convert(from: UnsafeRawPointer, source: DType, swapBytes: Bool,
                        to: UnsafeMutableRawPointer, target: DType, count: Int) {
        switch source {
        case .float64: convert(from: from, Double.self, swapBytes: swapBytes, to: to, target: target, count: count)
        case .float32: convert(from: from, Float.self, swapBytes: swapBytes, to: to, target: target, count: count)
        case .int64: convert(from: from, Int64.self, swapBytes: swapBytes, to: to, target: target, count: count)
        case .int32: convert(from: from, Int32.self, swapBytes: swapBytes, to: to, target: target, count: count)
        case .int16: convert(from: from, Int16.self, swapBytes: swapBytes, to: to, target: target, count: count)
        case .uint8: convert(from: from, UInt8.self, swapBytes: swapBytes, to: to, target: target, count: count)
        }
    }

    @inline(__always)
    private static func convert<S: IOScalar>(from: UnsafeRawPointer, _ s: S.Type, swapBytes: Bool,
                                             to: UnsafeMutableRawPointer, target: DType, count: Int) {
        switch target {
        case .float64: loop(from: from, S.self, swapBytes: swapBytes, to: to, Double.self, count: count)
        case .float32: loop(from: from, S.self, swapBytes: swapBytes, to: to, Float.self, count: count)
        case .int64: loop(from: from, S.self, swapBytes: swapBytes, to: to, Int64.self, count: count)
        case .int32: loop(from: from, S.self, swapBytes: swapBytes, to: to, Int32.self, count: count)
        case .int16: loop(from: from, S.self, swapBytes: swapBytes, to: to, Int16.self, count: count)
        case .uint8: loop(from: from, S.self, swapBytes: swapBytes, to: to, UInt8.self, count: count)
        }
    }

    @inline(__always)
    private static func loop<S: IOScalar, T: IOScalar>(from: UnsafeRawPointer, _: S.Type, swapBytes: Bool,
                                                       to: UnsafeMutableRawPointer, _: T.Type, count: Int) {
        let sourceStride = MemoryLayout<S>.stride
        let targetStride = MemoryLayout<T>.stride
        if S.self == T.self {
            if swapBytes {
                for i in 0..<count {
                    let value = from.loadUnaligned(fromByteOffset: i &* sourceStride, as: S.self)
                    to.storeBytes(of: value.ioByteSwapped, toByteOffset: i &* targetStride, as: S.self)
                }
            } else {
                to.copyMemory(from: from, byteCount: count * sourceStride)
            }
            return
        }
        for i in 0..<count {
            var value = from.loadUnaligned(fromByteOffset: i &* sourceStride, as: S.self)
            if swapBytes { value = value.ioByteSwapped }
            let converted = S.ioIsInteger ? T(ioConvertingInt64: value.ioInt64) : T(ioConvertingDouble: value.ioDouble)
            to.storeBytes(of: converted, toByteOffset: i &* targetStride, as: T.self)
        }
    }
}
