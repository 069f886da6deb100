/// Exact sums of floating-point numbers: a small superaccumulator (Radford Neal's "xsum" idea) of
/// ``ExactSum/limbs`` signed 64-bit limbs, limb `i` holding bits `32 i ..< 32 i + 32` of the exact sum in
/// units of 2^-1074 (the smallest subnormal), so every finite double, and any sum of them, is an integer
/// there. Doubles first go through ``ExactSumTables`` (one exact sum per sign and exponent), whose entries
/// are added here, shifted, into two limbs each; carries between limbs are propagated before any limb can
/// overflow. Two accumulators add limb by limb, exactly, in any order: the rounded result is the correctly
/// rounded sum of all the values (Python's `math.fsum`), whatever the chunking and the number of workers.
///
/// A partial is ``ExactSum/slots`` Int64 values: the limbs, then the counts of NaN, +inf and -inf.
enum ExactSum {
    /// Limbs of 32 bits: 2^-1074 up to beyond 2^1087 (a sum of 2^63 values of at most 2^1024), plus sign.
    static let limbs = 70
    /// Slots of a partial: the limbs and three counters.
    static let slots = limbs + 3
    static let nanSlot = limbs
    static let positiveInfinitySlot = limbs + 1
    static let negativeInfinitySlot = limbs + 2

    /// Propagates carries so that every limb but the last is in `0 ..< 2^32`; the last holds the sign.
    @inline(__always)
    static func normalize(_ limb: UnsafeMutablePointer<Int64>) {
        for i in 0..<(limbs - 1) {
            let carry = limb[i] >> 32
            limb[i] &-= carry &<< 32
            limb[i + 1] &+= carry
        }
    }

    /// Adds the integer `value` (`|value| < 2^53`) times 2^`power` (`power >= -1074`) to the accumulator.
    @inline(__always)
    static func add(integer value: Int64, power: Int, to limb: UnsafeMutablePointer<Int64>) {
        let position = UInt64(power + 1074)
        let magnitude = value.magnitude
        let index = Int(position &>> 5)
        let shift = position & 31
        let sign = value >> 63
        let low = Int64(bitPattern: (magnitude &<< shift) & 0xffff_ffff)
        let high = Int64(bitPattern: magnitude >> (32 &- shift))
        limb[index] &+= (low ^ sign) &- sign
        limb[index + 1] &+= (high ^ sign) &- sign
    }

    /// Adds ±`magnitude` × 2^`power` (any 64-bit magnitude) as its two 32-bit halves, each exact at its
    /// own scale (a limb gains below 2^33).
    @inline(__always)
    static func add(magnitude: UInt64, negative: Bool, power: Int, to limb: UnsafeMutablePointer<Int64>) {
        let sign: Int64 = negative ? -1 : 1
        add(integer: Int64(magnitude & 0xffff_ffff) &* sign, power: power, to: limb)
        add(integer: Int64(magnitude >> 32) &* sign, power: power + 32, to: limb)
    }

    /// Folds `values` (bit patterns of doubles, or floats widened) into the partial at `partial`, whose limbs
    /// must be normalized on entry and are normalized on return.
    static func fold(doubles values: UnsafeBufferPointer<Double>, into partial: UnsafeMutablePointer<Int64>) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        UnsafeRawPointer(base).withMemoryRebound(to: UInt64.self, capacity: values.count) {
            ExactSumTables.fold($0, count: values.count, into: partial)
        }
    }

    /// Floats widen exactly to doubles, a block at a time.
    static func fold(floats values: UnsafeBufferPointer<Float>, into partial: UnsafeMutablePointer<Int64>) {
        let block = 4096
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: block) { widened in
            var start = 0
            while start < values.count {
                let n = Swift.min(block, values.count - start)
                for k in 0..<n { widened[k] = Double(values[start + k]).bitPattern }
                ExactSumTables.fold(widened.baseAddress!, count: n, into: partial)
                start += n
            }
        }
    }

    static func fold(int64s values: UnsafeBufferPointer<Int64>, into partial: UnsafeMutablePointer<Int64>) {
        var sinceNormalize = 0
        for v in values {
            add(magnitude: v.magnitude, negative: v < 0, power: 0, to: partial)
            sinceNormalize += 1
            if sinceNormalize == 1 << 28 { normalize(partial); sinceNormalize = 0 }
        }
        normalize(partial)
    }

    static func fold(int32s values: UnsafeBufferPointer<Int32>, into partial: UnsafeMutablePointer<Int64>) {
        var sinceNormalize = 0
        for v in values {
            add(integer: Int64(v), power: 0, to: partial)
            sinceNormalize += 1
            if sinceNormalize == 1 << 28 { normalize(partial); sinceNormalize = 0 }
        }
        normalize(partial)
    }

    /// `a += b`, limb by limb and counter by counter, then normalized: exact, in any order.
    static func merge(_ a: UnsafeMutablePointer<Int64>, _ b: UnsafePointer<Int64>) {
        for k in 0..<slots { a[k] &+= b[k] }
        normalize(a)
    }

    /// The correctly rounded (to nearest, ties to even) value of a partial: NaN when it counted a NaN (unless
    /// `skipNaN`) or both infinities, an infinity when it counted one, else the exact sum rounded, which is
    /// ±inf only when that sum's magnitude rounds beyond the largest double.
    static func value(of partial: UnsafePointer<Int64>, skipNaN: Bool) -> Double {
        let nans = partial[nanSlot], plus = partial[positiveInfinitySlot], minus = partial[negativeInfinitySlot]
        if (nans > 0 && !skipNaN) || (plus > 0 && minus > 0) { return .nan }
        if plus > 0 { return .infinity }
        if minus > 0 { return -.infinity }
        var limb = [Int64](UnsafeBufferPointer(start: partial, count: limbs))
        return limb.withUnsafeMutableBufferPointer { roundedValue(of: $0.baseAddress!) }
    }

    /// The exact sum held by normalized-or-not `limb` (modified), rounded to the nearest double.
    private static func roundedValue(of limb: UnsafeMutablePointer<Int64>) -> Double {
        normalize(limb)
        let negative = limb[limbs - 1] < 0
        if negative {
            for k in 0..<limbs { limb[k] = 0 &- limb[k] }
            normalize(limb)
        }
        var top = limbs - 1
        while top >= 0 && limb[top] == 0 { top -= 1 }
        guard top >= 0 else { return 0.0 }  // an exact zero is +0, as math.fsum gives
        // Bits of the magnitude N: limb values are now in 0 ..< 2^32 (the last one too).
        func word(_ k: Int) -> UInt64 { k >= 0 && k < limbs ? UInt64(limb[k]) : 0 }
        let bitLength = 32 * top + (64 - word(top).leadingZeroBitCount)
        let sign: FloatingPointSign = negative ? .minus : .plus
        if bitLength <= 53 {
            let n = word(0) | (word(1) << 32)
            return Double(sign: sign, exponent: -1074, significand: Double(n))
        }
        // The top 64 bits, and whether any bit below them is set.
        let low = bitLength - 64
        var topBits: UInt64
        var sticky = false
        if low <= 0 {
            topBits = (word(0) | (word(1) << 32)) << UInt64(-low)
        } else {
            let k = low >> 5, offset = UInt64(low & 31)
            topBits = (word(k) >> offset) | (word(k + 1) << (32 - offset)) | (word(k + 2) << (64 - offset))
            sticky = word(k) & ((1 << offset) - 1) != 0
            var j = k - 1
            while !sticky && j >= 0 { sticky = limb[j] != 0; j -= 1 }
        }
        var significand = topBits >> 11
        let rest = topBits & 0x7ff
        if rest > 0x400 || (rest == 0x400 && (sticky || significand & 1 == 1)) { significand += 1 }
        var exponent = bitLength - 53 - 1074
        if significand == 1 << 53 {
            significand >>= 1
            exponent += 1
        }
        return Double(sign: sign, exponent: exponent, significand: Double(significand))
    }
}
