extension SharedArray {
    /// A mask of `self[i] ⋚ scalar`, built in parallel; NaN compares false except with ``Comparison/notEqual``.
    /// ``MaskScalar`` says how the scalar meets each element type (numpy's rules).
    ///
    /// ```swift
    /// let big = try x.compare(.greater, .real(1.5))
    /// ```
    public func compare(_ comparison: Comparison, _ scalar: MaskScalar) throws -> SharedMask {
        try SharedMask.build(
            shape: shape, on: pool, elementSize: MemoryLayout<Element>.stride, operation: .compareScalar(comparison, scalar),
            source: location, second: location)
    }

    /// A mask of `self[i] ⋚ scalar`, compared exactly in the element type.
    public func compare(_ comparison: Comparison, _ scalar: Element) throws -> SharedMask {
        try compare(comparison, Self.maskScalar(scalar))
    }

    /// A mask of `self[i] ⋚ other[i]`; the shapes must match.
    public func compare(_ comparison: Comparison, _ other: SharedArray) throws -> SharedMask {
        guard other.shape == shape else { throw ArrayError.shapeMismatch("compare \(comparison.rawValue)", shape, other.shape) }
        guard other.pool === pool else { throw ArrayError(.differentPools, operation: "compare \(comparison.rawValue)", input: "arrays", "the arrays belong to different pools") }
        return try SharedMask.build(
            shape: shape, on: pool, elementSize: MemoryLayout<Element>.stride, operation: .compareArray(comparison),
            source: location, second: other.location)
    }

    /// `np.isnan`: true where the element is NaN (never for integers).
    public func isNaN() throws -> SharedMask { try classified(.isNaN) }
    /// `np.isfinite`: true where the element is neither NaN nor ±infinity (always for integers).
    public func isFinite() throws -> SharedMask { try classified(.isFinite) }

    /// `self < scalar`, element by element.
    public func less(than scalar: Element) throws -> SharedMask { try compare(.less, scalar) }
    /// `self <= scalar`, element by element.
    public func lessOrEqual(to scalar: Element) throws -> SharedMask { try compare(.lessOrEqual, scalar) }
    /// `self > scalar`, element by element.
    public func greater(than scalar: Element) throws -> SharedMask { try compare(.greater, scalar) }
    /// `self >= scalar`, element by element.
    public func greaterOrEqual(to scalar: Element) throws -> SharedMask { try compare(.greaterOrEqual, scalar) }
    /// `self == scalar`, element by element.
    public func equal(to scalar: Element) throws -> SharedMask { try compare(.equal, scalar) }
    /// `self != scalar`, element by element.
    public func notEqual(to scalar: Element) throws -> SharedMask { try compare(.notEqual, scalar) }
    /// `self < other`, element by element.
    public func less(than other: SharedArray) throws -> SharedMask { try compare(.less, other) }
    /// `self <= other`, element by element.
    public func lessOrEqual(to other: SharedArray) throws -> SharedMask { try compare(.lessOrEqual, other) }
    /// `self > other`, element by element.
    public func greater(than other: SharedArray) throws -> SharedMask { try compare(.greater, other) }
    /// `self >= other`, element by element.
    public func greaterOrEqual(to other: SharedArray) throws -> SharedMask { try compare(.greaterOrEqual, other) }
    /// `self == other`, element by element.
    public func equal(to other: SharedArray) throws -> SharedMask { try compare(.equal, other) }
    /// `self != other`, element by element.
    public func notEqual(to other: SharedArray) throws -> SharedMask { try compare(.notEqual, other) }

    public static func < (a: SharedArray, b: Element) throws -> SharedMask { try a.compare(.less, b) }
    public static func <= (a: SharedArray, b: Element) throws -> SharedMask { try a.compare(.lessOrEqual, b) }
    public static func > (a: SharedArray, b: Element) throws -> SharedMask { try a.compare(.greater, b) }
    public static func >= (a: SharedArray, b: Element) throws -> SharedMask { try a.compare(.greaterOrEqual, b) }
    public static func == (a: SharedArray, b: Element) throws -> SharedMask { try a.compare(.equal, b) }
    public static func != (a: SharedArray, b: Element) throws -> SharedMask { try a.compare(.notEqual, b) }
    public static func < (a: SharedArray, b: SharedArray) throws -> SharedMask { try a.compare(.less, b) }
    public static func <= (a: SharedArray, b: SharedArray) throws -> SharedMask { try a.compare(.lessOrEqual, b) }
    public static func > (a: SharedArray, b: SharedArray) throws -> SharedMask { try a.compare(.greater, b) }
    public static func >= (a: SharedArray, b: SharedArray) throws -> SharedMask { try a.compare(.greaterOrEqual, b) }
    public static func == (a: SharedArray, b: SharedArray) throws -> SharedMask { try a.compare(.equal, b) }
    public static func != (a: SharedArray, b: SharedArray) throws -> SharedMask { try a.compare(.notEqual, b) }

    private func classified(_ operation: MaskOperation) throws -> SharedMask {
        try SharedMask.build(
            shape: shape, on: pool, elementSize: MemoryLayout<Element>.stride, operation: operation, source: location,
            second: location)
    }

    /// An element as a scalar that compares exactly with this array's elements.
    static func maskScalar(_ value: Element) -> MaskScalar {
        if let v = value as? Int64 { return .integer(v) }
        if let v = value as? Int32 { return .integer(Int64(v)) }
        return .real(value.asDouble)
    }
}
