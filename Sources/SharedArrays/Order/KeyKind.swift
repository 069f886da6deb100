/// Which of an element's order keys a pass reads (see ``OrderKey``): ``selection`` for order statistics
/// (every NaN one key), ``value`` for `sorted()` (each value's bits kept), ``rank`` for stable argsorts
/// (numpy's equality: `-0.0 == 0.0`, NaNs equal).
enum KeyKind: UInt8, BitwiseCopyable, Sendable {
    case selection, value, rank
}

/// One key function of one element type, for loops specialised on both.
protocol KeyFunction {
    associatedtype Element: SharedElement
    static func key(_ x: Element) -> UInt64
}

enum SelectionKey<K: OrderKey>: KeyFunction {
    @inline(__always) static func key(_ x: K.Element) -> UInt64 { K.selection(x) }
}

enum ValueKey<K: OrderKey>: KeyFunction {
    @inline(__always) static func key(_ x: K.Element) -> UInt64 { K.value(x) }
}

enum RankKey<K: OrderKey>: KeyFunction {
    @inline(__always) static func key(_ x: K.Element) -> UInt64 { K.rank(x) }
}

/// Something to run with the key function of a dtype and kind, specialised (the dispatch happens once per
/// chunk, outside the loops).
protocol KeyFunctionVisitor {
    associatedtype Result
    func visit<F: KeyFunction>(_ f: F.Type) throws -> Result
}

extension KeyKind {
    /// Calls `visitor` with the key function of `dtype` and this kind.
    @inline(__always)
    func dispatch<V: KeyFunctionVisitor>(_ dtype: DType, _ visitor: V) throws -> V.Result {
        switch (dtype, self) {
        case (.float64, .selection): try visitor.visit(SelectionKey<Float64Key>.self)
        case (.float64, .value): try visitor.visit(ValueKey<Float64Key>.self)
        case (.float64, .rank): try visitor.visit(RankKey<Float64Key>.self)
        case (.float32, .selection): try visitor.visit(SelectionKey<Float32Key>.self)
        case (.float32, .value): try visitor.visit(ValueKey<Float32Key>.self)
        case (.float32, .rank): try visitor.visit(RankKey<Float32Key>.self)
        case (.int64, .selection): try visitor.visit(SelectionKey<Int64Key>.self)
        case (.int64, .value): try visitor.visit(ValueKey<Int64Key>.self)
        case (.int64, .rank): try visitor.visit(RankKey<Int64Key>.self)
        case (.int32, .selection): try visitor.visit(SelectionKey<Int32Key>.self)
        case (.int32, .value): try visitor.visit(ValueKey<Int32Key>.self)
        case (.int32, .rank): try visitor.visit(RankKey<Int32Key>.self)
        case (.int16, _), (.uint8, _): throw ArrayError("\(dtype.rawValue) is an input type only; load it as another element type")
        }
    }
}
