/// One group's partial over some elements: count, sums and spread, merged exactly (Chan for the
/// squared deviations; the mean is always `sum / count`, so infinities behave as numpy's mean).
package struct GroupPartial: BitwiseCopyable, Sendable {
    package var count: Int64
    /// numpy's wrapping Int64 sum, for integer values.
    var integerSum: Int64
    var sum: Double
    /// Sum of squared deviations from this partial's mean.
    var m2: Double
    var min: Double
    var max: Double

    static let empty = GroupPartial(count: 0, integerSum: 0, sum: 0, m2: 0, min: .infinity, max: -.infinity)

    /// `a = a ⊕ b` (`a` holds the earlier elements).
    @inline(__always) static func merge(_ a: inout GroupPartial, _ b: GroupPartial) {
        guard b.count > 0 else { return }
        guard a.count > 0 else {
            a = b
            return
        }
        let na = Double(a.count)
        let nb = Double(b.count)
        let n = na + nb
        let d = b.sum / nb - a.sum / na
        a.m2 = a.m2 + b.m2 + d * d * (na * nb / n)
        a.count += b.count
        a.integerSum &+= b.integerSum
        a.sum += b.sum
        a.min = Double.scanMin(a.min, b.min)
        a.max = Double.scanMax(a.max, b.max)
    }
}

/// What each chunk computes per group beyond count and sum.
package struct GroupNeeds: OptionSet, Sendable, BitwiseCopyable {
    package let rawValue: UInt8

    package init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Squared deviations (var, std).
    package static let spread = GroupNeeds(rawValue: 1)
    /// min and max.
    package static let extrema = GroupNeeds(rawValue: 2)
}

/// Folds `keys[i]`, `values[i]` into `partials[keys[i] - base]`; keys outside `0..<partials.count` after
/// the shift are skipped (the key range was found by the first pass, so none are, unless the keys changed
/// in between). Two passes over the chunk: count and sum per group, then deviations from each group's
/// chunk mean and the extrema.
func foldGroups<K: FixedWidthInteger, V: SharedElement>(
    keys: UnsafeBufferPointer<K>, values: UnsafeBufferPointer<V>, base: Int64, needs: GroupNeeds,
    into partials: UnsafeMutableBufferPointer<GroupPartial>
) {
    let groups = UInt64(partials.count)
    let p = partials.baseAddress!
    let isInteger = !V.dtype.isFloatingPoint
    // Counts and sums in separate dense arrays while folding: 16 bytes per group stay in L1 for a thousand
    // groups, where the 48-byte partials would not.
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: partials.count * 24, alignment: 64)
    defer { scratch.deallocate() }
    let counts = scratch.bindMemory(to: Int64.self, capacity: partials.count)
    counts.initialize(repeating: 0, count: partials.count)
    let sums = (scratch + partials.count * 8).bindMemory(to: Double.self, capacity: partials.count)
    sums.initialize(repeating: 0, count: partials.count)
    let integerSums = (scratch + partials.count * 16).bindMemory(to: Int64.self, capacity: partials.count)
    integerSums.initialize(repeating: 0, count: partials.count)
    for i in 0..<keys.count {
        let g = UInt64(bitPattern: Int64(keys[i]) &- base)
        guard g < groups else { continue }
        let v = values[i]
        counts[Int(g)] &+= 1
        sums[Int(g)] += v.asDouble
        if isInteger { integerSums[Int(g)] &+= v.asInteger }
    }
    for g in 0..<partials.count {
        p[g].count &+= counts[g]
        p[g].sum += sums[g]
        p[g].integerSum &+= integerSums[g]
    }
    guard !needs.isEmpty else { return }
    let means = UnsafeMutablePointer<Double>.allocate(capacity: partials.count)
    defer { means.deallocate() }
    for g in 0..<partials.count { means[g] = partials[g].count > 0 ? partials[g].sum / Double(partials[g].count) : 0 }
    let spread = needs.contains(.spread)
    let extrema = needs.contains(.extrema)
    for i in 0..<keys.count {
        let g = UInt64(bitPattern: Int64(keys[i]) &- base)
        guard g < groups else { continue }
        let v = values[i].asDouble
        let slot = p + Int(g)
        if spread {
            let d = v - means[Int(g)]
            slot.pointee.m2 = d * d + slot.pointee.m2
        }
        if extrema {
            slot.pointee.min = Double.scanMin(slot.pointee.min, v)
            slot.pointee.max = Double.scanMax(slot.pointee.max, v)
        }
    }
}

extension SharedElement {
    /// The value as Int64 for integer element types (0 for floating point).
    @inline(__always) package var asInteger: Int64 {
        if Self.self == Int64.self { return unsafeBitCast(self, to: Int64.self) }
        if Self.self == Int32.self { return Int64(unsafeBitCast(self, to: Int32.self)) }
        return 0
    }
}
