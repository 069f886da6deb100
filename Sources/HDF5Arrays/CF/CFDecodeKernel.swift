import SharedArrays

/// A stored element type CF decoding reads (the ``DType`` a stored type is read as before decoding).
protocol CFPackedElement: BitwiseCopyable, Comparable {
    /// The value of `number` in this type, nil when it has none (checked when the rules are made).
    init?(cf number: CFNumber)
    var isNaNValue: Bool { get }
    var cfFloat: Float { get }
    var cfDouble: Double { get }
}

extension Int16: CFPackedElement {
    init?(cf number: CFNumber) {
        if let integer = number.integer { self.init(exactly: integer) } else { self.init(exactly: number.double) }
    }
    var isNaNValue: Bool { false }
    var cfFloat: Float { Float(self) }
    var cfDouble: Double { Double(self) }
}

extension UInt8: CFPackedElement {
    init?(cf number: CFNumber) {
        if let integer = number.integer { self.init(exactly: integer) } else { self.init(exactly: number.double) }
    }
    var isNaNValue: Bool { false }
    var cfFloat: Float { Float(self) }
    var cfDouble: Double { Double(self) }
}

extension Int32: CFPackedElement {
    init?(cf number: CFNumber) {
        if let integer = number.integer { self.init(exactly: integer) } else { self.init(exactly: number.double) }
    }
    var isNaNValue: Bool { false }
    var cfFloat: Float { Float(self) }
    var cfDouble: Double { Double(self) }
}

extension Int64: CFPackedElement {
    init?(cf number: CFNumber) {
        if let integer = number.integer { self = integer } else { self.init(exactly: number.double) }
    }
    var isNaNValue: Bool { false }
    var cfFloat: Float { Float(self) }
    var cfDouble: Double { Double(self) }
}

extension Float: CFPackedElement {
    init?(cf number: CFNumber) { self = Float(number.double) }
    var isNaNValue: Bool { isNaN }
    var cfFloat: Float { self }
    var cfDouble: Double { Double(self) }
}

extension Double: CFPackedElement {
    init?(cf number: CFNumber) { self = number.double }
    var isNaNValue: Bool { isNaN }
    var cfFloat: Float { Float(self) }
    var cfDouble: Double { self }
}

/// The float types decoded values are computed in and written as.
protocol CFUnpackedElement: BinaryFloatingPoint {
    static func from<P: CFPackedElement>(_ packed: P) -> Self
}

extension Float: CFUnpackedElement {
    @inline(__always) static func from<P: CFPackedElement>(_ packed: P) -> Float { packed.cfFloat }
}

extension Double: CFUnpackedElement {
    @inline(__always) static func from<P: CFPackedElement>(_ packed: P) -> Double { packed.cfDouble }
}

/// The per-chunk decoding loop: stored values in, decoded floats out (NaN where masked). Runs in the worker
/// that read the chunk, right after the read, on a buffer still in cache.
///
/// Each element is masked when it equals a masked value (or is NaN and NaN is masked) or lies outside the valid
/// range, all compared in the stored type; otherwise it becomes `U(M(stored) * scale) + offset`, with the product
/// in ``CFDecoding/productDType`` `M` and the sum in ``CFDecoding/unpackedDType`` `U` (numpy's order and types,
/// never fused), then converted to the destination type. The result depends only on the element, so any chunk
/// grid and any number of workers give the same bits.
enum CFDecodeKernel {
    /// Decodes `count` values of `decoding.stored.packedDType` at `source` into `destination` as `target`
    /// (float32 or float64; the caller checks).
    static func decode(_ decoding: CFDecoding, from source: UnsafeRawPointer, count: Int,
                       into destination: UnsafeMutableRawPointer, as target: DType) {
        switch decoding.stored.packedDType {
        case .int16: dispatch(Int16.self, decoding, source, count, destination, target)
        case .uint8: dispatch(UInt8.self, decoding, source, count, destination, target)
        case .int32: dispatch(Int32.self, decoding, source, count, destination, target)
        case .int64: dispatch(Int64.self, decoding, source, count, destination, target)
        case .float32: dispatch(Float.self, decoding, source, count, destination, target)
        case .float64: dispatch(Double.self, decoding, source, count, destination, target)
        }
    }

    private static func dispatch<P: CFPackedElement>(
        _: P.Type, _ d: CFDecoding, _ source: UnsafeRawPointer, _ count: Int, _ destination: UnsafeMutableRawPointer,
        _ target: DType
    ) {
        switch (d.productDType, d.unpackedDType, target) {
        case (.float32, .float32, .float32): run(P.self, Float.self, Float.self, Float.self, d, source, count, destination)
        case (.float32, .float32, _): run(P.self, Float.self, Float.self, Double.self, d, source, count, destination)
        case (.float32, _, .float32): run(P.self, Float.self, Double.self, Float.self, d, source, count, destination)
        case (.float32, _, _): run(P.self, Float.self, Double.self, Double.self, d, source, count, destination)
        case (_, _, .float32): run(P.self, Double.self, Double.self, Float.self, d, source, count, destination)
        default: run(P.self, Double.self, Double.self, Double.self, d, source, count, destination)
        }
    }

    private static func run<P: CFPackedElement, M: CFUnpackedElement, U: CFUnpackedElement, E: CFUnpackedElement>(
        _: P.Type, _: M.Type, _: U.Type, _: E.Type, _ d: CFDecoding, _ source: UnsafeRawPointer, _ count: Int,
        _ destination: UnsafeMutableRawPointer
    ) {
        let input = source.assumingMemoryBound(to: P.self)
        let output = destination.assumingMemoryBound(to: E.self)
        let masked = d.maskedValues.compactMap { P(cf: $0) }
        let low = d.validMin.flatMap { P(cf: $0) }
        let high = d.validMax.flatMap { P(cf: $0) }
        let masksNaN = d.masksNaN
        let scale = d.scaleFactor.map { M(Double($0)) }
        let offset = d.addOffset.map { U(Double($0)) }
        for i in 0..<count {
            let value = input[i]
            var isMasked = masksNaN && value.isNaNValue
            for m in masked where value == m { isMasked = true }
            if let low, value < low { isMasked = true }
            if let high, value > high { isMasked = true }
            if isMasked {
                output[i] = .nan
                continue
            }
            var product = M.from(value)
            if let scale { product = product * scale }
            var sum = U(product)
            if let offset { sum = sum + offset }
            output[i] = E(sum)
        }
    }
}
