/// Stable radix sorts of 64-bit keys (alone, or moving a 64-bit payload with them) for one sample-sort
/// bucket.
///
/// A bucket that fits in cache is sorted least-significant digit first, 11 bits a pass: one read computes
/// every digit's histogram, and digits on which all keys agree are skipped (all-equal keys cost one read
/// and no move). A bigger bucket (one heavy key digit of the sample sort) is first split on its highest
/// varying bits into parts of about 2^15 keys (a stable most-significant-digit pass), and each part is
/// then sorted in cache. Tiny parts are insertion-sorted.
enum RadixSort {
    private static let digitBits = 11
    private static let radix = 1 << 11
    private static let passes = 6
    /// Keys above which a bucket is split before its LSD passes.
    private static let inCache = 1 << 17
    /// Keys per part the split aims at.
    private static let partBits = 15

    /// Where a sort left its keys (and payload).
    enum Placement {
        /// Nothing moved: the keys were in order.
        case unchanged
        /// Sorted, in the keys' own buffer.
        case inKeys
        /// Sorted, in the scratch buffer (the caller copies or reads them from there).
        case inScratch
    }

    /// Sorts `keys[0..<n]` ascending into `keys` or `scratch` (which holds `n` keys): the returned
    /// placement says which. `range` is the smallest and largest key when the caller knows them.
    static func sort(
        _ keys: UnsafeMutablePointer<UInt64>, _ n: Int, scratch: UnsafeMutablePointer<UInt64>, range: (UInt64, UInt64)? = nil
    ) -> Placement {
        sortRange(keys, nil, n, scratch, nil, range: range, bits: 64)
    }

    /// Sorts `keys[0..<n]` ascending and moves `values` with them, keeping the order of equal keys.
    /// The scratch buffers hold `n` each.
    static func sort(
        _ keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<Int64>, _ n: Int,
        scratchKeys: UnsafeMutablePointer<UInt64>, scratchValues: UnsafeMutablePointer<Int64>
    ) {
        if sortRange(keys, values, n, scratchKeys, scratchValues, range: nil, bits: 64) == .inScratch {
            keys.update(from: scratchKeys, count: n)
            values.update(from: scratchValues, count: n)
        }
    }

    private static func sortRange(
        _ keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<Int64>?, _ n: Int,
        _ scratch: UnsafeMutablePointer<UInt64>, _ scratchValues: UnsafeMutablePointer<Int64>?, range: (UInt64, UInt64)?,
        bits: Int
    ) -> Placement {
        // `bits`: only the keys' lowest `bits` bits can differ.
        var bits = bits
        if n < 2 { return .unchanged }
        if n <= 48 { return insertionSort(keys, values, n) ? .inKeys : .unchanged }
        if n > inCache || range != nil {
            var (lo, hi) = range ?? (UInt64.max, UInt64.min)
            if range == nil {
                for i in 0..<n {
                    lo = Swift.min(lo, keys[i])
                    hi = Swift.max(hi, keys[i])
                }
            }
            if lo == hi { return .unchanged }
            let highest = 63 - (lo ^ hi).leadingZeroBitCount
            if n > inCache && highest >= digitBits {
                split(keys, values, n, scratch, scratchValues, highest: highest)
                return .inScratch
            }
            bits = Swift.min(bits, highest + 1)
        }
        return leastSignificantFirst(keys, values, n, scratch, scratchValues, passCount: Swift.max(1, (bits + digitBits - 1) / digitBits))
    }

    /// The stable MSD pass into the scratch buffers, and each part sorted there.
    private static func split(
        _ keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<Int64>?, _ n: Int,
        _ scratch: UnsafeMutablePointer<UInt64>, _ scratchValues: UnsafeMutablePointer<Int64>?, highest: Int
    ) {
        let bits = Swift.max(1, Swift.min(digitBits, (Int.bitWidth - n.leadingZeroBitCount) - partBits))
        let shift = UInt64(highest + 1 - bits)
        let mask = UInt64((1 << bits) - 1)
        var starts = [Int](repeating: 0, count: (1 << bits) + 1)
        for i in 0..<n { starts[Int((keys[i] >> shift) & mask) + 1] += 1 }
        for d in 0..<(1 << bits) { starts[d + 1] += starts[d] }
        var position = Array(starts.dropLast())
        position.withUnsafeMutableBufferPointer { pos in
            if let values, let scratchValues {
                for i in 0..<n {
                    let d = Int((keys[i] >> shift) & mask)
                    scratch[pos[d]] = keys[i]
                    scratchValues[pos[d]] = values[i]
                    pos[d] += 1
                }
            } else {
                for i in 0..<n {
                    let d = Int((keys[i] >> shift) & mask)
                    scratch[pos[d]] = keys[i]
                    pos[d] += 1
                }
            }
        }
        for d in 0..<(1 << bits) where starts[d + 1] - starts[d] > 1 {
            let (s, m) = (starts[d], starts[d + 1] - starts[d])
            // A part sorted into its own scratch (this call's keys) comes back; it is in cache.
            let sorted = sortRange(scratch + s, scratchValues.map { $0 + s }, m, keys + s, values.map { $0 + s }, range: nil, bits: Int(shift))
            if sorted == .inScratch {
                (scratch + s).update(from: keys + s, count: m)
                if let values, let scratchValues { (scratchValues + s).update(from: values + s, count: m) }
            }
        }
    }

    /// LSD passes over the digits on which the keys differ; the result is where the last pass wrote.
    private static func leastSignificantFirst(
        _ keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<Int64>?, _ n: Int,
        _ scratch: UnsafeMutablePointer<UInt64>, _ scratchValues: UnsafeMutablePointer<Int64>?, passCount: Int
    ) -> Placement {
        let passes = Swift.min(passCount, Self.passes)
        var offsets = [Int](repeating: 0, count: passes * radix)
        offsets.withUnsafeMutableBufferPointer { c in
            for i in 0..<n {
                let k = keys[i]
                for p in 0..<passes { c[p * radix + Int((k >> UInt64(p * digitBits)) & UInt64(radix - 1))] += 1 }
            }
        }
        var needed: [Int] = []
        for p in 0..<passes {
            var running = 0
            var constant = false
            for d in 0..<radix {
                let c = offsets[p * radix + d]
                if c == n { constant = true }
                offsets[p * radix + d] = running
                running += c
            }
            if !constant { needed.append(p) }
        }
        if needed.isEmpty { return .unchanged }
        var (srcK, dstK) = (keys, scratch)
        var (srcV, dstV) = (values, scratchValues)
        var position = [Int](repeating: 0, count: radix)
        for p in needed {
            let shift = UInt64(p * digitBits)
            for d in 0..<radix { position[d] = offsets[p * radix + d] }
            position.withUnsafeMutableBufferPointer { pos in
                if let sv = srcV, let dv = dstV {
                    for i in 0..<n {
                        let k = srcK[i]
                        let d = Int((k >> shift) & UInt64(radix - 1))
                        let at = pos[d]
                        dstK[at] = k
                        dv[at] = sv[i]
                        pos[d] = at + 1
                    }
                } else {
                    for i in 0..<n {
                        let k = srcK[i]
                        let d = Int((k >> shift) & UInt64(radix - 1))
                        dstK[pos[d]] = k
                        pos[d] += 1
                    }
                }
            }
            swap(&srcK, &dstK)
            swap(&srcV, &dstV)
        }
        return srcK == keys ? .inKeys : .inScratch
    }

    /// A stable insertion sort for a handful of keys.
    private static func insertionSort(_ keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<Int64>?, _ n: Int) -> Bool {
        var moved = false
        for i in 1..<n {
            let k = keys[i]
            let v = values?[i]
            var j = i
            while j > 0 && keys[j - 1] > k {
                keys[j] = keys[j - 1]
                if let values { values[j] = values[j - 1] }
                j -= 1
            }
            if j != i {
                keys[j] = k
                if let values, let v { values[j] = v }
                moved = true
            }
        }
        return moved
    }
}
