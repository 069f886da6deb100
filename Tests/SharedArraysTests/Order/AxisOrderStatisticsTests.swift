import Foundation
import SharedArrays
import XCTest

final class AxisOrderStatisticsTests: XCTestCase {
    /// Medians and quantiles along both axes of tables with NaN, ±inf and duplicates match numpy's
    /// `axis=` results for every dtype, with more quantiles than one batch holds, on 1, 2 and 3 workers.
    func testAxisQuantilesMatchNumpy() throws {
        let directory = try OrderTestSupport.makeDirectory()
        defer { OrderTestSupport.removeDirectory(directory) }
        try OrderTestSupport.python(
            #"""
            import numpy as np, json, warnings
            warnings.simplefilter('ignore')
            rng = np.random.default_rng(3)
            qs = [0.0, 0.1, 0.25, 0.5, 0.75, 0.99]
            methods = ['linear', 'nearest', 'inverted_cdf', 'hazen']
            def hx(v): return [('0x%016x' % int(np.float64(x).view(np.uint64))) for x in np.asarray(v, np.float64).ravel()]
            out = []
            for dt in ['float64', 'float32', 'int64', 'int32']:
                t = rng.integers(-20, 20, (37, 5)).astype(dt)
                if dt.startswith('f'):
                    t[3, 1] = np.nan; t[::4, 2] = np.nan; t[:, 4] = np.nan; t[5, 0] = np.inf; t[6, 3] = -0.0
                t.astype(t.dtype.newbyteorder('<')).tofile(dt + '.bin')
                r = {'dtype': dt, 'shape': list(t.shape)}
                for axis in (0, 1):
                    r['median%d' % axis] = hx(np.median(t, axis=axis))
                    r['nanmedian%d' % axis] = hx(np.nanmedian(t, axis=axis))
                    for m in methods:
                        r['q_%s_%d' % (m, axis)] = hx(np.quantile(t, qs, axis=axis, method=m))
                        r['nq_%s_%d' % (m, axis)] = hx(np.nanquantile(t, qs, axis=axis, method=m))
                        r['q1_%s_%d' % (m, axis)] = hx(np.quantile(t, 0.3, axis=axis, method=m))
                out.append(r)
            json.dump({'qs': qs, 'methods': methods, 'tables': out}, open('axis.json', 'w'))
            """#, in: directory)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/axis.json"))) as! [String: Any]
        let qs = manifest["qs"] as! [Double]
        let methods = (manifest["methods"] as! [String]).map { QuantileMethod(name: $0)! }
        for table in manifest["tables"] as! [[String: Any]] {
            let dtype = DType(name: table["dtype"] as! String)!
            let path = directory + "/\(dtype.rawValue).bin"
            let shape = table["shape"] as! [Int]
            var first: [String: [Double]]?
            for workers in [2, 1, 3] {
                let pool = try TestPools.pool(workers)
                let got: [String: [Double]]
                switch dtype {
                case .float64: got = try axisAnswers(try loadTable(Double.self, path, shape, pool), qs: qs, methods: methods)
                case .float32: got = try axisAnswers(try loadTable(Float.self, path, shape, pool), qs: qs, methods: methods)
                case .int64: got = try axisAnswers(try loadTable(Int64.self, path, shape, pool), qs: qs, methods: methods)
                default: got = try axisAnswers(try loadTable(Int32.self, path, shape, pool), qs: qs, methods: methods)
                }
                for (key, values) in got {
                    let want = hexDoubles(table[key])
                    XCTAssertEqual(values.count, want.count, "\(dtype) \(key)")
                    for (i, (g, w)) in zip(values, want).enumerated() where !sameResult(g, w) {
                        XCTFail("\(dtype) \(key)[\(i)]: got \(g), numpy \(w)")
                    }
                }
                if let first {
                    XCTAssertEqual(first.mapValues { $0.map(\.bitPattern) }, got.mapValues { $0.map(\.bitPattern) }, "\(workers) workers")
                } else {
                    first = got
                }
            }
        }
    }

    /// A table whose rows are long enough to be selected by the whole-array passes gives what the per-row
    /// sort gives for the same rows.
    func testLongRowsMatchShortRowPath() throws {
        let pool = try TestPools.pool(2)
        let length = 1 << 20
        let values = (0..<(2 * length)).map { Double(($0 &* 2_654_435_761) % 1_000_003) - 500_000 }
        let long = try SharedArray<Double>(values, shape: [2, length], on: pool)
        let medians = try long.median(axis: 1)
        let q = try long.quantile([0.1, 0.9], axis: 1, method: .midpoint)
        for r in 0..<2 {
            let row = Array(values[r * length..<(r + 1) * length]).sorted()
            XCTAssertEqual(medians[r], (row[length / 2 - 1] + row[length / 2]) / 2)
            let v = 0.1 * Double(length - 1)
            XCTAssertEqual(q[0][r], row[Int(v)] + (row[Int(v) + 1] - row[Int(v)]) * 0.5)
        }
    }

    func testAxisErrors() throws {
        let pool = try TestPools.pool(2)
        let flat = try SharedArray<Double>([1, 2, 3], on: pool)
        XCTAssertThrowsError(try flat.median(axis: 0)) { XCTAssertTrue("\($0)".contains("2-D"), "\($0)") }
        let table = try SharedArray<Double>([1, 2, 3, 4], shape: [2, 2], on: pool)
        XCTAssertThrowsError(try table.median(axis: 2))
        XCTAssertThrowsError(try table.quantile(2, axis: 0))
        let noRows = try SharedArray<Double>([], shape: [0, 3], on: pool)
        XCTAssertThrowsError(try noRows.median(axis: 0)) { XCTAssertTrue("\($0)".contains("empty"), "\($0)") }
    }

    private func loadTable<E: SharedElement>(_: E.Type, _ path: String, _ shape: [Int], _ pool: WorkerPool) throws -> SharedArray<E> {
        let c = OrderCase(name: "", dtype: E.dtype, path: path, queries: [])
        return try c.load(E.self, on: pool).reshaped(shape)
    }

    private func axisAnswers<E: SharedElement>(_ t: SharedArray<E>, qs: [Double], methods: [QuantileMethod]) throws -> [String: [Double]] {
        var r: [String: [Double]] = [:]
        for axis in 0...1 {
            r["median\(axis)"] = try t.median(axis: axis)
            r["nanmedian\(axis)"] = try t.nanmedian(axis: axis)
            for m in methods {
                r["q_\(m.name)_\(axis)"] = try t.quantile(qs, axis: axis, method: m).flatMap { $0 }
                r["nq_\(m.name)_\(axis)"] = try t.nanquantile(qs, axis: axis, method: m).flatMap { $0 }
                r["q1_\(m.name)_\(axis)"] = try t.quantile(0.3, axis: axis, method: m)
            }
        }
        return r
    }
}
