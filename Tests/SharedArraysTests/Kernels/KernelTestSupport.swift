import XCTest
@testable import SharedArrays

/// Lengths that exercise empty chunks, scalar tails, the 16-lane body and the 512-element sum blocks.
let kernelTestLengths = [0, 1, 2, 3, 7, 15, 16, 17, 31, 100, 511, 512, 513, 1000, 4099, 65_543]

/// A small independent generator for test data (xorshift64*), so tests do not depend on `randomFill`.
struct KernelRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
    mutating func double(_ lower: Double, _ upper: Double) -> Double { lower + (upper - lower) * unit() }
    mutating func int(_ lower: Int64, _ upper: Int64) -> Int64 {
        lower + Int64(bitPattern: next() % UInt64(upper - lower + 1))
    }
}

/// Test data of any element type: values around `offset` with spread `scale` (integers rounded).
func kernelValues<E: SharedElement>(_: E.Type, count: Int, seed: UInt64, offset: Double = 3, scale: Double = 10) -> [E] {
    var rng = KernelRNG(seed)
    return (0..<count).map { _ in E(fromDouble: (offset + scale * (rng.unit() - 0.5)).rounded(E.dtype.isFloatingPoint ? .toNearestOrEven : .down)) }
}

/// The straightforward reference: Kahan sums in Double, two-pass variance, first-occurrence extrema.
struct ReferenceMoments {
    var count = 0, nanCount = 0, firstNaN = -1
    var sum = 0.0, mean = 0.0, m2 = 0.0, squares = 0.0
    var min = Double.infinity, max = -Double.infinity, argmin = -1, argmax = -1
    var intSum: Int64 = 0

    init(_ values: [Double], firstIndex: Int = 0, integers: [Int64]? = nil) {
        var s = KahanAccumulator(), q = KahanAccumulator()
        for (j, x) in values.enumerated() {
            if x.isNaN {
                if nanCount == 0 { firstNaN = firstIndex + j }
                nanCount += 1
                continue
            }
            count += 1
            s.add(x)
            q.add(x * x)
            if argmin < 0 || x < min { min = x; argmin = firstIndex + j }
            if argmax < 0 || x > max { max = x; argmax = firstIndex + j }
        }
        sum = s.value
        squares = q.value
        mean = count > 0 ? sum / Double(count) : 0
        var d2 = KahanAccumulator()
        for x in values where !x.isNaN { d2.add((x - mean) * (x - mean)) }
        m2 = d2.value
        if let integers { intSum = integers.reduce(0, &+) }
    }
}

struct KahanAccumulator {
    private(set) var value = 0.0
    private var c = 0.0
    mutating func add(_ x: Double) {
        let y = x - c
        let t = value + y
        c = (t - value) - y
        value = t
    }
}

/// Relative closeness with an absolute floor (for values near zero); NaN matches NaN, inf matches inf.
func assertKernelClose(
    _ actual: Double, _ expected: Double, relative: Double, absolute: Double = 1e-300,
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
    if expected.isNaN {
        XCTAssertTrue(actual.isNaN, "expected NaN, got \(actual). \(message())", file: file, line: line)
        return
    }
    if expected.isInfinite {
        XCTAssertEqual(actual, expected, message(), file: file, line: line)
        return
    }
    let tolerance = Swift.max(absolute, relative * abs(expected))
    XCTAssertLessThanOrEqual(
        abs(actual - expected), tolerance, "actual \(actual) expected \(expected). \(message())",
        file: file, line: line)
}

/// Runs `body` with the values in a buffer.
func withKernelBuffer<E, R>(_ values: [E], _ body: (UnsafeBufferPointer<E>) -> R) -> R {
    values.withUnsafeBufferPointer(body)
}
