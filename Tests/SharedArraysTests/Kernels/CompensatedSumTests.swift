import CVectorMath
import Foundation
@testable import SharedArrays
import TestSupport
import XCTest

/// Compensated `sum`, `mean` and `dot` (Sum2 / Dot2 per chunk, double-double merge): accurate on
/// ill-conditioned data, the same bits on every SIMD path and for any number of workers, numpy's rules for
/// infinities and NaN.
final class CompensatedSumTests: XCTestCase {
    static let python = PythonReference(modules: ["numpy"], directoryPrefix: "compensated")

    func testTwoSumKeepsWhatAPlainSumLoses() {
        var s = CompensatedSum()
        for x in [1e16, 1.0, -1e16] { s.add(x) }
        XCTAssertEqual(s.value, 1.0)
        XCTAssertEqual(1e16 + 1.0 - 1e16, 0.0)
        var merged = CompensatedSum(hi: 1e16)
        merged.add(CompensatedSum(hi: 1.0))
        merged.add(CompensatedSum(hi: -1e16))
        XCTAssertEqual(merged.hi, 1.0)
        XCTAssertEqual(merged.lo, 0.0)
    }

    /// Hostile values for the lane kernels: cancelling giants, subnormals, signed zeros, odd lengths.
    private func hostile(_ n: Int, seed: UInt64) -> [Double] {
        var rng = KernelRNG(seed)
        return (0..<n).map { i in
            switch i % 7 {
            case 0: return rng.double(-1e15, 1e15)
            case 1: return -rng.double(-1e15, 1e15)
            case 2: return rng.double(-1, 1) * 0x1p-1060   // subnormal
            case 3: return i % 2 == 0 ? -0.0 : 0.0
            default: return rng.double(-3, 3)
            }
        }
    }

    private func pair(_ call: (UnsafeMutablePointer<Double>) -> Void) -> (UInt64, UInt64) {
        var out = [0.0, 0.0]
        out.withUnsafeMutableBufferPointer { call($0.baseAddress!) }
        return (out[0].bitPattern, out[1].bitPattern)
    }

    func testEverySIMDPathGivesTheSameBits() {
        for n in kernelTestLengths {
            let x = hostile(n, seed: UInt64(n) + 1), y = hostile(n, seed: UInt64(n) + 99)
            let xf = x.map { Float($0 * 1e-20) }, yf = y.map { Float($0) }
            func paths(_ name: String, _ body: (Int32, UnsafeMutablePointer<Double>) -> Void) {
                let results = (0...2).map { level in pair { body(Int32(level), $0) } }
                XCTAssertEqual(results[0].0, results[1].0, "\(name) n=\(n): scalar vs AVX2")
                XCTAssertEqual(results[0].1, results[1].1, "\(name) n=\(n): scalar vs AVX2 (low part)")
                XCTAssertEqual(results[0].0, results[2].0, "\(name) n=\(n): scalar vs AVX-512")
                XCTAssertEqual(results[0].1, results[2].1, "\(name) n=\(n): scalar vs AVX-512 (low part)")
            }
            paths("dot2 f64") { level, out in mp_dot2_f64_at(level, x, y, n, out) }
            paths("dot2 f32") { level, out in mp_dot2_f32_at(level, xf, yf, n, out) }
            for flags in Int32(0)...7 {
                func pass(_ level: Int32, _ float: Bool) -> [UInt64] {
                    var out = mp_moments_pass()
                    if float { mp_moments_pass_f32_at(level, xf, n, flags, &out) } else { mp_moments_pass_f64_at(level, x, n, flags, &out) }
                    return [out.hi, out.lo, out.squares, out.min, out.max].map(\.bitPattern)
                }
                for float in [false, true] {
                    XCTAssertEqual(pass(0, float), pass(1, float), "moments pass n=\(n) flags=\(flags) float=\(float): scalar vs AVX2")
                    XCTAssertEqual(pass(0, float), pass(2, float), "moments pass n=\(n) flags=\(flags) float=\(float): scalar vs AVX-512")
                }
            }
            for mean in [0.0, 1e-3, -7.5e10] {
                let f64 = (0...2).map { mp_squared_deviations_f64_at(Int32($0), x, n, mean).bitPattern }
                let f32 = (0...2).map { mp_squared_deviations_f32_at(Int32($0), xf, n, mean).bitPattern }
                XCTAssertEqual(Set(f64).count, 1, "squared deviations f64 n=\(n) mean=\(mean): the paths differ")
                XCTAssertEqual(Set(f32).count, 1, "squared deviations f32 n=\(n) mean=\(mean): the paths differ")
            }
            if n > 0 {
                let target = x[n / 2]
                XCTAssertEqual(mp_first_equal_f64(x, n, target), x.firstIndex(of: target) ?? -1)
            }
        }
    }

    /// The vector paths move three of TwoSum's additions onto FMA units (fma(a, 1, b) == a + b): on
    /// signed zeros, overflow to infinity, the largest finite values and alternating cancellations the
    /// sum, its low part and the dot product keep the scalar path's bits.
    func testTwoSumOnFMAUnitsGivesThePlainAdditionsBits() {
        let n = 64
        let cases: [(String, [Double])] = [
            ("negative zeros", Array(repeating: -0.0, count: n)),
            ("mixed zeros", (0..<n).map { $0 % 3 == 0 ? 0.0 : -0.0 }),
            ("overflow", (0..<n).map { $0 % 2 == 0 ? 0x1.fffffffffffffp1023 : 1e308 }),
            ("largest cancelling", (0..<n).map { $0 % 2 == 0 ? 0x1.fffffffffffffp1023 : -0x1.fffffffffffffp1023 }),
            ("tiny against huge", (0..<n).map { $0 % 4 == 0 ? 1e300 : ($0 % 4 == 2 ? -1e300 : 0x1p-1074) }),
        ]
        for (name, x) in cases {
            let y = x.map { $0 == 0 ? -1.0 : 0.5 }
            let dots = (0...2).map { level in pair { mp_dot2_f64_at(Int32(level), x, y, n, $0) } }
            XCTAssertEqual(dots[1].0, dots[0].0, "\(name): dot, AVX2 vs scalar")
            XCTAssertEqual(dots[1].1, dots[0].1, "\(name): dot low part, AVX2 vs scalar")
            XCTAssertEqual(dots[2].0, dots[0].0, "\(name): dot, AVX-512 vs scalar")
            XCTAssertEqual(dots[2].1, dots[0].1, "\(name): dot low part, AVX-512 vs scalar")
            let sums: [[UInt64]] = (0...2).map { level in
                var out = mp_moments_pass()
                mp_moments_pass_f64_at(Int32(level), x, n, 0, &out)
                return [out.hi.bitPattern, out.lo.bitPattern]
            }
            XCTAssertEqual(sums[1], sums[0], "\(name): sum, AVX2 vs scalar")
            XCTAssertEqual(sums[2], sums[0], "\(name): sum, AVX-512 vs scalar")
        }
        var out = mp_moments_pass()
        mp_moments_pass_f64([Double](repeating: -0.0, count: n), n, 0, &out)
        XCTAssertEqual(out.hi, 0)
        mp_moments_pass_f64((0..<n).map { $0 % 2 == 0 ? 0x1.fffffffffffffp1023 : 1e308 }, n, 0, &out)
        XCTAssertEqual(out.hi, .infinity)
        XCTAssertEqual(out.lo, 0)
    }

    func testTheMomentsPassComputesWhatItSays() {
        let x: [Double] = (0..<1000).map { Double($0 % 37) - 11.5 } + [1e16, 1, -1e16]
        var out = mp_moments_pass()
        mp_moments_pass_f64(x, x.count, MP_PASS_SQUARES | MP_PASS_EXTREMA, &out)
        let exactSum = (0..<1000).reduce(0.0) { $0 + (Double($1 % 37) - 11.5) } + 1
        XCTAssertEqual(out.hi, exactSum)
        XCTAssertEqual(out.min, -1e16)
        XCTAssertEqual(out.max, 1e16)
        XCTAssertEqual(out.squares, x.reduce(0) { $0 + $1 * $1 }, accuracy: 1e32 * 1e-15)
        XCTAssertEqual(mp_first_equal_f64(x, x.count, 1e16), 1000)
        // With a plain sum the extrema and squares are the same; the sum is only an ordinary one.
        var plain = mp_moments_pass()
        mp_moments_pass_f64(x, x.count, MP_PASS_SQUARES | MP_PASS_EXTREMA | MP_PASS_PLAIN_SUM, &plain)
        XCTAssertEqual([plain.min, plain.max, plain.squares], [out.min, out.max, out.squares])
        XCTAssertFalse(plain.hi.isNaN)
        var withNaN = x
        withNaN[500] = .nan
        mp_moments_pass_f64(withNaN, withNaN.count, MP_PASS_EXTREMA | MP_PASS_PLAIN_SUM, &plain)
        XCTAssertTrue(plain.hi.isNaN, "a NaN must show in the plain sum")
        XCTAssertEqual(mp_first_equal_f64(x, x.count, 12345), -1)
    }

    /// The data, written by numpy: 1,000,003 values, ±N(0, 1e10) pairs that cancel plus N(0, 1)
    /// noise, shuffled. The exact sum is ~0.37 while the sum of magnitudes is ~1e16.
    func testSumAndMeanOfCancellingDataAreWithinOneInATrillionForOneTwoAndThreeWorkers() throws {
        let directory = try Self.python.makeDirectory()
        defer { Self.python.removeDirectory(directory) }
        try Self.python.python(
            """
            import numpy as np, math
            rng = np.random.default_rng(7)
            n = 1_000_003
            a = rng.normal(0, 1e10, n // 2)
            x = np.concatenate([a, -a, rng.normal(0, 1, n - 2 * (n // 2))]); rng.shuffle(x)
            np.save('x.npy', x)
            np.array([math.fsum(x), np.sum(x)], dtype='<f8').tofile('sums')
            """, in: directory)
        let sums = try Self.python.readFloat64("\(directory)/sums")
        let exact = sums[0], numpys = sums[1]
        var bits: Set<UInt64> = []
        for workers in [1, 2, 3] {
            let x = try SharedArray<Double>.load(npy: "\(directory)/x.npy", on: try TestPools.pool(workers))
            let stats = try x.statistics([.sum, .mean])
            let sum = try XCTUnwrap(stats[.sum]), mean = try XCTUnwrap(stats[.mean])
            XCTAssertLessThanOrEqual(abs(sum - exact) / abs(exact), 1e-12, "sum \(sum) vs math.fsum \(exact) on \(workers) workers")
            XCTAssertLessThanOrEqual(abs(mean - exact / Double(x.count)) / abs(exact / Double(x.count)), 1e-12)
            bits.insert(sum.bitPattern)
            bits.insert(mean.bitPattern ^ 0x5555)
            // Asked together with statistics that only need a plain sum (min, norm), the sum stays compensated.
            let mixed = try x.statistics([.min, .sum, .norm])
            XCTAssertEqual(mixed[.sum]?.bitPattern, sum.bitPattern)
            XCTAssertEqual(mixed[.min], try x.min())
            XCTAssertEqual(mixed[.norm], try x.norm())
        }
        XCTAssertEqual(bits.count, 2, "sum and mean differ between worker counts")
        // The data is hard: numpy's pairwise sum is far off (so this test can fail).
        XCTAssertGreaterThan(abs(numpys - exact) / abs(exact), 1e-9)
    }

    /// Dot products whose products nearly cancel and are inexact: the reference is the correctly rounded
    /// sum (fsum) of every product's two exact parts, `p = fl(a*b)` and `fma(a, b, -p)`.
    func testDotOfCancellingInexactProductsIsWithinOneInATrillion() throws {
        var rng = KernelRNG(2026)
        let half = 250_001
        var a: [Double] = [], b: [Double] = []
        for _ in 0..<half {
            let v = rng.double(-1e10, 1e10), w = rng.double(0.5, 1.5)
            a += [v, -v]
            b += [w, w * (1 + 0x1p-40)]
        }
        a.append(0.75); b.append(0.5)
        var parts: [Double] = []
        for i in a.indices {
            let p = a[i] * b[i]
            parts += [p, (-p).addingProduct(a[i], b[i])]
        }
        var results: Set<UInt64> = []
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            let exact = try SharedArray(parts, on: pool).fsum()
            let dot = try SharedArray(a, on: pool).dot(SharedArray(b, on: pool))
            XCTAssertLessThanOrEqual(abs(dot - exact) / abs(exact), 1e-12, "dot \(dot) vs exact \(exact) on \(workers) workers")
            results.insert(dot.bitPattern)
        }
        XCTAssertEqual(results.count, 1)
    }

    func testFloat32DotIsTheCorrectlyRoundedSumOfExactProducts() throws {
        var rng = KernelRNG(17)
        let a = (0..<100_003).map { _ in Float(rng.double(-1e4, 1e4)) }
        let b = (0..<100_003).map { _ in Float(rng.double(-1e4, 1e4)) }
        let pool = try TestPools.pool(3)
        let exact = try SharedArray(zip(a, b).map { Double($0) * Double($1) }, on: pool).fsum()
        let dot = try SharedArray(a, on: pool).dot(SharedArray(b, on: pool))
        XCTAssertLessThanOrEqual(abs(dot - exact), abs(exact) * 1e-15)
    }

    func testInfinitiesAndNaNFollowNumpy() throws {
        let pool = try TestPools.pool(2)
        func sum(_ v: [Double], skipNaN: Bool = false) throws -> Double {
            try XCTUnwrap(SharedArray(v, on: pool).statistics([skipNaN ? .nansum : .sum])[skipNaN ? .nansum : .sum])
        }
        let tail = (0..<40).map(Double.init)
        XCTAssertEqual(try sum([1, .infinity] + tail), .infinity)
        XCTAssertEqual(try sum(tail + [-.infinity]), -.infinity)
        XCTAssertTrue(try sum([.infinity, -.infinity] + tail).isNaN)
        XCTAssertTrue(try sum(tail + [.nan]).isNaN)
        XCTAssertEqual(try sum(tail + [.nan], skipNaN: true), tail.reduce(0, +))
        XCTAssertEqual(try sum([.greatestFiniteMagnitude, .greatestFiniteMagnitude] + tail), .infinity)
        let ones = try SharedArray([Double](repeating: 1, count: 41), on: pool)
        XCTAssertEqual(try SharedArray([.infinity] + tail, on: pool).dot(ones), .infinity)
        XCTAssertTrue(try SharedArray([.nan] + tail, on: pool).dot(ones).isNaN)
    }
}
