import Synchronization

/// The fast path of ``ExactSum`` for doubles (Neal's "large superaccumulator"): one 64-bit entry per sign and
/// exponent (4,096 of them) sums the significands of the values with that sign and exponent exactly, with no
/// shifting; an entry is flushed into the small accumulator before it can overflow, and every touched entry
/// at the end of a fold. ``lanes`` tables take the values round-robin, so that runs of values with the same
/// exponent do not wait on one entry in memory.
///
/// Entries: normal numbers add `fraction | 2^52`; subnormals and zeros (exponent 0) add their fraction to an
/// entry that rests at 1 (so a zero never looks untouched); infinities and NaNs add `2^61 + fraction`,
/// flushed after two, so that the count (`entry >> 61`) and "a NaN was there" (low bits) stay apart.
/// Tables are kept clean (every entry at rest) between folds and reused within the process.
struct ExactSumTables {
    static let entries = 4096
    static let lanes = 4
    /// An entry at or above this is flushed before the next addition (each adds below 2^53, or 2^61 + 2^52
    /// for the special exponent, whose entries flush when they reach 2^62).
    static let flushAbove: UInt64 = (1 << 62) - (1 << 53)
    static let specialUnit: UInt64 = 1 << 61

    /// What each entry adds besides the fraction: the implicit bit, or the special unit.
    private static let implicitBits: [UInt64] = (0..<entries).map { index in
        switch index & 0x7ff {
        case 0: 0
        case 0x7ff: specialUnit
        default: 1 << 52
        }
    }

    /// The value an entry rests at: 1 for exponent 0 (never zero while in use), else 0.
    @inline(__always)
    static func restingValue(_ index: Int) -> UInt64 { index & 0x7ff == 0 ? 1 : 0 }

    /// Clean tables (entries at rest, no touched entries), addresses as integers.
    private static let free = Mutex<[UInt]>([])

    /// Per lane: `entries` sums, then `entries` UInt16 indices of touched entries, then the count of those.
    static let laneBytes = entries * 8 + entries * 2 + 8

    private static func take() -> UnsafeMutableRawPointer {
        if let address = free.withLock({ $0.popLast() }), let base = UnsafeMutableRawPointer(bitPattern: address) {
            return base
        }
        let base = UnsafeMutableRawPointer.allocate(byteCount: lanes * laneBytes, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: lanes * laneBytes)
        for lane in 0..<lanes {
            let sums = (base + lane * laneBytes).assumingMemoryBound(to: UInt64.self)
            sums[0] = 1
            sums[0x800] = 1
        }
        return base
    }

    private static func giveBack(_ base: UnsafeMutableRawPointer) {
        let dropped: UInt? = free.withLock { list in
            list.append(UInt(bitPattern: base))
            return list.count > 4 ? list.removeFirst() : nil
        }
        if let dropped { UnsafeMutableRawPointer(bitPattern: dropped)?.deallocate() }
    }

    /// Adds every double of `values` (bit patterns) exactly into the small accumulator `partial`.
    static func fold(_ values: UnsafePointer<UInt64>, count: Int, into partial: UnsafeMutablePointer<Int64>) {
        let base = take()
        defer { giveBack(base) }
        implicitBits.withUnsafeBufferPointer { implicitTable in
            let implicit = implicitTable.baseAddress!
            let sums0 = base.assumingMemoryBound(to: UInt64.self)
            let sums1 = (base + laneBytes).assumingMemoryBound(to: UInt64.self)
            let sums2 = (base + 2 * laneBytes).assumingMemoryBound(to: UInt64.self)
            let sums3 = (base + 3 * laneBytes).assumingMemoryBound(to: UInt64.self)
            @inline(__always)
            func add(_ bits: UInt64, _ sums: UnsafeMutablePointer<UInt64>) {
                let index = Int(truncatingIfNeeded: bits &>> 52)
                let amount = (bits & 0xf_ffff_ffff_ffff) | implicit[index]
                let old = sums[index]
                if old &- 1 >= flushAbove { rare(index, old, sums, partial) }
                sums[index] &+= amount
            }
            var i = 0
            while i < count {
                // Blocks bound the flushes between normalizations of the small accumulator (each adds below
                // 2^33 to a limb).
                let end = Swift.min(count, i + (1 << 24))
                while i + 4 <= end {
                    add(values[i], sums0)
                    add(values[i + 1], sums1)
                    add(values[i + 2], sums2)
                    add(values[i + 3], sums3)
                    i += 4
                }
                while i < end {
                    add(values[i], sums0)
                    i += 1
                }
                ExactSum.normalize(partial)
            }
            for sums in [sums0, sums1, sums2, sums3] { flushTouched(sums, into: partial) }
        }
        ExactSum.normalize(partial)
    }

    /// An entry about to be used for the first time (record it as touched), or about to overflow (flush it).
    @inline(never)
    private static func rare(_ index: Int, _ old: UInt64, _ sums: UnsafeMutablePointer<UInt64>, _ partial: UnsafeMutablePointer<Int64>) {
        if old == 0 {
            let touched = UnsafeMutableRawPointer(sums + entries)
            let countSlot = (touched + entries * 2).assumingMemoryBound(to: Int.self)
            touched.assumingMemoryBound(to: UInt16.self)[countSlot.pointee] = UInt16(index)
            countSlot.pointee += 1
        } else {
            flush(index, sums, into: partial)
        }
    }

    /// Adds entry `index`'s exact value to `partial` and puts the entry back at rest.
    private static func flush(_ index: Int, _ sums: UnsafeMutablePointer<UInt64>, into partial: UnsafeMutablePointer<Int64>) {
        let rest = restingValue(index)
        let value = sums[index] &- rest
        sums[index] = rest
        let exponent = index & 0x7ff
        let negative = index >= 0x800
        if exponent == 0x7ff {
            let counters = partial + ExactSum.limbs
            if value & (specialUnit - 1) != 0 {
                counters[0] &+= 1  // a NaN
            } else {
                counters[negative ? 2 : 1] &+= Int64(value >> 61)
            }
            return
        }
        // value * 2^(max(exponent, 1) - 1075).
        ExactSum.add(magnitude: value, negative: negative, power: Swift.max(exponent, 1) - 1075, to: partial)
    }

    /// Flushes every entry touched in this lane and clears the touched list.
    private static func flushTouched(_ sums: UnsafeMutablePointer<UInt64>, into partial: UnsafeMutablePointer<Int64>) {
        let touched = UnsafeMutableRawPointer(sums + entries)
        let countSlot = (touched + entries * 2).assumingMemoryBound(to: Int.self)
        let list = touched.assumingMemoryBound(to: UInt16.self)
        for k in 0..<countSlot.pointee { flush(Int(list[k]), sums, into: partial) }
        countSlot.pointee = 0
        // Entries at rest 1 (exponent 0) are never recorded as touched: flush them every time.
        flush(0, sums, into: partial)
        flush(0x800, sums, into: partial)
    }
}
