/// Sizes, offsets and products computed from untrusted input (a file header, an HDF5 dataspace, a
/// command-line flag, a ``SharedArrayReference``) without overflow: every function returns `nil` where
/// plain `*` or `+` would trap, so the caller can turn it into an error that names the input.
///
/// ```swift
/// guard let bytes = CheckedSize.byteCount(shape: header.shape, elementSize: 8) else { throw ... }
/// ```
public enum CheckedSize {
    /// `a * b`, or nil when it does not fit in `Int`.
    @inlinable public static func product(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }

    /// `a + b`, or nil when it does not fit in `Int`.
    @inlinable public static func sum(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : value
    }

    /// The number of elements of `shape` (1 for `[]`), or nil when a dimension is negative or the product
    /// does not fit in `Int`.
    public static func elementCount<S: Sequence<Int>>(_ shape: S) -> Int? {
        // numpy refuses `(2**62, 2**62, 0)` too ("array is too big"): a product that overflows before a
        // zero extent is not a shape either.
        var count = 1
        for extent in shape {
            guard extent >= 0, let next = product(count, extent) else { return nil }
            count = next
        }
        return count
    }

    /// The bytes of `shape` elements of `elementSize` bytes each, or nil as for ``elementCount(_:)``.
    public static func byteCount<S: Sequence<Int>>(shape: S, elementSize: Int) -> Int? {
        elementCount(shape).flatMap { product($0, elementSize) }
    }

    /// Parses a count or a size as typed on a command line, without overflow: `1000`, `64k`, `512M`, `8G`,
    /// `1T`, `2P`, `1E` (powers of 1024; an `i`, `iB` or `B` after the letter is allowed: `8GiB`), or a
    /// power `2^27`. Nil for anything else, a negative number, or a value past `Int.max`.
    public static func parse(_ text: String) -> Int? {
        let t = Substring(text).drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
        let body = String(t)
        func plain(_ s: Substring) -> Int? {
            guard !s.isEmpty, s.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
            return Int(s)
        }
        if let caret = body.firstIndex(of: "^") {
            guard let base = plain(body[..<caret]), let exponent = plain(body[body.index(after: caret)...]) else {
                return nil
            }
            var value = 1
            for _ in 0..<Swift.min(exponent, 64) {
                guard let next = product(value, base) else { return nil }
                value = next
            }
            // base^exponent for exponent > 64 fits only for base 0 or 1.
            return exponent > 64 && base > 1 ? nil : value
        }
        var number = Substring(body)
        for unit in ["iB", "B", "i"] where number.hasSuffix(unit) && number.count > unit.count {
            let stem = number.dropLast(unit.count)
            if let last = stem.last, "kKMGTPE".contains(last) { number = stem; break }
        }
        let shifts: [Character: Int] = ["k": 10, "K": 10, "M": 20, "G": 30, "T": 40, "P": 50, "E": 60]
        if let last = number.last, let shift = shifts[last] {
            guard let n = plain(number.dropLast()) else { return nil }
            return product(n, 1 << shift)
        }
        return plain(number)
    }

    /// The declared size of `shape` elements of `elementSize` bytes, for error messages, even where it
    /// does not fit in `Int`: `8589934592 bytes (8.0 GiB)`, or `about 128.0 EiB` past `Int.max`.
    public static func describeBytes<S: Sequence<Int>>(shape: S, elementSize: Int) -> String {
        if let bytes = byteCount(shape: shape, elementSize: elementSize) {
            return "\(bytes) bytes (\(formatLargeBytes(Double(bytes))))"
        }
        let approximate = shape.reduce(Double(elementSize)) { $0 * Double(Swift.max(0, $1)) }
        return "about \(formatLargeBytes(approximate))"
    }

    /// Formats a byte count for people, up to EiB and beyond ("1.5 GiB", "32.0 EiB").
    public static func formatLargeBytes(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
        var value = bytes
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(Int(value)) B" }
        return "\((value * 10).rounded() / 10) \(units[unit])"
    }
}
