import SharedArrays
import TestSupport
import XCTest

/// Every ufunc against numpy on hostile data (NaN, ±inf, -0.0, halves, huge and tiny values) for the four
/// element types, at lengths below and above one chunk, and bit-identical for 1, 2 and 3 workers. Exact
/// operations must give numpy's bits; libm ones must stay within the ulp bounds below (measured figures are
/// printed).
final class UfuncNumpyTests: XCTestCase {
    private let python = PythonReference(modules: ["numpy"], directoryPrefix: "ufunc-test")

    /// Ops whose result is exact (rounding, compares, sign flips, one IEEE operation): numpy's bits.
    private let exactUnary: [UnaryOp] = [
        .abs, .negate, .square, .sign, .floor, .ceil, .round, .sqrt, .clip(lower: -2.5, upper: 1e10), .scale(-3),
        .offset(0.25),
    ]
    /// libm ops, with the most ulps allowed from numpy for float64 and float32 (exp, log, sin, cos: SLEEF,
    /// 1 ulp; tanh: SLEEF, 3.5 ulp; log1p, expm1 and pow: libmvec, 4 ulp; numpy's own loops are within 4 ulp).
    private let libmUnary: [(UnaryOp, double: Int, float: Int)] = [
        (.exp, 1, 2), (.log, 1, 2), (.log1p, 4, 4), (.expm1, 4, 4), (.sin, 4, 4), (.cos, 4, 4), (.tanh, 4, 4),
        (.power(2), 0, 0), (.power(0.5), 0, 0), (.power(-1), 0, 0), (.power(-1.5), 4, 4), (.power(3), 4, 4),
    ]

    private static let numpyNames: [String: String] = [
        "abs": "np.abs(a)", "negate": "np.negative(a)", "square": "np.square(a)", "sign": "np.sign(a)",
        "floor": "np.floor(a)", "ceil": "np.ceil(a)", "round": "np.round(a)", "sqrt": "np.sqrt(a)",
        "clip:-2.5:10000000000.0": "np.clip(a, a.dtype.type(-2.5), a.dtype.type(1e10))",
        "scale:-3.0": "a * a.dtype.type(-3)", "offset:0.25": "a + a.dtype.type(0.25)",
        "exp": "np.exp(a)", "log": "np.log(a)", "log1p": "np.log1p(a)", "expm1": "np.expm1(a)", "sin": "np.sin(a)",
        "cos": "np.cos(a)", "tanh": "np.tanh(a)", "pow:2.0": "np.power(a, 2.0)", "pow:0.5": "np.power(a, 0.5)",
        "pow:-1.5": "np.power(a, -1.5)", "pow:-1.0": "np.power(a, -1.0)", "pow:3.0": "np.power(a, 3.0)",
        "power": "np.power(a, b)", "minimum": "np.minimum(a, b)", "maximum": "np.maximum(a, b)",
    ]

    /// Hostile values first, then pseudo-random ones of several magnitudes (so every SIMD block and the scalar
    /// tail see specials).
    private func hostileDoubles(_ n: Int, seed: UInt64) -> [Double] {
        let specials: [Double] = [
            .nan, .infinity, -.infinity, 0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994,
            4503599627370495.5, -4503599627370495.5, 0x1p52, 0x1p52 + 1, 0x1p53 + 2, 1e300, -1e300,
            2.2250738585072014e-308, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1e-10, -1e-10, 1, -1, 3, 0.9999999999999999, 709.8, -745.2, 1e22, 710, -1,
            8388607.5, 8388608.5, 2147483647.5, -2147483648.7, 3.1415926535897931,
        ]
        var state = seed
        return (0..<n).map { i in
            if i < specials.count { return specials[i] }
            if i % 97 == 0 { return specials[i % specials.count] }
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Double(state >> 11) / Double(1 << 53) - 0.5
            switch i % 4 {
            case 0: return u * 8
            case 1: return u * 2e6
            case 2: return (u * 60).rounded() / 2  // halves
            default: return u * 1e-3
            }
        }
    }

    private func hostileIntegers(_ n: Int, seed: UInt64) -> [Int64] {
        let specials: [Int64] = [0, 1, -1, 2, -2, 3, .max, .min, Int64(Int32.max), Int64(Int32.min), 1 << 40, -(1 << 33)]
        var state = seed
        return (0..<n).map { i in
            if i < specials.count { return specials[i] }
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return i % 3 == 0 ? Int64(bitPattern: state) : Int64(bitPattern: state) >> 50
        }
    }

    /// Runs numpy on `a` (and `b`) saved as .npy: each expression `name -> expr` is saved as `name.npy`.
    private func numpy<E: SharedElement>(
        _ a: SharedArray<E>, _ b: SharedArray<E>, expressions: [String: String], in dir: String
    ) throws -> [String: SharedArray<E>] {
        try a.save(npy: dir + "/a.npy")
        try b.save(npy: dir + "/b.npy")
        var script = "import numpy as np, warnings\nwarnings.simplefilter('ignore')\na = np.load('a.npy'); b = np.load('b.npy')\n"
        for (i, (_, expression)) in expressions.sorted(by: { $0.key < $1.key }).enumerated() {
            script += "np.save('out\(i).npy', np.asarray(\(expression)).astype(a.dtype))\n"
        }
        try python.python(script, in: dir)
        var out: [String: SharedArray<E>] = [:]
        for (i, (name, _)) in expressions.sorted(by: { $0.key < $1.key }).enumerated() {
            out[name] = try SharedArray<E>.load(npy: dir + "/out\(i).npy", on: a.pool)
        }
        return out
    }

    /// Ulps between two floats of the same type (0 for equal values and for two NaNs; Int.max across classes).
    private func ulps<E: SharedElement>(_ x: E, _ y: E) -> Int {
        func distance<F: BinaryFloatingPoint>(_ x: F, _ y: F, _ bits: (F) -> Int64) -> Int {
            if x.isNaN || y.isNaN { return x.isNaN && y.isNaN ? 0 : Int.max }
            if x == y { return 0 }
            if x.isInfinite || y.isInfinite { return Int.max }
            func ordered(_ v: F) -> Int64 { let b = bits(v); return b < 0 ? Int64.min &- b : b }
            let d = ordered(x).subtractingReportingOverflow(ordered(y))
            return d.overflow ? Int.max : Int(d.partialValue.magnitude)
        }
        if let x = x as? Double, let y = y as? Double { return distance(x, y) { Int64(bitPattern: $0.bitPattern) } }
        if let x = x as? Float, let y = y as? Float { return distance(x, y) { Int64(Int32(bitPattern: $0.bitPattern)) } }
        return x == y ? 0 : Int.max
    }

    private func check<E: SharedElement>(_: E.Type, count: Int, values: [E], second: [E]) throws {
        try python.require()
        let dir = try python.makeDirectory()
        defer { python.removeDirectory(dir) }
        var byWorkers: [[[E]]] = []
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            let a = try SharedArray(values, on: pool), b = try SharedArray(second, on: pool)
            let isFloat = E.dtype.isFloatingPoint
            // Integers: numpy's own integer rules apply to these (sqrt, clip and a fractional offset differ).
            var unary = exactUnary.filter { isFloat || ![.sqrt, .clip(lower: -2.5, upper: 1e10), .offset(0.25)].contains($0) }.map { ($0, 0) }
            if isFloat { unary += libmUnary.map { ($0.0, E.self == Double.self ? $0.double : $0.float) } }
            var expressions: [String: String] = [:]
            for (op, _) in unary { expressions[op.description] = Self.numpyNames[op.description]! }
            let binary: [BinaryOp] = isFloat ? [.power, .minimum, .maximum] : [.minimum, .maximum]
            for op in binary { expressions[op.rawValue] = Self.numpyNames[op.rawValue]! }
            if !isFloat {
                expressions["pow:3.0"] = "np.power(a, 3)"
                unary.append((.power(3), 0))
            }
            let reference = try numpy(a, b, expressions: expressions, in: dir)
            var results: [[E]] = []
            for (op, bound) in unary {
                let got = try a.map(op).toArray(), want = reference[op.description]!.toArray()
                var worst = 0, at = 0
                for i in 0..<count where ulps(got[i], want[i]) > worst { (worst, at) = (ulps(got[i], want[i]), i) }
                XCTAssertLessThanOrEqual(worst, bound, "\(E.self) \(op) of \(values[at]): \(got[at]) vs numpy \(want[at])")
                if bound > 0 && workers == 1 { print("ulps from numpy: \(E.self) \(op) max \(worst) (bound \(bound))") }
                results.append(got)
            }
            for op in binary {
                let got = try a.combined(with: b, op).toArray(), want = reference[op.rawValue]!.toArray()
                let bound = op == .power ? 4 : 0
                var worst = 0, at = 0
                for i in 0..<count where ulps(got[i], want[i]) > worst { (worst, at) = (ulps(got[i], want[i]), i) }
                XCTAssertLessThanOrEqual(worst, bound, "\(E.self) \(op)(\(values[at]), \(second[at])): \(got[at]) vs numpy \(want[at])")
                if bound > 0 && workers == 1 { print("ulps from numpy: \(E.self) \(op) max \(worst) (bound \(bound))") }
                results.append(got)
            }
            byWorkers.append(results)
        }
        func bits(_ r: [[E]]) -> [[UInt8]] { r.map { $0.withUnsafeBytes { Array($0) } } }
        XCTAssertEqual(bits(byWorkers[0]), bits(byWorkers[1]))
        XCTAssertEqual(bits(byWorkers[0]), bits(byWorkers[2]))
    }

    func testDoubleUfuncsMatchNumpy() throws {
        for n in [1_001, 70_003] {
            let a = hostileDoubles(n, seed: 1)
            try check(Double.self, count: n, values: a, second: a.reversed().map { $0 == 0 ? -$0 : $0 })
        }
    }

    func testFloatUfuncsMatchNumpy() throws {
        for n in [999, 140_001] {
            let a = hostileDoubles(n, seed: 2).map { Float($0) }
            try check(Float.self, count: n, values: a, second: a.reversed())
        }
    }

    func testInt64UfuncsMatchNumpy() throws {
        let a = hostileIntegers(50_001, seed: 3)
        try check(Int64.self, count: a.count, values: a, second: a.reversed())
    }

    func testInt32UfuncsMatchNumpy() throws {
        let a = hostileIntegers(80_001, seed: 4).map { Int32(truncatingIfNeeded: $0) }
        try check(Int32.self, count: a.count, values: a, second: a.reversed())
    }
}
