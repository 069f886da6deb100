import XCTest
@testable import SharedArrays
#if canImport(Glibc)
import Glibc
#endif

/// Element-wise kernels must equal the scalar Double reference exactly for Double (same IEEE operations);
/// Float results equal the reference computed in Float (exp and log: the same vector function on the element
/// alone where the CPU has it; their accuracy is `VectorMathAccuracyTests`'); integers follow the documented
/// integer rules.
final class MapKernelTests: XCTestCase {
    private let ops: [UnaryOp] = [
        .abs, .sqrt, .exp, .log, .negate, .scale(2.5), .clip(lower: -1, upper: 2.5), .square, .offset(-3),
    ]

    private func floatReference(_ op: UnaryOp, _ x: Float) -> Float {
        switch op {
        case .abs: return x.magnitude
        case .sqrt: return x.squareRoot()
        case .exp: return VectorMath.isAvailable ? alone(.exp, x) : expf(x)
        case .log: return VectorMath.isAvailable ? alone(.log, x) : logf(x)
        case .negate: return -x
        case .scale(let f): return x * Float(f)
        case .clip(let lo, let hi): return Swift.min(Swift.max(x, Float(lo)), Float(hi))
        case .square: return x * x
        case .offset(let a): return x + Float(a)
        default:
            XCTFail("\(op) has no Float reference here (see UfuncTests)")
            return .nan
        }
    }

    private func alone(_ f: VectorMath.Function, _ x: Float) -> Float {
        var input = x, output = x
        Float.vectorMath(f, &input, &output, 1)
        return output
    }

    func testUnaryDoubleMatchesScalarReference() {
        for n in [0, 1, 15, 16, 17, 100] {
            var src = kernelValues(Double.self, count: n, seed: UInt64(n + 3))
            if n > 10 { src[3] = -0.0; src[5] = .nan; src[7] = -.infinity }
            for op in ops {
                var dst = [Double](repeating: 99, count: n)
                src.withUnsafeBufferPointer { s in dst.withUnsafeMutableBufferPointer { applyUnary(op, s, $0) } }
                for i in 0..<n {
                    let expected = unaryInDouble(op, src[i])
                    XCTAssertTrue(
                        dst[i].bitPattern == expected.bitPattern || (dst[i].isNaN && expected.isNaN),
                        "\(op) of \(src[i]): \(dst[i]) vs \(expected)")
                }
            }
        }
        // abs clears the sign of -0.0 like numpy.
        var z = [-0.0]
        z.withUnsafeMutableBufferPointer { applyUnary(.abs, UnsafeBufferPointer($0), $0) }
        XCTAssertEqual(z[0].sign, .plus)
    }

    func testUnaryFloatMatchesFloatReference() {
        let src = kernelValues(Float.self, count: 37, seed: 8)
        for op in ops {
            var dst = [Float](repeating: 0, count: src.count)
            src.withUnsafeBufferPointer { s in dst.withUnsafeMutableBufferPointer { applyUnary(op, s, $0) } }
            for i in 0..<src.count {
                let e = floatReference(op, src[i])
                XCTAssertTrue(dst[i] == e || (dst[i].isNaN && e.isNaN), "\(op) of \(src[i])")
            }
        }
    }

    func testUnaryInPlace() {
        for op in ops {
            let original = kernelValues(Double.self, count: 45, seed: 2).map { abs($0) + 0.5 }
            var data = original
            data.withUnsafeMutableBufferPointer { applyUnary(op, UnsafeBufferPointer($0), $0) }
            XCTAssertEqual(data, original.map { unaryInDouble(op, $0) }, "\(op)")
            var floats = original.map { Float($0) }
            let floatOriginal = floats
            floats.withUnsafeMutableBufferPointer { applyUnary(op, UnsafeBufferPointer($0), $0) }
            XCTAssertEqual(floats, floatOriginal.map { floatReference(op, $0) }, "\(op)")
        }
    }

    func testUnaryIntegers() {
        let src: [Int32] = [-7, 0, 3, .min, .max, 16]
        func run(_ op: UnaryOp) -> [Int32] {
            var dst = [Int32](repeating: 0, count: src.count)
            src.withUnsafeBufferPointer { s in dst.withUnsafeMutableBufferPointer { applyUnary(op, s, $0) } }
            return dst
        }
        XCTAssertEqual(run(.abs), [7, 0, 3, .min, .max, 16])  // wraps like numpy
        XCTAssertEqual(run(.negate), [7, 0, -3, .min, -.max, -16])
        XCTAssertEqual(run(.square), src.map { $0 &* $0 })
        XCTAssertEqual(run(.scale(2)), src.map { $0 &* 2 })
        XCTAssertEqual(run(.scale(0.5)), [-3, 0, 1, -1_073_741_824, 1_073_741_823, 8])  // truncation toward zero
        XCTAssertEqual(run(.offset(-3)), src.map { $0 &- 3 })
        XCTAssertEqual(run(.clip(lower: -1.5, upper: 4.2)), [-1, 0, 3, -1, 4, 4])
        XCTAssertEqual(run(.sqrt), [0, 0, 1, 0, 46_340, 4])  // NaN -> 0 by init(fromDouble:)
        let big: [Int64] = [1 << 62, -5]
        var out = [Int64](repeating: 0, count: 2)
        big.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { applyUnary(.offset(1), s, $0) } }
        XCTAssertEqual(out, [(1 << 62) + 1, -4])  // exact, not through Double
    }

    func testBinaryOps() {
        for n in [0, 5, 16, 33] {
            let a = kernelValues(Double.self, count: n, seed: 1)
            let b = kernelValues(Double.self, count: n, seed: 2)
            for op in BinaryOp.allCases {
                var dst = [Double](repeating: 0, count: n)
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in dst.withUnsafeMutableBufferPointer { applyBinary(op, pa, pb, $0) } }
                }
                let expected: [Double] = zip(a, b).map {
                    switch op {
                    case .add: $0 + $1
                    case .sub: $0 - $1
                    case .mul: $0 * $1
                    case .div: $0 / $1
                    case .power: powerOfOne($0, $1)  // libmvec: the same bits alone as inside a vector
                    case .minimum: $0.isNaN ? $0 : ($0 < $1 ? $0 : $1)
                    case .maximum: $0.isNaN ? $0 : ($0 > $1 ? $0 : $1)
                    }
                }
                XCTAssertEqual(dst.map(\.bitPattern), expected.map(\.bitPattern), "\(op) n=\(n)")
                // In place into a.
                var inPlace = a
                b.withUnsafeBufferPointer { pb in
                    inPlace.withUnsafeMutableBufferPointer { applyBinary(op, UnsafeBufferPointer($0), pb, $0) }
                }
                XCTAssertEqual(inPlace.map(\.bitPattern), expected.map(\.bitPattern))
            }
        }
        let ia: [Int64] = [7, -7, .min, 5]
        let ib: [Int64] = [2, 2, -1, 0]
        var out = [Int64](repeating: 0, count: 4)
        ia.withUnsafeBufferPointer { a in ib.withUnsafeBufferPointer { b in out.withUnsafeMutableBufferPointer { applyBinary(.div, a, b, $0) } } }
        XCTAssertEqual(out, [3, -3, .min, 0])
        ia.withUnsafeBufferPointer { a in ib.withUnsafeBufferPointer { b in out.withUnsafeMutableBufferPointer { applyBinary(.add, a, b, $0) } } }
        XCTAssertEqual(out, [9, -5, .max, 5])
        XCTAssertEqual(BinaryOp(rawValue: "mul"), .mul)
        XCTAssertNil(BinaryOp(rawValue: "pow"))
    }

    func testAxpyFillArange() {
        let x = kernelValues(Double.self, count: 19, seed: 5)
        var y = kernelValues(Double.self, count: 19, seed: 6)
        let expected = zip(x, y).map { 2.5 * $0 + $1 }
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { axpy(alpha: 2.5, px, $0) } }
        for i in 0..<19 { assertKernelClose(y[i], expected[i], relative: 1e-15, absolute: 1e-15) }

        let xf: [Float] = [1, 2, 3]
        var yf: [Float] = [1, 1, 1]
        xf.withUnsafeBufferPointer { px in yf.withUnsafeMutableBufferPointer { axpy(alpha: -1, px, $0) } }
        XCTAssertEqual(yf, [0, -1, -2])

        let xi: [Int32] = [1, 2, 3]
        var yi: [Int32] = [10, 10, 10]
        xi.withUnsafeBufferPointer { px in yi.withUnsafeMutableBufferPointer { axpy(alpha: 3, px, $0) } }
        XCTAssertEqual(yi, [13, 16, 19])

        var f = [Int64](repeating: 0, count: 5)
        f.withUnsafeMutableBufferPointer { fill(-2.7, $0) }
        XCTAssertEqual(f, [-2, -2, -2, -2, -2])

        // arange in pieces equals arange at once, and follows numpy's start + i * delta.
        var whole = [Double](repeating: 0, count: 100)
        whole.withUnsafeMutableBufferPointer { arange(start: 0.1, step: 0.3, firstIndex: 0, $0) }
        var pieces = [Double](repeating: 0, count: 100)
        pieces.withUnsafeMutableBufferPointer { all in
            for r in [0..<1, 1..<2, 2..<37, 37..<100] {
                arange(start: 0.1, step: 0.3, firstIndex: r.lowerBound, UnsafeMutableBufferPointer(rebasing: all[r]))
            }
        }
        XCTAssertEqual(whole, pieces)
        let delta = (0.1 + 0.3) - 0.1
        XCTAssertEqual(whole[0], 0.1)
        XCTAssertEqual(whole[1], 0.1 + 0.3)
        XCTAssertEqual(whole[57], 0.1 + 57 * delta)
        var ints = [Int32](repeating: 0, count: 4)
        ints.withUnsafeMutableBufferPointer { arange(start: 10, step: -3, firstIndex: 0, $0) }
        XCTAssertEqual(ints, [10, 7, 4, 1])
    }
}

/// `a^b` computed on its own (a one-element call: the padded tail of the vector routine).
private func powerOfOne(_ a: Double, _ b: Double) -> Double {
    var out = [0.0]
    [a].withUnsafeBufferPointer { pa in [b].withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { applyBinary(.power, pa, pb, $0) } } }
    return out[0]
}

final class UnaryOpParsingTests: XCTestCase {
    func testParsesCLIForms() {
        XCTAssertEqual(UnaryOp(parsing: "sqrt"), .sqrt)
        XCTAssertEqual(UnaryOp(parsing: "ABS"), .abs)
        XCTAssertEqual(UnaryOp(parsing: "neg"), .negate)
        XCTAssertEqual(UnaryOp(parsing: "negate"), .negate)
        XCTAssertEqual(UnaryOp(parsing: "scale:2.5"), .scale(2.5))
        XCTAssertEqual(UnaryOp(parsing: "clip:0:1"), .clip(lower: 0, upper: 1))
        XCTAssertEqual(UnaryOp(parsing: "clip:-1e3:-2"), .clip(lower: -1000, upper: -2))
        XCTAssertEqual(UnaryOp(parsing: "offset:-3"), .offset(-3))
        XCTAssertEqual(UnaryOp(parsing: "square"), .square)
        for op: UnaryOp in [.abs, .sqrt, .exp, .log, .negate, .square, .scale(-0.25), .offset(7), .clip(lower: -1, upper: 1)] {
            XCTAssertEqual(UnaryOp(parsing: op.description), op)
        }
    }

    func testRejectsBadStrings() {
        for bad in ["", "sqr", "scale", "scale:", "scale:x", "scale:1:2", "clip:1", "clip:a:b", "clip:nan:1",
                    "sqrt:2", "offset:", ":", "exp:", "clip::1", " sqrt"] {
            XCTAssertNil(UnaryOp(parsing: bad), "\(bad) should not parse")
        }
    }
}
