import Multiprocessing

extension SharedArray {
    /// The correctly rounded sum of the elements, Python's `math.fsum`: the exact sum of all the values,
    /// rounded once to the nearest double (ties to even). Bit-identical for any number of workers.
    ///
    /// Unlike `math.fsum` it never raises: a NaN gives NaN (skipped when `skipNaN`), +inf and -inf together
    /// give NaN, one infinity gives that infinity, and an exact sum beyond the largest double gives ±inf
    /// (Python raises `OverflowError` there, and also on a partial sum that overflows, which here is exact).
    ///
    /// ```swift
    /// let exact = try x.fsum()      // vs x.sum(): pairwise and lane-wise, off by rounding on cancelling data
    /// ```
    public func fsum(skipNaN: Bool = false, timeout: Duration? = nil) throws -> Double {
        let partial: [Int64]
        if isContiguous {
            partial = try reduce(FsumReduction<Element>(), timeout: timeout)
        } else {
            // A strided view is residue class 0 of the span it covers.
            let classes = try coveringSpan().reduce(FsumReduction<Element>(), layout: .residueClasses(stride), timeout: timeout)
            partial = Array(classes.prefix(ExactSum.slots))
        }
        return FsumReduction<Element>.value(of: partial, skipNaN: skipNaN)
    }

    /// ``fsum(skipNaN:timeout:)`` along `axis` of a 2-D array: one correctly rounded sum per column (axis 0)
    /// or per row (axis 1).
    public func fsum(axis: Int, skipNaN: Bool = false, timeout: Duration? = nil) throws -> [Double] {
        guard rank == 2 else { throw ArrayError(.invalidArgument, operation: nil, "fsum: axis \(axis) needs a 2-D array; this one has shape \(shape)") }
        guard axis == 0 || axis == 1 else { throw ArrayError(.invalidArgument, operation: nil, "fsum: axis must be 0 or 1, got \(axis)") }
        let outputs = shape[axis == 0 ? 1 : 0]
        if shape[0] == 0 || shape[1] == 0 { return Array(repeating: 0.0, count: outputs) }
        let table = isContiguous ? self : try copy()
        let partials = try table.reduce(
            FsumReduction<Element>(), layout: axis == 0 ? .columns(shape[1]) : .rows(shape[1]), timeout: timeout)
        let width = ExactSum.slots
        return (0..<outputs).map { k in
            FsumReduction<Element>.value(of: Array(partials[k * width..<(k + 1) * width]), skipNaN: skipNaN)
        }
    }
}
