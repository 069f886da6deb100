/// Stable least-significant-digit radix sorts of 64-bit keys (alone or with a 64-bit payload), 11 bits a
/// pass, for one sample-sort bucket. One read computes every digit's histogram; digits on which all keys
/// agree are skipped, so all-equal keys cost one read and no move. A bucket too big for the cache (one
/// heavy digit of the sample sort) is first split by its highest varying digit (a stable MSD pass), and
/// each part is then sorted in cache.
enum RadixSort {
    private static let digitBits = 11
    private static let radix = 1 << 11
    private static let passes = 6

    /// The digit positions on which the keys differ, with each one's exclusive prefix offsets
    /// (`radix` per pass, pass-major).
    private static func plan(_ keys: UnsafePointer<UInt64>, _ n: Int) -> (passes: [Int], offsets: [Int]) {
        var counts = [Int](repeating: 0, count: passes * radix)
        counts.withUnsafeMutableBufferPointer { c in
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
                let c = counts[p * radix + d]
                if c == n { constant = true }
                counts[p * radix + d] = running
                running += c
            }
            if !constant { needed.append(p) }
        }
        return (needed, counts)
    }

    /// Keys above which a bucket is split by an MSD pass before the LSD passes.
    private static let inCache = 1 << 17

    /// Sorts `keys[0..<n]` ascending; `scratch` holds `n` keys. Returns whether anything moved.
    @discardableResult
    static func sort(_ keys: UnsafeMutablePointer<UInt64>, _ n: Int, scratch: UnsafeMutablePointer<UInt64>) -> Bool {
        if n < 2 { return false }
        let (needed, offsets) = plan(keys, n)
        if needed.isEmpty { return false }
        if n > inCache, let top = needed.last, needed.count > 1 {
            // Split by the highest varying digit into `scratch`, sort each part there (with the matching
            // range of `keys` as its scratch), and copy back.
            let shift = UInt64(top * digitBits)
            var position = Array(offsets[top * radix..<(top + 1) * radix])
            position.withUnsafeMutableBufferPointer { pos in
                for i in 0..<n {
                    let k = keys[i]
                    let d = Int((k >> shift) & UInt64(radix - 1))
                    scratch[pos[d]] = k
                    pos[d] += 1
                }
            }
            for d in 0..<radix {
                let start = offsets[top * radix + d]
                let end = d + 1 < radix ? offsets[top * radix + d + 1] : n
                if end - start > 1 { sort(scratch + start, end - start, scratch: keys + start) }
            }
            keys.update(from: scratch, count: n)
            return true
        }
        var src = keys
        var dst = scratch
        var position = [Int](repeating: 0, count: radix)
        for p in needed {
            let shift = UInt64(p * digitBits)
            for d in 0..<radix { position[d] = offsets[p * radix + d] }
            position.withUnsafeMutableBufferPointer { pos in
                for i in 0..<n {
                    let k = src[i]
                    let d = Int((k >> shift) & UInt64(radix - 1))
                    dst[pos[d]] = k
                    pos[d] += 1
                }
            }
            swap(&src, &dst)
        }
        if src != keys { keys.update(from: src, count: n) }
        return true
    }

    /// Sorts `keys[0..<n]` ascending and moves `values` with them, keeping the order of equal keys.
    /// The scratch buffers hold `n` each.
    static func sort(
        _ keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<Int64>, _ n: Int,
        scratchKeys: UnsafeMutablePointer<UInt64>, scratchValues: UnsafeMutablePointer<Int64>
    ) {
        if n < 2 { return }
        let (needed, offsets) = plan(keys, n)
        if needed.isEmpty { return }
        if n > inCache, let top = needed.last, needed.count > 1 {
            let shift = UInt64(top * digitBits)
            var position = Array(offsets[top * radix..<(top + 1) * radix])
            position.withUnsafeMutableBufferPointer { pos in
                for i in 0..<n {
                    let k = keys[i]
                    let at = pos[Int((k >> shift) & UInt64(radix - 1))]
                    scratchKeys[at] = k
                    scratchValues[at] = values[i]
                    pos[Int((k >> shift) & UInt64(radix - 1))] = at + 1
                }
            }
            for d in 0..<radix {
                let start = offsets[top * radix + d]
                let end = d + 1 < radix ? offsets[top * radix + d + 1] : n
                if end - start > 1 {
                    sort(scratchKeys + start, scratchValues + start, end - start, scratchKeys: keys + start, scratchValues: values + start)
                }
            }
            keys.update(from: scratchKeys, count: n)
            values.update(from: scratchValues, count: n)
            return
        }
        var (srcK, srcV) = (keys, values)
        var (dstK, dstV) = (scratchKeys, scratchValues)
        var position = [Int](repeating: 0, count: radix)
        for p in needed {
            let shift = UInt64(p * digitBits)
            for d in 0..<radix { position[d] = offsets[p * radix + d] }
            position.withUnsafeMutableBufferPointer { pos in
                for i in 0..<n {
                    let k = srcK[i]
                    let d = Int((k >> shift) & UInt64(radix - 1))
                    let at = pos[d]
                    dstK[at] = k
                    dstV[at] = srcV[i]
                    pos[d] = at + 1
                }
            }
            swap(&srcK, &dstK)
            swap(&srcV, &dstV)
        }
        if srcK != keys {
            keys.update(from: srcK, count: n)
            values.update(from: srcV, count: n)
        }
    }
}
