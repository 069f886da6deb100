/// An element mapped to an unsigned integer whose unsigned order is the element's numeric order, the way
/// numpy sorts: every negative value below every positive one, and every NaN after `+inf`.
///
/// Floats flip their bits (all bits for a negative value, the sign bit for a positive one); integers
/// offset by `2^(bits-1)`. The key is left-aligned in a `UInt64` (a 32-bit element's key fills the top
/// half), so one selection driver serves every element type. Two flavours:
/// - ``value(_:)`` keeps each value's bits (`-0.0` just below `0.0`, a NaN's payload), and
///   ``element(_:)`` turns it back; sorts and selections use it.
/// - ``rank(_:)`` is numpy's equality: `-0.0` and `0.0` get one key, every NaN the largest key
///   (`UInt64.max`). Stable argsorts, and NaN counts (the keys whose top 16 bits are all ones), use it.
protocol OrderKey {
    associatedtype Element: SharedElement
    /// The value key, left-aligned.
    static func value(_ x: Element) -> UInt64
    /// The element whose value key is `key`.
    static func element(_ key: UInt64) -> Element
    /// The equality key, left-aligned: `-0.0` as `0.0`, every NaN `UInt64.max`.
    static func rank(_ x: Element) -> UInt64
    /// The selection key: ``value(_:)``, but every NaN `UInt64.max`, so that a histogram's top bucket
    /// (top 16 bits all ones) counts exactly the NaNs (no other value key of a float starts so).
    static func selection(_ x: Element) -> UInt64
}

// The float keys are computed without branches (a sign test on random data mispredicts half the time):
// `bits ^ (sign-extended sign | top bit)` flips every bit of a negative value and the top bit of a
// positive one; a NaN is recognised by its magnitude and chosen with a conditional move.

enum Float64Key: OrderKey {
    private static let infinity: UInt64 = 0x7FF0_0000_0000_0000
    @inline(__always) private static func flip(_ bits: UInt64) -> UInt64 {
        bits ^ (UInt64(bitPattern: Int64(bitPattern: bits) >> 63) | (1 << 63))
    }
    @inline(__always) static func value(_ x: Double) -> UInt64 {
        let bits = x.bitPattern
        let magnitude = bits & ~(1 << 63)
        // A NaN's sign is cleared so that every NaN sorts after +inf.
        return flip(magnitude > infinity ? magnitude : bits)
    }
    @inline(__always) static func element(_ key: UInt64) -> Double {
        Double(bitPattern: key >> 63 == 1 ? key & ~(1 << 63) : ~key)
    }
    @inline(__always) static func rank(_ x: Double) -> UInt64 {
        let bits = x.bitPattern
        let magnitude = bits & ~(1 << 63)
        let k = flip(magnitude == 0 ? 0 : bits)
        return magnitude > infinity ? .max : k
    }
    @inline(__always) static func selection(_ x: Double) -> UInt64 {
        let bits = x.bitPattern
        let k = flip(bits)
        return bits & ~(1 << 63) > infinity ? .max : k
    }
}

enum Float32Key: OrderKey {
    private static let infinity: UInt32 = 0x7F80_0000
    @inline(__always) private static func flip(_ bits: UInt32) -> UInt64 {
        UInt64(bits ^ (UInt32(bitPattern: Int32(bitPattern: bits) >> 31) | (1 << 31))) << 32
    }
    @inline(__always) static func value(_ x: Float) -> UInt64 {
        let bits = x.bitPattern
        let magnitude = bits & ~(1 << 31)
        return flip(magnitude > infinity ? magnitude : bits)
    }
    @inline(__always) static func element(_ key: UInt64) -> Float {
        let k = UInt32(truncatingIfNeeded: key >> 32)
        return Float(bitPattern: k >> 31 == 1 ? k & ~(1 << 31) : ~k)
    }
    @inline(__always) static func rank(_ x: Float) -> UInt64 {
        let bits = x.bitPattern
        let magnitude = bits & ~(1 << 31)
        let k = flip(magnitude == 0 ? 0 : bits)
        return magnitude > infinity ? .max : k
    }
    @inline(__always) static func selection(_ x: Float) -> UInt64 {
        let bits = x.bitPattern
        let k = flip(bits)
        return bits & ~(1 << 31) > infinity ? .max : k
    }
}

enum Int64Key: OrderKey {
    @inline(__always) static func value(_ x: Int64) -> UInt64 { UInt64(bitPattern: x) ^ (1 << 63) }
    @inline(__always) static func element(_ key: UInt64) -> Int64 { Int64(bitPattern: key ^ (1 << 63)) }
    @inline(__always) static func rank(_ x: Int64) -> UInt64 { value(x) }
    @inline(__always) static func selection(_ x: Int64) -> UInt64 { value(x) }
}

enum Int32Key: OrderKey {
    @inline(__always) static func value(_ x: Int32) -> UInt64 { UInt64(UInt32(bitPattern: x) ^ (1 << 31)) << 32 }
    @inline(__always) static func element(_ key: UInt64) -> Int32 {
        Int32(bitPattern: UInt32(truncatingIfNeeded: key >> 32) ^ (1 << 31))
    }
    @inline(__always) static func rank(_ x: Int32) -> UInt64 { value(x) }
    @inline(__always) static func selection(_ x: Int32) -> UInt64 { value(x) }
}

