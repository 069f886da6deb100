import SharedArrays
import TestSupport
import XCTest

/// `astype` against numpy's casts for every pair of the four element types, on hostile data; checked casts
/// name the first value the target cannot hold, for any number of workers.
final class AsTypeTests: XCTestCase {
    private let python = PythonReference(modules: ["numpy"], directoryPrefix: "astype-test")

    private func hostile(_ n: Int) -> [Double] {
        let specials: [Double] = [
            .nan, .infinity, -.infinity, -0.0, 0, 2.9, -2.9, 0.5, -0.5, 1e20, -1e20, 3e9, -3e9, 2147483647.9,
            -2147483648.9, 2147483648, -2147483649, 0x1p63, -0x1p63, 0x1p63 - 1024, 1e300, 3.4028235677973366e38,
            1.0000000596046448, 16777217, 0x1p53 + 1,
        ]
        var state: UInt64 = 9
        return (0..<n).map { i in
            if i < specials.count { return specials[i] }
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Double(state >> 11) / Double(1 << 53) - 0.5) * (i % 2 == 0 ? 1e6 : 1e12)
        }
    }

    /// Every pair, unchecked, against numpy (whose out-of-range float casts on x86 give the target's minimum).
    func testUncheckedCastsMatchNumpyForEveryPair() throws {
        try python.require()
        let dir = try python.makeDirectory()
        defer { python.removeDirectory(dir) }
        let n = 90_001
        let values = hostile(n)
        let pool = try TestPools.pool(2)
        let d = try SharedArray(values, on: pool)
        let f = try SharedArray(values.map { Float($0) }, on: pool)
        let i64 = try SharedArray(values.map { Int64(exactly: $0.rounded(.towardZero)) ?? Int64(bitPattern: UInt64($0.bitPattern)) }, on: pool)
        let i32 = try SharedArray(i64.toArray().map { Int32(truncatingIfNeeded: $0) }, on: pool)
        try d.save(npy: dir + "/float64.npy")
        try f.save(npy: dir + "/float32.npy")
        try i64.save(npy: dir + "/int64.npy")
        try i32.save(npy: dir + "/int32.npy")
        let names = ["float64", "float32", "int64", "int32"]
        try python.python(
            """
            import numpy as np, warnings
            warnings.simplefilter('ignore')
            for s in \(names):
                for t in \(names):
                    np.save(f'{s}_to_{t}.npy', np.load(f'{s}.npy').astype(t))
            """, in: dir)
        func compare<S: SharedElement, T: SharedElement>(_ source: SharedArray<S>, _: T.Type) throws {
            let got = try source.astype(T.self, unchecked: true).toArray()
            let want = try SharedArray<T>.load(npy: "\(dir)/\(S.dtype.rawValue)_to_\(T.dtype.rawValue).npy", on: pool).toArray()
            let gotBytes = got.withUnsafeBytes { Array($0) }, wantBytes = want.withUnsafeBytes { Array($0) }
            if gotBytes != wantBytes, let i = (0..<n).first(where: { "\(got[$0])" != "\(want[$0])" }) {
                XCTFail("\(S.self) -> \(T.self) at \(i) (\(source[i])): \(got[i]) vs numpy \(want[i])")
            } else {
                XCTAssertEqual(gotBytes, wantBytes, "\(S.self) -> \(T.self) (NaN payloads)")
            }
        }
        func all<S: SharedElement>(_ source: SharedArray<S>) throws {
            try compare(source, Double.self)
            try compare(source, Float.self)
            try compare(source, Int64.self)
            try compare(source, Int32.self)
        }
        try all(d)
        try all(f)
        try all(i64)
        try all(i32)
    }

    func testCheckedCastsNameTheFirstOffendingElement() throws {
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            var values = (0..<200_000).map { Double($0 % 1000) - 500.5 }
            values[150_007] = .nan
            values[190_000] = 1e10
            let x = try SharedArray(values, on: pool)
            XCTAssertThrowsError(try x.astype(Int32.self)) {
                XCTAssertEqual(
                    ($0 as? ArrayError)?.description,
                    "astype: element 150007 (nan) is not a finite number; int32 cannot hold it (pass unchecked: true for numpy's unchecked cast)")
            }
            values[150_007] = 7
            let y = try SharedArray(values, on: pool)
            XCTAssertThrowsError(try y.astype(Int32.self)) {
                XCTAssertEqual(
                    ($0 as? ArrayError)?.description,
                    "astype: element 190000 (10000000000.0) is outside int32's range; int32 cannot hold it (pass unchecked: true for numpy's unchecked cast)")
            }
            XCTAssertEqual(try y.astype(Int64.self)[190_000], 10_000_000_000)
            XCTAssertEqual(try y.astype(Int64.self)[1], -499)  // -499.5 truncates toward zero
            let big = try SharedArray<Int64>([1, 2, 1 << 31, -(1 << 31)], on: pool)
            XCTAssertThrowsError(try big.astype(Int32.self)) {
                XCTAssertEqual(
                    ($0 as? ArrayError)?.description,
                    "astype: element 2 (2147483648) is outside int32's range; int32 cannot hold it (pass unchecked: true for numpy's unchecked cast)")
            }
            XCTAssertEqual(try big.astype(Int32.self, unchecked: true).toArray(), [1, 2, .min, .min])
            XCTAssertEqual(try SharedArray<Float>([-.infinity], on: pool).astype(Int64.self, unchecked: true)[0], .min)
            // Edges that do fit: truncation brings them inside the range.
            let edges = try SharedArray<Double>([2147483647.9, -2147483648.9], on: pool)
            XCTAssertEqual(try edges.astype(Int32.self).toArray(), [.max, .min])
            XCTAssertThrowsError(try SharedArray<Double>([0x1p63], on: pool).astype(Int64.self))
        }
    }

    func testStridedColumnsAndTwoDimensionalShapesConvert() throws {
        let pool = try TestPools.pool(3)
        let table = try SharedArray((0..<300_000).map { Double($0) * 0.75 }, shape: [100_000, 3], on: pool)
        let column = try table.column(2).astype(Int32.self)
        XCTAssertEqual(column.toArray(), (0..<100_000).map { Int32((Double($0 * 3 + 2) * 0.75).rounded(.towardZero)) })
        let whole = try table.astype(Float.self)
        XCTAssertEqual(whole.shape, [100_000, 3])
        XCTAssertEqual(whole[99_999, 1], Float(Double(299_998) * 0.75))
        XCTAssertEqual(try SharedArray<Int64>([], on: pool).astype(Double.self).count, 0)
    }
}
