/// Medians or quantiles of each row of a table, as a ``ChunkReduction`` over the
/// ``ReductionLayout/rows(_:)`` layout: each row's keys are sorted in the worker that owns its row block,
/// and numpy's rules pick the results (up to ``capacity`` per row; more quantiles run in batches).
struct RowOrderStatistics<Element: SharedElement>: ChunkReduction {
    static var capacity: Int { 4 }

    var isMedian: Bool
    var q: SIMD4<Double>
    var qCount: Int
    var method: QuantileMethod
    var scalarQ: Bool
    var skipNaN: Bool

    init(_ request: OrderRequest, skipNaN: Bool) {
        self.skipNaN = skipNaN
        switch request {
        case .median:
            isMedian = true
            q = .zero
            qCount = 1
            method = .linear
            scalarQ = true
        case .quantiles(let qs, let m, let scalar):
            isMedian = false
            q = .zero
            for (i, x) in qs.prefix(Self.capacity).enumerated() { q[i] = x }
            qCount = Swift.min(qs.count, Self.capacity)
            method = m
            scalarQ = scalar
        }
    }

    var request: OrderRequest {
        isMedian ? .median : .quantiles((0..<qCount).map { q[$0] }, method, scalarQ: scalarQ)
    }

    var slotCount: Int { qCount }
    var identity: Double { .nan }

    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Double>) {
        var keys: [UInt64]
        switch Element.dtype {
        case .float64: keys = chunk.elements.map { Float64Key.selection(unsafeBitCast($0, to: Double.self)) }
        case .float32: keys = chunk.elements.map { Float32Key.selection(unsafeBitCast($0, to: Float.self)) }
        case .int64: keys = chunk.elements.map { Int64Key.selection(unsafeBitCast($0, to: Int64.self)) }
        case .int32: keys = chunk.elements.map { Int32Key.selection(unsafeBitCast($0, to: Int32.self)) }
        case .int16, .uint8: return
        }
        keys.sort()
        var n = keys.count
        if Element.dtype.isFloatingPoint {
            while n > 0 && keys[n - 1] == .max { n -= 1 }
        }
        // A row with a NaN (unless skipped), or with nothing left, gives NaN.
        guard n > 0, skipNaN || n == keys.count else {
            partial.update(repeating: .nan)
            return
        }
        let request = self.request
        let values = request.evaluate(Element.self, positions: request.positions(n: n)) { keys[$0] }
        for (i, v) in values.enumerated() { partial[i] = v }
    }

    func merge(_ a: UnsafeMutableBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>) {
        // Rows are never merged: each row is one whole partial.
    }
}
