extension SharedArray {
    /// `self ** exponent` element by element, like `np.power(a, b)`; shapes must match. On integers the power
    /// is exact wrapping integer arithmetic, and a negative exponent is an error naming its index (numpy:
    /// "Integers to negative integer powers are not allowed").
    ///
    /// ```swift
    /// let y = try x.power(p)
    /// ```
    public func power(_ exponent: SharedArray) throws -> SharedArray { try combined(with: exponent, .power) }

    /// `self ** exponent` for a scalar exponent (the ``UnaryOp/power(_:)`` row): `x.power(2)`.
    public func power(_ exponent: Double) throws -> SharedArray { try map(.power(exponent)) }

    /// The element-wise minimum, NaN where either is NaN (`np.minimum`); shapes must match.
    public func minimum(_ other: SharedArray) throws -> SharedArray { try combined(with: other, .minimum) }

    /// The element-wise maximum, NaN where either is NaN (`np.maximum`); shapes must match.
    public func maximum(_ other: SharedArray) throws -> SharedArray { try combined(with: other, .maximum) }

    /// numpy refuses integers to negative integer powers: so do we, before any element is written.
    func checkIntegerExponents(_ exponent: SharedArray) throws {
        guard !Element.dtype.isFloatingPoint, exponent.shape == shape else { return }
        let first = try exponent.reduce(FirstNegativeReduction<Element>())[0]
        if first != Int.max {
            throw ArrayError(.outOfRange, operation: "power", input: "exponent", "integers to negative integer powers are not allowed (exponent \(exponent[first]) at index \(first))")
        }
    }

    /// The same check for a scalar exponent of ``UnaryOp/power(_:)``.
    func checkIntegerExponent(_ op: UnaryOp) throws {
        guard !Element.dtype.isFloatingPoint, case .power(let p) = op, let k = integralValue(p), k < 0 else { return }
        throw ArrayError(.outOfRange, operation: "power", input: "exponent", "integers to negative integer powers are not allowed (exponent \(p))")
    }
}
