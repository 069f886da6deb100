import CVectorMath

/// Fills `dst` with element `firstIndex + j` of the Philox4x32-10 `distribution` stream of `seed` (see
/// ``RandomGenerator/philox``): any chunking, worker count, AVX2 or AVX-512 CPU gives the same array.
/// Double and Float are filled by the vectorised C kernels; integers truncate the Double values toward zero.
func philoxFill<E: SharedElement>(
    _ distribution: RandomDistribution, seed: UInt64, firstIndex: Int, _ dst: UnsafeMutableBufferPointer<E>
) {
    guard let d = dst.baseAddress, dst.count > 0, firstIndex >= 0 else { return }
    let first = UInt64(firstIndex), n = dst.count
    switch KernelType(E.self) {
    case .float64: philoxDoubles(distribution, seed, first, retype(d, Double.self), n)
    case .float32:
        let f = retype(d, Float.self)
        switch distribution {
        case .uniform(let lower, let upper): mp_random_uniform_f32(seed, first, f, n, lower, upper)
        case .normal(let mean, let std): mp_random_normal_f32(seed, first, f, n, mean, std)
        }
    default:
        // Through a Double block on the stack, converted with init(fromDouble:).
        let block = 1024
        withUnsafeTemporaryAllocation(of: Double.self, capacity: block) { scratch in
            guard let s = scratch.baseAddress else { return }
            var done = 0
            while done < n {
                let m = min(block, n - done)
                philoxDoubles(distribution, seed, first + UInt64(done), s, m)
                for j in 0..<m { d[done + j] = E(fromDouble: s[j]) }
                done += m
            }
        }
    }
}

@inline(__always)
private func philoxDoubles(
    _ distribution: RandomDistribution, _ seed: UInt64, _ first: UInt64, _ d: UnsafeMutablePointer<Double>, _ n: Int
) {
    switch distribution {
    case .uniform(let lower, let upper): mp_random_uniform_f64(seed, first, d, n, lower, upper)
    case .normal(let mean, let std): mp_random_normal_f64(seed, first, d, n, mean, std)
    }
}

/// The Philox4x32-10 block function and the fills at a chosen SIMD level (2 AVX-512F, 1 AVX2, 0 scalar;
/// clamped to the CPU's), for tests that check the known-answer vectors and compare paths.
enum Philox {
    /// The four output words of `counter` under `key` (Random123's philox4x32_10).
    static func block(counter: [UInt32], key: [UInt32]) -> [UInt32] {
        guard counter.count == 4, key.count == 2 else { return [] }
        var out = [UInt32](repeating: 0, count: 4)
        out.withUnsafeMutableBufferPointer { mp_philox4x32_10(counter, key, $0.baseAddress) }
        return out
    }

    /// Counters first ..< first + count of `seed`: (w0 | w1 << 32, w2 | w3 << 32) each.
    static func words(level: Int32, seed: UInt64, first: UInt64, count: Int) -> (lo: [UInt64], hi: [UInt64]) {
        var lo = [UInt64](repeating: 0, count: count), hi = lo
        lo.withUnsafeMutableBufferPointer { l in
            hi.withUnsafeMutableBufferPointer { h in mp_philox_words_at(level, seed, first, count, l.baseAddress, h.baseAddress) }
        }
        return (lo, hi)
    }

    /// Elements first ..< first + count of a Double fill at `level`.
    static func fill(_ distribution: RandomDistribution, level: Int32, seed: UInt64, first: UInt64, count: Int) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { o in
            switch distribution {
            case .uniform(let lower, let upper): mp_random_uniform_at(level, 0, seed, first, o.baseAddress, count, lower, upper)
            case .normal(let mean, let std): mp_random_normal_at(level, 0, seed, first, o.baseAddress, count, mean, std)
            }
        }
        return out
    }
}
