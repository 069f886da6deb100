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
