import SharedArrays
import XCTest

/// The ufunc methods on SharedArray: names, numpy's integer rules and errors, views.
final class UfuncAPITests: XCTestCase {
    func testIntegerPowersRefuseNegativeExponentsLikeNumpy() throws {
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            var exponents = [Int64](repeating: 2, count: 100_000)
            exponents[77_777] = -1
            exponents[99_999] = -3
            let base = try SharedArray<Int64>.filled(3, shape: [100_000], on: pool)
            XCTAssertThrowsError(try base.power(try SharedArray(exponents, on: pool))) {
                XCTAssertEqual(
                    ($0 as? ArrayError)?.description,
                    "power: integers to negative integer powers are not allowed (exponent -1 at index 77777)")
            }
            XCTAssertThrowsError(try base.map(.power(-2))) {
                XCTAssertEqual(($0 as? ArrayError)?.description, "power: integers to negative integer powers are not allowed (exponent -2.0)")
            }
            exponents[77_777] = 40
            exponents[99_999] = 0
            let p = try base.power(try SharedArray(exponents, on: pool))
            XCTAssertEqual(p[0], 9)
            var wrapped: Int64 = 1
            for _ in 0..<40 { wrapped = wrapped &* 3 }  // numpy: 3 ** 40 wraps in int64
            XCTAssertEqual(p[77_777], wrapped)
            XCTAssertEqual(p[99_999], 1)
            XCTAssertEqual(try SharedArray<Int32>([2, -3], on: pool).power(31).toArray(), [.min, -1_264_544_299])  // numpy: np.power(int32, 31) wraps
            // Floats take any exponent.
            XCTAssertEqual(try SharedArray<Double>([4, 0], on: pool).power(-0.5).toArray(), [0.5, .infinity])
        }
    }

    func testMinimumMaximumPropagateNaNAndTakeColumns() throws {
        let pool = try TestPools.pool(2)
        let t = try SharedArray<Double>([1, .nan, 5, -2, 0, -0.0, 7, 3], shape: [4, 2], on: pool)
        let a = try t.column(0), b = try t.column(1)
        let lo = try a.minimum(b).toArray(), hi = try a.maximum(b).toArray()
        XCTAssertTrue(lo[0].isNaN && hi[0].isNaN)
        XCTAssertEqual(lo[1], -2)
        XCTAssertEqual(hi[1], 5)
        XCTAssertEqual(lo[2].sign, .minus)  // equal values give the second, as numpy
        XCTAssertEqual(hi[2].sign, .minus)
        XCTAssertEqual(lo[3], 3)
        XCTAssertEqual(hi[3], 7)
        XCTAssertThrowsError(try a.minimum(try t.row(0)))
        let ints = try SharedArray<Int32>([3, -1, .min], on: pool)
        XCTAssertEqual(try ints.maximum(try SharedArray<Int32>([2, 0, .max], on: pool)).toArray(), [3, 0, .max])
    }

    func testIntegerRoundingIsTheIdentityAndSignIsAnInteger() throws {
        let pool = try TestPools.pool(1)
        let x = try SharedArray<Int64>([.min, -7, 0, 9, .max], on: pool)
        for op in [UnaryOp.floor, .ceil, .round] { XCTAssertEqual(try x.map(op).toArray(), x.toArray(), "\(op)") }
        XCTAssertEqual(try x.map(.sign).toArray(), [-1, -1, 0, 1, 1])
        XCTAssertEqual(try x.map(.abs).toArray(), [.min, 7, 0, 9, .max])
    }

    func testNewNamesParseAndPrint() {
        for (text, op) in [("floor", UnaryOp.floor), ("CEIL", .ceil), ("round", .round), ("rint", .round), ("sign", .sign),
                           ("log1p", .log1p), ("expm1", .expm1), ("sin", .sin), ("cos", .cos), ("tanh", .tanh),
                           ("pow:2", .power(2)), ("power:-1.5", .power(-1.5))] {
            XCTAssertEqual(UnaryOp(parsing: text), op, text)
            XCTAssertEqual(UnaryOp(parsing: op.description), op)
        }
        for bad in ["pow", "pow:", "pow:x", "pow:1:2", "floor:1", "sine", "tan"] { XCTAssertNil(UnaryOp(parsing: bad), bad) }
        XCTAssertEqual(BinaryOp(rawValue: "power"), .power)
        XCTAssertEqual(BinaryOp(rawValue: "minimum"), .minimum)
    }
}

/// The vector-math (SLEEF) rows give each element the same bits wherever it sits (inside a vector, in the
/// padded tail, alone), so results never depend on chunk boundaries or on a view's layout.
final class VectorMathPositionTests: XCTestCase {
    func testLibmvecRowsDependOnTheValueAlone() throws {
        let pool = try TestPools.pool(2)
        let values = testValues(1_003, seed: 5, scale: 40)
        for op in [UnaryOp.sin, .cos, .tanh, .log1p, .expm1, .power(1.7), .exp, .log] {
            let whole = try SharedArray(values, on: pool).map(op).toArray()
            for i in [0, 1, 7, 8, 15, 16, 1_000, 1_002] {
                let alone = try SharedArray([values[i]], on: pool).map(op)[0]
                XCTAssertEqual(whole[i].bitPattern, alone.bitPattern, "\(op) at \(i)")
            }
            let floats = values.map { Float($0) }
            let wholeF = try SharedArray(floats, on: pool).map(op).toArray()
            for i in [3, 16, 17, 1_001] {
                XCTAssertEqual(wholeF[i].bitPattern, try SharedArray([floats[i]], on: pool).map(op)[0].bitPattern, "\(op) Float at \(i)")
            }
        }
    }
}
