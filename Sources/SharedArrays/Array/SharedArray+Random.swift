extension SharedArray {
    /// A new array of uniform values on `bounds` (`[lower, upper)`; as in numpy, rounding can reach `upper`
    /// for some ranges) from the Philox4x32-10 generator (``RandomGenerator/philox``): element `i` depends
    /// only on `(seed, i)`, so any worker count gives the same array, and so does any AVX2 or AVX-512 CPU.
    /// Throws for a bound that is not finite.
    ///
    /// ```swift
    /// let u = try SharedArray<Double>.random(uniform: 0..<1, shape: [1 << 24], seed: 7, on: pool)
    /// ```
    public static func random(
        uniform bounds: Range<Double> = 0..<1, shape: [Int], seed: UInt64, on pool: WorkerPool
    ) throws -> SharedArray {
        guard bounds.lowerBound.isFinite, bounds.upperBound.isFinite else {
            throw ArrayError(.invalidArgument, operation: nil, "random(uniform:): bounds must be finite, got \(bounds)")
        }
        return try random(.uniform(lower: bounds.lowerBound, upper: bounds.upperBound), shape: shape, seed: seed,
                          generator: .philox, on: pool)
    }

    /// A new array of normal (Gaussian) values from the Philox4x32-10 generator and Box–Muller with SLEEF's
    /// log, sinpi and cospi (``RandomGenerator/philox``); reproducible like ``random(uniform:shape:seed:on:)``.
    /// Throws for a mean that is not finite or a standard deviation that is negative or not finite.
    ///
    /// ```swift
    /// let z = try SharedArray<Double>.normal(mean: 0, std: 1, shape: [1 << 24], seed: 7, on: pool)
    /// ```
    public static func normal(
        mean: Double = 0, std: Double = 1, shape: [Int], seed: UInt64, on pool: WorkerPool
    ) throws -> SharedArray {
        guard mean.isFinite, std.isFinite, std >= 0 else {
            throw ArrayError(.invalidArgument, operation: nil, "normal(mean:std:): mean must be finite and std finite and >= 0, got mean \(mean), std \(std)")
        }
        return try random(.normal(mean: mean, std: std), shape: shape, seed: seed, generator: .philox, on: pool)
    }
}
