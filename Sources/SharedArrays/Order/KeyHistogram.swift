/// Counts an array's selection keys (``OrderKey/selection(_:)``) by one 16-bit digit: the first pass of
/// an exact order statistic.
///
/// With `prefixBits == 0` every key counts, in bucket `key >> 48`; otherwise only the keys whose top
/// `prefixBits` bits equal `prefix` count, in bucket `(key >> (48 - prefixBits)) & 0xFFFF`. Counts are
/// exact integers, so partials merge per worker in any order (the result does not depend on the worker
/// count).
///
/// ```swift
/// let counts = try x.reduce(KeyHistogram<Double>(prefixBits: 0, prefix: 0))   // 65,536 counts
/// ```
struct KeyHistogram<Element: SharedElement>: ChunkReduction {
    /// Bits of the key already fixed: 0, 16, 32 or 48.
    var prefixBits: Int
    /// The fixed top bits, right-aligned.
    var prefix: UInt64
    /// The key counted.
    var kind: KeyKind = .selection

    static var buckets: Int { 1 << 16 }

    var slotCount: Int { Self.buckets }
    var identity: Int64 { 0 }
    static var mergesInAnyOrder: Bool { true }

    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Int64>) {
        guard let base = chunk.elements.baseAddress, let counts = partial.baseAddress else { return }
        let (raw, n) = (UnsafeRawPointer(base), chunk.elements.count)
        // Explicit key types at each call, so that every loop is specialised (a generic visitor was not).
        switch (Element.dtype, kind) {
        case (.float64, .selection): countKeyDigits(SelectionKey<Float64Key>.self, raw, n, prefixBits, prefix, counts)
        case (.float64, .value): countKeyDigits(ValueKey<Float64Key>.self, raw, n, prefixBits, prefix, counts)
        case (.float64, .rank): countKeyDigits(RankKey<Float64Key>.self, raw, n, prefixBits, prefix, counts)
        case (.float32, .selection): countKeyDigits(SelectionKey<Float32Key>.self, raw, n, prefixBits, prefix, counts)
        case (.float32, .value): countKeyDigits(ValueKey<Float32Key>.self, raw, n, prefixBits, prefix, counts)
        case (.float32, .rank): countKeyDigits(RankKey<Float32Key>.self, raw, n, prefixBits, prefix, counts)
        case (.int64, .selection): countKeyDigits(SelectionKey<Int64Key>.self, raw, n, prefixBits, prefix, counts)
        case (.int64, .value): countKeyDigits(ValueKey<Int64Key>.self, raw, n, prefixBits, prefix, counts)
        case (.int64, .rank): countKeyDigits(RankKey<Int64Key>.self, raw, n, prefixBits, prefix, counts)
        case (.int32, .selection): countKeyDigits(SelectionKey<Int32Key>.self, raw, n, prefixBits, prefix, counts)
        case (.int32, .value): countKeyDigits(ValueKey<Int32Key>.self, raw, n, prefixBits, prefix, counts)
        case (.int32, .rank): countKeyDigits(RankKey<Int32Key>.self, raw, n, prefixBits, prefix, counts)
        case (.int16, _), (.uint8, _): preconditionFailure("\(Element.dtype) is never an array element type")
        }
    }

    func merge(_ a: UnsafeMutableBufferPointer<Int64>, _ b: UnsafeBufferPointer<Int64>) {
        for i in 0..<a.count { a[i] &+= b[i] }
    }
}

/// The histogram loop for one key type (specialised per dtype at the call sites above).
@inline(__always)
func countKeyDigits<K: KeyFunction>(
    _: K.Type, _ raw: UnsafeRawPointer, _ n: Int, _ prefixBits: Int, _ prefix: UInt64, _ counts: UnsafeMutablePointer<Int64>
) {
    let x = raw.assumingMemoryBound(to: K.Element.self)
    if prefixBits == 0 {
        var i = 0
        while i + 4 <= n {
            let k0 = K.key(x[i]) >> 48, k1 = K.key(x[i + 1]) >> 48
            let k2 = K.key(x[i + 2]) >> 48, k3 = K.key(x[i + 3]) >> 48
            counts[Int(k0)] &+= 1
            counts[Int(k1)] &+= 1
            counts[Int(k2)] &+= 1
            counts[Int(k3)] &+= 1
            i += 4
        }
        while i < n {
            counts[Int(K.key(x[i]) >> 48)] &+= 1
            i += 1
        }
        return
    }
    let prefixShift = UInt64(64 - prefixBits)
    let digitShift = UInt64(48 - prefixBits)
    for i in 0..<n {
        let k = K.key(x[i])
        if k >> prefixShift == prefix { counts[Int((k >> digitShift) & 0xFFFF)] &+= 1 }
    }
}
