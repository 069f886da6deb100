/// Which counter-based generator fills an array with random values. Both give element `i` a value that
/// depends only on `(seed, i)`, never on the worker count or chunking.
///
/// ```swift
/// try x.fillRandom(.normal(mean: 0, std: 1), seed: 7, generator: .philox)
/// ```
public enum RandomGenerator: String, Sendable, Hashable, Codable, CaseIterable, BitwiseCopyable {
    /// Philox4x32-10 (Salmon et al., SC11; Random123's constants), vectorised with AVX-512 / AVX2 and
    /// SLEEF's deterministic log, sinpi and cospi for the normal's Box–Muller step: the fast generator, and
    /// the same bits on every AVX2 or AVX-512 CPU. Counter `i / 2` under key `seed` gives two 64-bit
    /// halves: element `2p` uses the first, `2p + 1` the second (uniform: the top 53 bits, 24 for Float);
    /// a normal pair is `r cos(πt)` and `r sin(πt)` with `r = √(-2 ln u)`, `u ∈ (0, 1]` and `t ∈ [0, 2)`.
    case philox
    /// Counter-based SplitMix64 with scalar Box–Muller (see ``randomFill(_:seed:firstIndex:_:)``): the
    /// values `mproc gen` and ``SharedArray/random(_:shape:seed:generator:on:)`` gave before Philox existed,
    /// still their default so that earlier seeds reproduce earlier files.
    case splitMix64 = "splitmix64"
}
