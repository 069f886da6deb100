import CVectorMath
import TestSupport
import XCTest
@testable import SharedArrays

#if canImport(Glibc)
import Glibc
#endif

/// The transcendental rows (SLEEF and libmvec, see ``VectorMath``) against a reference accurate far beyond
/// Double: glibc's 80-bit `long double` functions (64-bit significand, so their own error is ~2^-11 of a
/// Double ulp), and for Float, glibc's Double functions. About a million arguments per function and type:
/// every binade by random bit patterns (subnormals included), the everyday ranges, and the special values and
/// range edges (±0, ±inf, NaN, overflow and underflow thresholds, huge trig arguments). The bound asserted is
/// each function's documented one (``VectorMath/Function/ulpBound(float:)``); the measured maximum is printed.
final class VectorMathAccuracyTests: XCTestCase {
    private let count = 1 << 20

    func testDoubleFunctionsAreWithinTheirBoundOfTheExtendedPrecisionReference() throws {
        try XCTSkipUnless(VectorMath.isAvailable, "no AVX2+FMA: the rows use glibc's scalar libm")
        for function in Self.functions {
            let x = Self.arguments(function, count: count, seed: 11)
            var y = [Double](repeating: 0, count: x.count)
            x.withUnsafeBufferPointer { s in y.withUnsafeMutableBufferPointer { Double.vectorMath(function, s.baseAddress!, $0.baseAddress!, x.count) } }
            var worst = 0.0, at = 0
            for i in x.indices {
                let e = Self.ulpError(y[i], Self.reference(function, Float80(x[i])))
                if e > worst { (worst, at) = (e, i) }
            }
            print("max ulp error: Double \(function) \(worst) at \(x[at]) (\(x.count) arguments)")
            XCTAssertLessThanOrEqual(worst, function.ulpBound(float: false), "\(function)(\(x[at])) = \(y[at]), reference \(Self.reference(function, Float80(x[at])))")
        }
    }

    func testDoublePowIsWithinItsBoundOfTheExtendedPrecisionReference() throws {
        try XCTSkipUnless(VectorMath.isAvailable, "no AVX2+FMA: pow uses glibc's scalar libm")
        let (x, e) = Self.powArguments(count: count, seed: 12)
        var y = [Double](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { s in
            e.withUnsafeBufferPointer { p in
                y.withUnsafeMutableBufferPointer { Double.vectorPow(s.baseAddress!, p.baseAddress!, exponentStride: 1, $0.baseAddress!, x.count) }
            }
        }
        var worst = 0.0, at = 0
        for i in x.indices {
            let err = Self.ulpError(y[i], powl(Float80(x[i]), Float80(e[i])))
            if err > worst { (worst, at) = (err, i) }
        }
        print("max ulp error: Double pow \(worst) at (\(x[at]), \(e[at])) (\(x.count) arguments)")
        XCTAssertLessThanOrEqual(worst, VectorMath.powUlpBound, "pow(\(x[at]), \(e[at])) = \(y[at])")
    }

    func testFloatFunctionsAreWithinTheirBoundOfTheDoubleReference() throws {
        try XCTSkipUnless(VectorMath.isAvailable, "no AVX2+FMA: the rows use glibc's scalar libm")
        for function in Self.functions {
            let x = Self.arguments(function, count: count, seed: 13).map { Float($0) }
            var y = [Float](repeating: 0, count: x.count)
            x.withUnsafeBufferPointer { s in y.withUnsafeMutableBufferPointer { Float.vectorMath(function, s.baseAddress!, $0.baseAddress!, x.count) } }
            var worst = 0.0, at = 0
            for i in x.indices {
                let e = Self.floatUlpError(y[i], Self.doubleReference(function, Double(x[i])))
                if e > worst { (worst, at) = (e, i) }
            }
            print("max ulp error: Float \(function) \(worst) at \(x[at]) (\(x.count) arguments)")
            XCTAssertLessThanOrEqual(worst, function.ulpBound(float: true), "\(function)(\(x[at])) = \(y[at])")
        }
        let (x, e) = Self.powArguments(count: count, seed: 14)
        let xf = x.map { Float($0) }, ef = e.map { Float($0 / 8) }
        var y = [Float](repeating: 0, count: x.count)
        xf.withUnsafeBufferPointer { s in
            ef.withUnsafeBufferPointer { p in
                y.withUnsafeMutableBufferPointer { Float.vectorPow(s.baseAddress!, p.baseAddress!, exponentStride: 1, $0.baseAddress!, x.count) }
            }
        }
        var worst = 0.0, at = 0
        for i in x.indices {
            let err = Self.floatUlpError(y[i], Glibc.pow(Double(xf[i]), Double(ef[i])))
            if err > worst { (worst, at) = (err, i) }
        }
        print("max ulp error: Float pow \(worst) at (\(xf[at]), \(ef[at]))")
        XCTAssertLessThanOrEqual(worst, VectorMath.powUlpBound, "powf(\(xf[at]), \(ef[at])) = \(y[at])")
    }

    /// Float pow (PowerFloat.c, computed in Double) against glibc's Double pow: within 0.502 ulp wherever it
    /// computes (a positive normal base, a finite exponent, a result of a normal magnitude), libm's powf bit
    /// for bit for every special case (zeros, negatives, subnormals, infinities, NaN payloads, overflow and
    /// underflow), and the same bits on the AVX-512F, AVX2 and scalar paths, tails included.
    func testFloatPowIsWithinHalfAnUlpAndTheSameOnEveryPath() throws {
        var rng = KernelRNG(31)
        var x: [Float] = [], y: [Float] = []
        let (px, pe) = Self.powArguments(count: count / 2, seed: 15)
        for (a, b) in zip(px, pe) { x.append(Float(a)); y.append(Float(b / 8)) }
        while x.count < count {
            switch x.count % 5 {
            case 0:  // any bits: subnormals, negatives, infinities, NaN payloads
                x.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())))
                y.append(x.count % 3 == 0 ? Float(rng.int(-20, 20)) : Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())))
            case 1:  // near 1 with large exponents: log2(x) tiny, y * log2(x) large
                x.append(Float(1 + (rng.unit() - 0.5) * 1e-3))
                y.append(Float((rng.unit() - 0.5) * 4e5))
            case 2:  // results near the overflow and underflow thresholds
                let b = Float(rng.double(1.5, 100))
                x.append(b)
                y.append(Float((rng.unit() < 0.5 ? 1 : -1) * rng.double(120, 130) / Glibc.log2(Double(b))))
            case 3:  // everyday: [0, 1) to [0, 4), the benchmark's kind
                x.append(Float(rng.unit()))
                y.append(Float(rng.double(0, 4)))
            default:  // every binade of the base, exponents in [-2, 2]
                x.append(Float(Glibc.ldexp(rng.double(0.5, 1), Int32(rng.int(-149, 128)))))
                y.append(Float(rng.double(-2, 2)))
            }
        }
        let results = Self.powOnEveryPath(x, y)
        var worst = 0.0, at = 0, computed = 0
        for i in x.indices {
            let got = results[i], exact = Glibc.pow(Double(x[i]), Double(y[i]))
            let computes = x[i].isNormal && x[i] > 0 && y[i].isFinite && Swift.abs(exact) >= 0x1p-125 && Swift.abs(exact) <= 0x1p125
            if computes {
                computed += 1
                let e = Self.floatUlpError(got, exact)
                if e > worst { (worst, at) = (e, i) }
            } else if !(x[i].isNormal && x[i] > 0 && y[i].isFinite) {
                XCTAssertEqual(got.bitPattern, Glibc.powf(x[i], y[i]).bitPattern, "powf(\(x[i]), \(y[i])) = \(got)")
            } else {  // near overflow or underflow: either path, at most libm's error
                XCTAssertLessThanOrEqual(Self.floatUlpError(got, exact), 1, "powf(\(x[i]), \(y[i])) = \(got)")
            }
        }
        print("max ulp error: Float pow (own kernel) \(worst) at (\(x[at]), \(y[at])) (\(computed) of \(x.count) arguments computed)")
        XCTAssertGreaterThan(computed, x.count / 2)
        XCTAssertLessThanOrEqual(worst, 0.502, "powf(\(x[at]), \(y[at])) = \(results[at])")
        Self.assertScalarExponentGivesTheArrayExponentsBits(x)
    }

    /// Double pow (PowerDouble.c, log(x) as a double-double) against glibc's 80-bit powl: within 0.6 ulp
    /// wherever it computes (a positive normal base, a finite exponent, |y log x| below 707), libm's pow bit
    /// for bit for every special case (zeros, negatives, subnormals, infinities, NaN payloads) and near overflow
    /// and underflow, exact where the power is (pow(1, y), x^1, small integer powers of 2), and the same bits
    /// on the AVX-512F, AVX2 and scalar paths, tails and a scalar exponent included.
    func testDoublePowIsWithinSixTenthsOfAnUlpAndTheSameOnEveryPath() throws {
        var rng = KernelRNG(41)
        var (x, y) = Self.powArguments(count: count / 2, seed: 16)
        while x.count < count {
            switch x.count % 6 {
            case 0:  // any bits: subnormals, negatives, infinities, NaN payloads
                x.append(Double(bitPattern: rng.next()))
                y.append(x.count % 3 == 0 ? Double(rng.int(-40, 40)) : Double(bitPattern: rng.next()))
            case 1:  // near 1 with large exponents: log(x) tiny, y * log(x) large
                x.append(1 + (rng.unit() - 0.5) * 1e-3)
                y.append((rng.unit() - 0.5) * 1e6)
            case 2:  // results near the overflow and underflow thresholds, and the kernel's own limit
                let b = rng.double(1.5, 100)
                x.append(b)
                y.append((rng.unit() < 0.5 ? 1 : -1) * rng.double(700, 712) / Glibc.log(b))
            case 3:  // everyday: [0, 1) to [0, 4), the benchmark's kind
                x.append(rng.unit())
                y.append(rng.double(0, 4))
            case 4:  // each table entry's neighbourhood: bases just inside [0.7, 1.42) and their binade copies
                x.append(Glibc.ldexp(rng.double(0.70703125, 1.4142135623730951), Int32(rng.int(-1000, 1000))))
                y.append(rng.double(-0.6, 0.6))
            default:  // every binade of the base, exponents in [-2, 2]
                x.append(Glibc.ldexp(rng.double(0.5, 1), Int32(rng.int(-1074, 1024))))
                y.append(rng.double(-2, 2))
            }
        }
        let results = Self.powOnEveryPath(x, y)
        var worst = 0.0, at = 0, computed = 0
        for i in x.indices {
            let got = results[i]
            let computes = x[i].isNormal && x[i] > 0 && y[i].isFinite && Swift.abs(y[i] * Glibc.log(x[i])) < 706
            if computes {
                computed += 1
                let e = Self.ulpError(got, powl(Float80(x[i]), Float80(y[i])))
                if e > worst { (worst, at) = (e, i) }
            } else {
                let want = Glibc.pow(x[i], y[i])
                XCTAssertTrue(got.bitPattern == want.bitPattern || (got.isNaN && want.isNaN) || Self.ulpError(got, powl(Float80(x[i]), Float80(y[i]))) <= 0.6,
                              "pow(\(x[i]), \(y[i])) = \(got), glibc \(want)")
                if !(x[i].isNormal && x[i] > 0 && y[i].isFinite) {
                    XCTAssertEqual(got.bitPattern, want.bitPattern, "special case pow(\(x[i]), \(y[i])) = \(got), glibc \(want)")
                }
            }
        }
        print("max ulp error: Double pow (own kernel) \(worst) at (\(x[at]), \(y[at])) (\(computed) of \(x.count) arguments computed)")
        XCTAssertGreaterThan(computed, x.count / 2)
        XCTAssertLessThanOrEqual(worst, 0.6, "pow(\(x[at]), \(y[at])) = \(results[at])")
        // Exact powers come out exact.
        let exact: [(Double, Double, Double)] = [(1, 12345.678, 1), (1, -1e300, 1), (3.7, 1, 3.7), (0.1, 1, 0.1), (2, 10, 1024),
                                                 (2, -3, 0.125), (10, 2, 100), (9, 0.5, 3), (1e-300, 1, 1e-300), (7, 0, 1)]
        for (a, b, want) in exact {
            var got = 0.0
            mp_pow_at(2, [a], [b], 1, &got, 1)
            XCTAssertEqual(got, want, "pow(\(a), \(b))")
        }
        Self.assertScalarExponentGivesTheArrayExponentsBits(x)
    }

    /// Regression: Double pow kept r^3 P(r) of its logarithm in the low word, so y * lo reached 0.04 for a
    /// base near 1 and |y log x| near 700, pushed exp's reduced argument out of its polynomial's interval, and
    /// gave 136 ulp at pow(1.0362, 19587). Bases over every log-table subinterval (and their binade copies),
    /// exponents putting |y log x| anywhere up to the kernel's limit of 707, on every path, against powl.
    func testDoublePowStaysWithinItsBoundWhenYLogXIsLargeForEveryTableEntry() throws {
        var rng = KernelRNG(43)
        var x: [Double] = [], y: [Double] = []
        while x.count < 1 << 18 {
            let near1 = x.count % 2 == 0
            let base = near1 ? rng.double(0.97, 1.05) : rng.double(0.7109375, 1.421875)
            let b = Glibc.ldexp(base, Int32(near1 ? 0 : rng.int(-3, 3) * (x.count % 5 == 1 ? 300 : 1)))
            let l = Swift.abs(Glibc.log(b))
            guard l > 1e-6 else { continue }
            x.append(b)
            y.append((rng.unit() < 0.5 ? 1 : -1) * rng.double(x.count % 3 == 0 ? 0 : 600, 706.9) / l)
        }
        let results = Self.powOnEveryPath(x, y)
        var worst = 0.0, at = 0
        for i in x.indices {
            let e = Self.ulpError(results[i], powl(Float80(x[i]), Float80(y[i])))
            if e > worst { (worst, at) = (e, i) }
        }
        print("max ulp error: Double pow, |y log x| up to 707 \(worst) at (\(x[at]), \(y[at])) (\(x.count) arguments)")
        XCTAssertLessThanOrEqual(worst, 0.6, "pow(\(x[at]), \(y[at])) = \(results[at])")
    }

    /// Regression: a lane sent to libm (a zero, negative or infinite base, a result beyond the kernel's range)
    /// was computed from x and y after the vector's results were stored, so with out == x (an in-place power)
    /// it read its own result: pow(0, -2) gave 16. Out of place, into x and into y give the same bits, on
    /// every path, for Double and Float.
    func testPowInPlaceGivesTheBitsOfOutOfPlaceForSpecialLanes() throws {
        let bases: [Double] = [0, -2, 3, .infinity, 2, -0.0, 0.5, 10, 4, -1, .nan, 7, 0, 1e300, 2, 5, -3, 8, 0, 9]
        let exponents: [Double] = [-2, 3, 0.5, -1, 2000, -3, -1, 400, 2, 0.5, 0, 3, 2, 2, -2000, 1, 2, -1, -1, 0.5]
        for level: Int32 in [2, 1, 0] {
            var want = [Double](repeating: 0, count: bases.count)
            mp_pow_at(level, bases, exponents, 1, &want, bases.count)
            XCTAssertEqual(want.map(\.bitPattern), zip(bases, exponents).map { Glibc.pow($0, $1).bitPattern }, "level \(level)")
            var intoX = bases, intoY = exponents
            intoX.withUnsafeMutableBufferPointer { mp_pow_at(level, $0.baseAddress!, exponents, 1, $0.baseAddress!, bases.count) }
            intoY.withUnsafeMutableBufferPointer { mp_pow_at(level, bases, $0.baseAddress!, 1, $0.baseAddress!, bases.count) }
            XCTAssertEqual(intoX.map(\.bitPattern), want.map(\.bitPattern), "Double, into x, level \(level)")
            XCTAssertEqual(intoY.map(\.bitPattern), want.map(\.bitPattern), "Double, into y, level \(level)")
            let fx = bases.map { Float($0) }, fy = exponents.map { Float($0 / 10) }
            var fwant = [Float](repeating: 0, count: fx.count)
            mp_powf_at(level, fx, fy, 1, &fwant, fx.count)
            XCTAssertEqual(fwant.map(\.bitPattern), zip(fx, fy).map { Glibc.powf($0, $1).bitPattern }, "Float, level \(level)")
            var fIntoX = fx, fIntoY = fy
            fIntoX.withUnsafeMutableBufferPointer { mp_powf_at(level, $0.baseAddress!, fy, 1, $0.baseAddress!, fx.count) }
            fIntoY.withUnsafeMutableBufferPointer { mp_powf_at(level, fx, $0.baseAddress!, 1, $0.baseAddress!, fx.count) }
            XCTAssertEqual(fIntoX.map(\.bitPattern), fwant.map(\.bitPattern), "Float, into x, level \(level)")
            XCTAssertEqual(fIntoY.map(\.bitPattern), fwant.map(\.bitPattern), "Float, into y, level \(level)")
        }
    }

    /// ±0, ±inf and NaN give what C99 Annex F (and glibc) give, sign of zero included.
    func testSpecialValuesFollowC99() throws {
        try XCTSkipUnless(VectorMath.isAvailable, "no AVX2+FMA")
        let specials: [Double] = [0, -0.0, .infinity, -.infinity, .nan, -.nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        for function in Self.functions {
            var y = [Double](repeating: 0, count: specials.count)
            specials.withUnsafeBufferPointer { s in y.withUnsafeMutableBufferPointer { Double.vectorMath(function, s.baseAddress!, $0.baseAddress!, specials.count) } }
            for (x, got) in zip(specials, y) {
                let want = Double(Self.reference(function, Float80(x)))
                if want.isNaN {
                    XCTAssertTrue(got.isNaN, "\(function)(\(x)) = \(got), want NaN")
                } else if want == 0 || want.isInfinite {
                    XCTAssertEqual(got.bitPattern, want.bitPattern, "\(function)(\(x)) = \(got), want \(want)")
                }
            }
        }
        let pairs: [(Double, Double, Double)] = [
            (0, -1, .infinity), (-0.0, -1, -.infinity), (-0.0, -2, .infinity), (-1, .infinity, 1), (-1, -.infinity, 1),
            (1, .nan, 1), (.nan, 0, 1), (-8, 1.0 / 3, .nan), (2, 1024, .infinity), (2, -1074, .leastNonzeroMagnitude),
            (2, -1076, 0), (-2, 3, -8), (.infinity, -0.5, 0), (-.infinity, 3, -.infinity), (0.5, .infinity, 0),
        ]
        for (x, p, want) in pairs {
            var a = x, b = p, got = 0.0
            Double.vectorPow(&a, &b, exponentStride: 1, &got, 1)
            if want.isNaN { XCTAssertTrue(got.isNaN, "pow(\(x), \(p)) = \(got)") } else { XCTAssertEqual(got.bitPattern, want.bitPattern, "pow(\(x), \(p)) = \(got)") }
        }
    }

    /// SLEEF's exp returns inf from 709.78271114955742 on; exp is finite up to 709.782712893384: those
    /// arguments get glibc's exp, out of place and in place, inside a vector and in the tail.
    func testExpIsFiniteUpToTheTrueOverflowThreshold() throws {
        try XCTSkipUnless(VectorMath.isAvailable, "no AVX2+FMA: exp is glibc's")
        var x = [Double](repeating: 1, count: 19)
        for (i, v) in [709.782712893384, 709.7827112, 709.78271114955743, 709.7827128933841, 709.78271114955742].enumerated() {
            x[i * 4] = v
        }
        var out = [Double](repeating: 0, count: x.count)
        Double.vectorMath(.exp, x, &out, x.count)
        var inPlace = x
        inPlace.withUnsafeMutableBufferPointer { Double.vectorMath(.exp, $0.baseAddress!, $0.baseAddress!, x.count) }
        for i in x.indices {
            let want = Glibc.exp(x[i])
            XCTAssertEqual(Self.ulpError(out[i], expl(Float80(x[i]))), 0, accuracy: 1, "exp(\(x[i])) = \(out[i]), glibc \(want)")
            XCTAssertEqual(inPlace[i].bitPattern, out[i].bitPattern, "in place, exp(\(x[i]))")
        }
        XCTAssertTrue(out[0].isFinite && out[12] == .infinity)
    }

    /// SLEEF's finz builds for AVX-512 and AVX2 agree bit for bit (so results do not depend on which CPU of
    /// the two kinds ran them); NaN results too, after the log's NaNs are made canonical.
    func testAVX512AndAVX2PathsGiveTheSameBits() throws {
        try XCTSkipUnless(VectorMath.cpuLevel >= 2, "needs an AVX-512 CPU to run both paths")
        var rng = KernelRNG(21)
        let x: [Double] = (0..<(1 << 18)).map { i in
            let bits = rng.next()
            return i % 2 == 0 ? Double(bitPattern: bits) : Double(Int64(bitPattern: bits) >> 20) * 1e-9
        }
        let xf = x.map { Float($0) }
        for function in Self.functions where function.sleefCode(float: false) != nil {
            var wide = [Double](repeating: 0, count: x.count), narrow = wide
            VectorMath.evaluate(function, level: 2, x, &wide, x.count)
            VectorMath.evaluate(function, level: 1, x, &narrow, x.count)
            XCTAssertEqual(wide.map(\.bitPattern), narrow.map(\.bitPattern), "Double \(function)")
            XCTAssertTrue(wide.contains { $0 != 0 }, "Double \(function) ran")
        }
        for function in Self.functions where function.sleefCode(float: true) != nil {
            var wideF = [Float](repeating: 0, count: x.count), narrowF = wideF
            VectorMath.evaluate(function, level: 2, xf, &wideF, x.count)
            VectorMath.evaluate(function, level: 1, xf, &narrowF, x.count)
            XCTAssertEqual(wideF.map(\.bitPattern), narrowF.map(\.bitPattern), "Float \(function)")
            XCTAssertTrue(wideF.contains { $0 != 0 }, "Float \(function) ran")
        }
        // In place (an `apply`): the log's NaN fix-up must still see the inputs.
        var inPlaceWide = x, inPlaceNarrow = x
        inPlaceWide.withUnsafeMutableBufferPointer { VectorMath.evaluate(.log, level: 2, $0.baseAddress!, $0.baseAddress!, x.count) }
        inPlaceNarrow.withUnsafeMutableBufferPointer { VectorMath.evaluate(.log, level: 1, $0.baseAddress!, $0.baseAddress!, x.count) }
        XCTAssertEqual(inPlaceWide.map(\.bitPattern), inPlaceNarrow.map(\.bitPattern), "Double log in place")
    }

    /// The square root's vector loops (AVX-512F, AVX, scalar C) give Swift's `squareRoot()` bits for every
    /// input (random bit patterns: subnormals, negatives, ±0, ±inf, NaN payloads), every tail length, in place
    /// too, and so does `map(.sqrt)` on a shared array.
    func testSquareRootPathsGiveTheScalarBitsForEveryInputAndTail() throws {
        var rng = KernelRNG(22)
        var x: [Double] = [0, -0.0, .infinity, -.infinity, .nan, -.nan, Double(bitPattern: 0x7FF0_0000_0000_0001),
                           -1, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 2, 4]
        x += (0..<(1 << 16)).map { _ in Double(bitPattern: rng.next()) }
        let xf = x.map { Float($0) } + (0..<1000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
        for level in Int32(0)...2 {
            for n in [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, x.count] {
                var out = [Double](repeating: 1, count: n)
                mp_sqrt_f64_at(level, x, &out, n)
                XCTAssertEqual(out.map(\.bitPattern), x.prefix(n).map { $0.squareRoot().bitPattern }, "Double, level \(level), n \(n)")
            }
            for n in [0, 1, 15, 16, 17, 33, xf.count] {
                var out = [Float](repeating: 1, count: n)
                mp_sqrt_f32_at(level, xf, &out, n)
                XCTAssertEqual(out.map(\.bitPattern), xf.prefix(n).map { $0.squareRoot().bitPattern }, "Float, level \(level), n \(n)")
            }
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer { mp_sqrt_f64_at(level, $0.baseAddress!, $0.baseAddress!, x.count) }
            XCTAssertEqual(inPlace.map(\.bitPattern), x.map { $0.squareRoot().bitPattern }, "in place, level \(level)")
        }
        let pool = try TestPools.pool(2)
        let a = try SharedArray<Double>(x, on: pool)
        XCTAssertEqual(try a.map(.sqrt).toArray().map(\.bitPattern), x.map { $0.squareRoot().bitPattern })
    }

    // MARK: - Arguments and references

    static let functions: [VectorMath.Function] = [.exp, .log, .log1p, .expm1, .sin, .cos, .tanh]

    /// Special values and range edges first, then a mix of random bit patterns (every binade) and values in
    /// the function's everyday range.
    static func arguments(_ f: VectorMath.Function, count: Int, seed: UInt64) -> [Double] {
        var values: [Double] = [
            0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
            .leastNormalMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
            1, -1, 0.5, -0.5, 2, 1e-300, -1e-300, 1e-20, -1e-20, .ulpOfOne, 1 - .ulpOfOne / 2, 1 + .ulpOfOne,
        ]
        let everyday: ClosedRange<Double>
        switch f {
        case .exp:
            values += [709.782712893384, 709.7827128933841, 709.78, -708.3964185322641, -708.4, -745.1332191019411,
                       -745.1332191019412, -745.2, -744.44, 1e-16]
            everyday = -750...710
        case .log:
            values += [0x1p-1074, 0x1p-1022, Double.leastNormalMagnitude.nextDown, 0x1.0000000000001p0, 0x1.fffffffffffffp-1]
            everyday = 0...10
        case .log1p:
            values += [-1, -1 + 0x1p-53, -0.9999999, 1e-300, -1e-300, 0x1p-60, 1e300, -1.5]
            everyday = -1...10
        case .expm1:
            values += [709.782712893384, 709.79, -37.5, -40, -745.2, 1e-300, 0x1p-60, -0x1p-60]
            everyday = -40...710
        case .sin, .cos:
            values += [Double.pi, Double.pi / 2, -Double.pi / 2, 3 * Double.pi / 2, 1e22, 1e300, -1e300, 0x1p1023,
                       6381956970095103 * 0x1p797, 1e15, 1e8 * Double.pi]
            everyday = -1e4...1e4
        case .tanh:
            values += [19.06, 19.07, -19.06, 22, -22, 1e-300, 0x1p-28, 0.55, 0.5493061443340549]
            everyday = -20...20
        }
        var rng = KernelRNG(seed)
        while values.count < count {
            switch values.count % 3 {
            case 0: values.append(Double(bitPattern: rng.next()))
            case 1: values.append(rng.double(everyday.lowerBound, everyday.upperBound))
            default:
                // Small magnitudes near the accurate-near-0 region and subnormals.
                let scale = Double(sign: .plus, exponent: Int(rng.next() % 1100) - 1074, significand: 1)
                values.append((rng.unit() - 0.5) * scale)
            }
        }
        return values
    }

    /// pow of every element on the AVX-512F, AVX2 and scalar paths (levels 2, 1 and 0, clamped to the CPU's),
    /// asserting that the three give the same bits; returns the first path's results.
    static func powOnEveryPath(_ x: [Double], _ y: [Double], file: StaticString = #filePath, line: UInt = #line) -> [Double] {
        onEveryPath(x, y, bits: \.bitPattern, file: file, line: line) { mp_pow_at($0, $1, $2, 1, $3, $4) }
    }

    static func powOnEveryPath(_ x: [Float], _ y: [Float], file: StaticString = #filePath, line: UInt = #line) -> [Float] {
        onEveryPath(x, y, bits: { UInt64($0.bitPattern) }, file: file, line: line) { mp_powf_at($0, $1, $2, 1, $3, $4) }
    }

    private static func onEveryPath<T: BinaryFloatingPoint>(
        _ x: [T], _ y: [T], bits: (T) -> UInt64, file: StaticString, line: UInt,
        _ pow: (Int32, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>, Int) -> Void
    ) -> [T] {
        let paths: [[T]] = ([2, 1, 0] as [Int32]).map { level in
            var out = [T](repeating: 0, count: x.count)
            out.withUnsafeMutableBufferPointer { o in
                x.withUnsafeBufferPointer { a in y.withUnsafeBufferPointer { b in pow(level, a.baseAddress!, b.baseAddress!, o.baseAddress!, x.count) } }
            }
            return out
        }
        XCTAssertEqual(paths[0].map(bits), paths[1].map(bits), "AVX-512F and AVX2 paths differ", file: file, line: line)
        XCTAssertEqual(paths[0].map(bits), paths[2].map(bits), "AVX-512F and scalar paths differ", file: file, line: line)
        return paths[0]
    }

    /// A scalar exponent (stride 0) and every tail length up to 39 give the bits of an array exponent.
    static func assertScalarExponentGivesTheArrayExponentsBits(_ x: [Double], file: StaticString = #filePath, line: UInt = #line) {
        for n in 0..<40 {
            var strided = [Double](repeating: 0, count: n), repeated = strided
            mp_pow_at(2, x, [2.5], 0, &strided, n)
            mp_pow_at(0, x, [Double](repeating: 2.5, count: n), 1, &repeated, n)
            XCTAssertEqual(strided.map(\.bitPattern), repeated.map(\.bitPattern), "n = \(n)", file: file, line: line)
        }
    }

    static func assertScalarExponentGivesTheArrayExponentsBits(_ x: [Float], file: StaticString = #filePath, line: UInt = #line) {
        for n in 0..<40 {
            var strided = [Float](repeating: 0, count: n), repeated = strided
            mp_powf_at(2, x, [2.5], 0, &strided, n)
            mp_powf_at(0, x, [Float](repeating: 2.5, count: n), 1, &repeated, n)
            XCTAssertEqual(strided.map(\.bitPattern), repeated.map(\.bitPattern), "n = \(n)", file: file, line: line)
        }
    }

    static func powArguments(count: Int, seed: UInt64) -> ([Double], [Double]) {
        var x: [Double] = [0, -0.0, 1, -1, 2, 2, 0.5, .infinity, -.infinity, .nan, 10, 0x1p-1074, 0x1p-1022, -8, 1 + .ulpOfOne]
        var e: [Double] = [-1, 3, .nan, .infinity, 1023.9999999, -1074.5, -1, 0.5, 3, 0, 308.25, 0.5, -0.5, 3, 1e18]
        var rng = KernelRNG(seed)
        while x.count < count {
            switch x.count % 3 {
            case 0:  // positive bases over every binade, exponents keeping most results finite
                let b = Double(bitPattern: rng.next() & 0x7FFF_FFFF_FFFF_FFFF)
                x.append(b)
                let l = Swift.abs(Glibc.log2(b.isFinite && b > 0 ? b : 2))
                e.append(rng.double(-1000, 1000) / Swift.max(1, l))
            case 1:
                x.append(rng.double(0, 100))
                e.append(rng.double(-100, 100))
            default:  // negative bases with integral exponents
                x.append(-rng.double(0, 10))
                e.append(Double(rng.int(-300, 300)))
            }
        }
        return (x, e)
    }

    static func reference(_ f: VectorMath.Function, _ x: Float80) -> Float80 {
        switch f {
        case .exp: expl(x)
        case .log: logl(x)
        case .log1p: log1pl(x)
        case .expm1: expm1l(x)
        case .sin: sinl(x)
        case .cos: cosl(x)
        case .tanh: tanhl(x)
        }
    }

    static func doubleReference(_ f: VectorMath.Function, _ x: Double) -> Double {
        switch f {
        case .exp: Glibc.exp(x)
        case .log: Glibc.log(x)
        case .log1p: Glibc.log1p(x)
        case .expm1: Glibc.expm1(x)
        case .sin: Glibc.sin(x)
        case .cos: Glibc.cos(x)
        case .tanh: Glibc.tanh(x)
        }
    }

    /// |got - reference| in units of the last place of the reference's binade in Double (subnormal spacing
    /// below the normal range). Infinity is right for a reference at or beyond the largest Double plus half
    /// an ulp; NaN matches NaN.
    static func ulpError(_ got: Double, _ reference: Float80) -> Double {
        if reference.isNaN || got.isNaN { return reference.isNaN && got.isNaN ? 0 : .infinity }
        let largest = Float80(Double.greatestFiniteMagnitude), top = Float80(Double.greatestFiniteMagnitude.ulp)
        if got.isInfinite {
            guard (got > 0) == (reference > 0) else { return .infinity }
            return reference.isInfinite || (Swift.abs(reference) - largest) / top >= 0.5 ? 0 : .infinity
        }
        if reference.isInfinite { return .infinity }
        let exponent = reference == 0 ? -1022 : Swift.min(Swift.max(Int(reference.exponent), -1022), 1023)
        let ulp = Float80(sign: .plus, exponent: exponent - 52, significand: 1)
        return Double(Swift.abs(Float80(got) - reference) / ulp)
    }

    static func floatUlpError(_ got: Float, _ reference: Double) -> Double {
        if reference.isNaN || got.isNaN { return reference.isNaN && got.isNaN ? 0 : .infinity }
        let largest = Double(Float.greatestFiniteMagnitude), top = Double(Float.greatestFiniteMagnitude.ulp)
        if got.isInfinite {
            guard (got > 0) == (reference > 0) else { return .infinity }
            return reference.isInfinite || (Swift.abs(reference) - largest) / top >= 0.5 ? 0 : .infinity
        }
        if reference.isInfinite { return .infinity }
        let exponent = reference == 0 ? -126 : Swift.min(Swift.max(Int(reference.exponent), -126), 127)
        let ulp = Double(sign: .plus, exponent: exponent - 23, significand: 1)
        return Swift.abs(Double(got) - reference) / ulp
    }
}
