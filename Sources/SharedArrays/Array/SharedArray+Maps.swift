extension SharedArray {
    /// A new array with `op` applied to every element (`sqrt`, `exp`, `scale(2)`, `clip(...)` ...).
    /// `timeout` bounds the call (nil: the pool's ``WorkerPool/timeout``), as for `statistics`.
    ///
    /// ```swift
    /// let y = try x.map(.sqrt)
    /// ```
    public func map(_ op: UnaryOp, timeout: Duration? = nil) throws -> SharedArray {
        try checkIntegerExponent(op)
        let result = try SharedArray(uninitialized: shape, on: pool)
        try WorkerPool.withTimeout(timeout) { try runMap(.unary(op), source: self, second: nil, into: result) }
        return result
    }

    /// Applies `op` to every element in place (`timeout` as in ``map(_:timeout:)``).
    public func apply(_ op: UnaryOp, timeout: Duration? = nil) throws {
        try checkIntegerExponent(op)
        try WorkerPool.withTimeout(timeout) { try runMap(.unary(op), source: self, second: nil, into: self) }
    }

    /// A new array `self (op) other`, element by element; shapes must match.
    public func combined(with other: SharedArray, _ op: BinaryOp) throws -> SharedArray {
        guard other.shape == shape else { throw ArrayError.shapeMismatch(op.rawValue, shape, other.shape) }
        if op == .power { try checkIntegerExponents(other) }
        let result = try SharedArray(uninitialized: shape, on: pool)
        try runMap(.binary(op), source: self, second: other, into: result)
        return result
    }

    /// `self = self (op) other` in place; shapes must match.
    public func formCombined(with other: SharedArray, _ op: BinaryOp) throws {
        guard other.shape == shape else { throw ArrayError.shapeMismatch(op.rawValue, shape, other.shape) }
        if op == .power { try checkIntegerExponents(other) }
        try runMap(.binary(op), source: self, second: other, into: self)
    }

    /// `self += alpha * x` (BLAS axpy per chunk); shapes must match.
    public func addProduct(_ alpha: Double, _ x: SharedArray) throws {
        guard x.shape == shape else { throw ArrayError.shapeMismatch("axpy", shape, x.shape) }
        try runMap(.axpy(alpha: alpha), source: x, second: nil, into: self)
    }

    /// Sets every element to `value`.
    public func fill(with value: Element) throws {
        try runMap(.fill(value.asDouble), source: nil, second: nil, into: self)
    }

    /// Fills with random values: element `i` depends only on `(seed, i)`, never on the worker count.
    /// `generator` defaults to SplitMix64, the values this call always gave; ``RandomGenerator/philox`` is the
    /// fast one (see ``random(uniform:shape:seed:on:)``).
    public func fillRandom(_ distribution: RandomDistribution, seed: UInt64, generator: RandomGenerator = .splitMix64) throws {
        let operation: MapOperation =
            switch (generator, distribution) {
            case (.philox, _): .philox(distribution, seed: seed)
            case (.splitMix64, .uniform(let lower, let upper)): .uniform(lower: lower, upper: upper, seed: seed)
            case (.splitMix64, .normal(let mean, let std)): .normal(mean: mean, std: std, seed: seed)
            }
        try runMap(operation, source: nil, second: nil, into: self)
    }

    /// A new array filled with `value`.
    public static func filled(_ value: Element, shape: [Int], on pool: WorkerPool) throws -> SharedArray {
        let result = try SharedArray(uninitialized: shape, on: pool)
        try result.fill(with: value)
        return result
    }

    /// `[start, start + step, ...]` with `count` elements, like `np.arange`.
    public static func arange(_ count: Int, start: Double = 0, step: Double = 1, on pool: WorkerPool) throws -> SharedArray {
        guard count >= 0 else { throw ArrayError(.invalidArgument, operation: "arange", input: "count", "count must be >= 0, got \(count)") }
        let result = try SharedArray(uninitialized: [count], on: pool)
        try result.runMap(.arange(start: start, step: step), source: nil, second: nil, into: result)
        return result
    }

    /// A new array of random values (see ``fillRandom(_:seed:generator:)``).
    public static func random(
        _ distribution: RandomDistribution, shape: [Int], seed: UInt64, generator: RandomGenerator = .splitMix64,
        on pool: WorkerPool
    ) throws -> SharedArray {
        let result = try SharedArray(uninitialized: shape, on: pool)
        try result.fillRandom(distribution, seed: seed, generator: generator)
        return result
    }
}
