/// The two chunk kernels of a scan, per (input, accumulator) type pair: the chunk's total (first pass) and
/// the chunk's scan started from the combined totals of the chunks before it (second pass).
///
/// The entry points take raw memory and switch on the dtypes once, so the generic loops below are
/// specialised for each concrete pair even when called from unspecialised generic code.
enum ScanKernels {
    /// The (input, accumulator) pairs scans support: the same type, Int32 to Int64 (numpy's default for
    /// `cumsum` of int32), and anything to float64.
    static func supports(input: DType, output: DType) -> Bool {
        switch (input, output) {
        case (.float64, .float64), (.float32, .float32), (.int64, .int64), (.int32, .int32), (.int32, .int64),
             (.float32, .float64), (.int32, .float64), (.int64, .float64):
            true
        default: false
        }
    }

    /// Writes the total of `count` elements at `source` (of `input`) under `operation`, as `output`, to `result`.
    static func total(
        _ operation: ScanOperation, source: UnsafeRawPointer, count: Int, input: DType, output: DType,
        into result: UnsafeMutableRawPointer
    ) {
        func run<In: SharedElement, Out: ScanValue>(_: In.Type, _: Out.Type) {
            let x = UnsafeBufferPointer(start: source.assumingMemoryBound(to: In.self), count: count)
            result.storeBytes(of: scanTotal(x, operation, Out.self), as: Out.self)
        }
        switch (input, output) {
        case (.float64, .float64): run(Double.self, Double.self)
        case (.float32, .float32): run(Float.self, Float.self)
        case (.int64, .int64): run(Int64.self, Int64.self)
        case (.int32, .int32): run(Int32.self, Int32.self)
        case (.int32, .int64): run(Int32.self, Int64.self)
        case (.float32, .float64): run(Float.self, Double.self)
        case (.int32, .float64): run(Int32.self, Double.self)
        case (.int64, .float64): run(Int64.self, Double.self)
        default: preconditionFailure("scan: \(input) to \(output) is not supported (checked before the job)")
        }
    }

    /// Scans `count` elements at `source` into `destination`, starting from `offset` (the combined totals
    /// of the elements before them; nil for the first chunk, which starts from its first element).
    static func apply(
        _ operation: ScanOperation, source: UnsafeRawPointer, count: Int, input: DType, output: DType,
        destination: UnsafeMutableRawPointer, offset: UnsafeRawPointer?
    ) {
        func run<In: SharedElement, Out: ScanValue>(_: In.Type, _: Out.Type) {
            let x = UnsafeBufferPointer(start: source.assumingMemoryBound(to: In.self), count: count)
            let y = UnsafeMutableBufferPointer(start: destination.assumingMemoryBound(to: Out.self), count: count)
            scanChunk(x, into: y, operation, offset: offset?.load(as: Out.self))
        }
        switch (input, output) {
        case (.float64, .float64): run(Double.self, Double.self)
        case (.float32, .float32): run(Float.self, Float.self)
        case (.int64, .int64): run(Int64.self, Int64.self)
        case (.int32, .int32): run(Int32.self, Int32.self)
        case (.int32, .int64): run(Int32.self, Int64.self)
        case (.float32, .float64): run(Float.self, Double.self)
        case (.int32, .float64): run(Int32.self, Double.self)
        case (.int64, .float64): run(Int64.self, Double.self)
        default: preconditionFailure("scan: \(input) to \(output) is not supported (checked before the job)")
        }
    }
}

/// The combination of all of `x` under `operation`, in four independent chains (merged in a fixed order)
/// so that the first pass runs at memory speed rather than at the latency of one add.
func scanTotal<In: SharedElement, Out: ScanValue>(_ x: UnsafeBufferPointer<In>, _ operation: ScanOperation, _: Out.Type) -> Out {
    let identity = operation.identity(Out.self)
    switch operation {
    case .cumsum: return fold4(x, identity, { scanConvert($0, to: Out.self) }, Out.scanAdd)
    case .cumprod: return fold4(x, identity, { scanConvert($0, to: Out.self) }, Out.scanMultiply)
    case .cummin: return fold4(x, identity, { scanConvert($0, to: Out.self) }, Out.scanMin)
    case .cummax: return fold4(x, identity, { scanConvert($0, to: Out.self) }, Out.scanMax)
    case .nancumsum:
        return fold4(x, identity, { let v = scanConvert($0, to: Out.self); return v.scanIsNaN ? Out.scanZero : v }, Out.scanAdd)
    case .nancumprod:
        return fold4(x, identity, { let v = scanConvert($0, to: Out.self); return v.scanIsNaN ? Out.scanOne : v }, Out.scanMultiply)
    }
}

@inline(__always)
private func fold4<In, Out>(
    _ x: UnsafeBufferPointer<In>, _ identity: Out, _ value: (In) -> Out, _ combine: (Out, Out) -> Out
) -> Out {
    var (a0, a1, a2, a3) = (identity, identity, identity, identity)
    let n = x.count
    var i = 0
    while i + 4 <= n {
        a0 = combine(a0, value(x[i]))
        a1 = combine(a1, value(x[i + 1]))
        a2 = combine(a2, value(x[i + 2]))
        a3 = combine(a3, value(x[i + 3]))
        i += 4
    }
    while i < n {
        a0 = combine(a0, value(x[i]))
        i += 1
    }
    return combine(combine(a0, a1), combine(a2, a3))
}

/// The sequential scan of `x` into `y` (numpy's order within the chunk), started from `offset` or, when
/// there is none, from `x[0]` itself, so that the first chunk's values are exactly numpy's.
func scanChunk<In: SharedElement, Out: ScanValue>(
    _ x: UnsafeBufferPointer<In>, into y: UnsafeMutableBufferPointer<Out>, _ operation: ScanOperation, offset: Out?
) {
    switch operation {
    case .cumsum: sequentialScan(x, y, offset, { scanConvert($0, to: Out.self) }, Out.scanAdd)
    case .cumprod: sequentialScan(x, y, offset, { scanConvert($0, to: Out.self) }, Out.scanMultiply)
    case .cummin: sequentialScan(x, y, offset, { scanConvert($0, to: Out.self) }, Out.scanMin)
    case .cummax: sequentialScan(x, y, offset, { scanConvert($0, to: Out.self) }, Out.scanMax)
    case .nancumsum:
        sequentialScan(x, y, offset, { let v = scanConvert($0, to: Out.self); return v.scanIsNaN ? Out.scanZero : v }, Out.scanAdd)
    case .nancumprod:
        sequentialScan(x, y, offset, { let v = scanConvert($0, to: Out.self); return v.scanIsNaN ? Out.scanOne : v }, Out.scanMultiply)
    }
}

@inline(__always)
private func sequentialScan<In, Out>(
    _ x: UnsafeBufferPointer<In>, _ y: UnsafeMutableBufferPointer<Out>, _ offset: Out?, _ value: (In) -> Out,
    _ combine: (Out, Out) -> Out
) {
    let n = x.count
    guard n > 0 else { return }
    var acc: Out
    var i: Int
    if let offset {
        acc = offset
        i = 0
    } else {
        acc = value(x[0])
        y[0] = acc
        i = 1
    }
    while i < n {
        acc = combine(acc, value(x[i]))
        y[i] = acc
        i += 1
    }
}
