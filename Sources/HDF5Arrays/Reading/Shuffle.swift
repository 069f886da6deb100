/// HDF5's shuffle filter stores byte k of every element together (all first bytes, then all second bytes,
/// ...), which compresses better; ``undo(_:into:elements:elementSize:)`` puts each element back together.
enum Shuffle {
    /// Reassembles `n` elements of `elementSize` bytes from the shuffled bytes at `source` into `destination`
    /// (the two must not overlap).
    static func undo(_ source: UnsafeRawPointer, into destination: UnsafeMutableRawPointer, elements n: Int, elementSize: Int) {
        let input = source.assumingMemoryBound(to: UInt8.self)
        switch elementSize {
        case 8:
            let out = destination.assumingMemoryBound(to: UInt64.self)
            for i in 0..<n {
                var v = UInt64(input[i])
                v |= UInt64(input[n + i]) << 8
                v |= UInt64(input[2 * n + i]) << 16
                v |= UInt64(input[3 * n + i]) << 24
                v |= UInt64(input[4 * n + i]) << 32
                v |= UInt64(input[5 * n + i]) << 40
                v |= UInt64(input[6 * n + i]) << 48
                v |= UInt64(input[7 * n + i]) << 56
                out[i] = v
            }
        case 4:
            let out = destination.assumingMemoryBound(to: UInt32.self)
            for i in 0..<n {
                out[i] = UInt32(input[i]) | UInt32(input[n + i]) << 8 | UInt32(input[2 * n + i]) << 16
                    | UInt32(input[3 * n + i]) << 24
            }
        default:
            let out = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0..<n { for b in 0..<elementSize { out[i * elementSize + b] = input[b * n + i] } }
        }
    }
}
