import Foundation
import XCTest
@testable import SharedArrays

/// Masks, masked statistics and filters compared with numpy on hostile data (NaN, ±inf, ±0, duplicates,
/// integer extremes, all-equal values, lengths below and above one chunk), for every element type, and
/// checked bit-identical for 1, 2 and 3 workers.
final class MaskNumpyTests: XCTestCase {
    private var directory = ""
    private static let codes = ["f8", "f4", "i8", "i4"]
    private static let lengths = [1, 7, 4099, 100_003]
    /// The masks the reference writes, in order.
    private static let maskCount = 14
    /// The statistics checked over the selection.
    private static let statistics: [Statistic] = [
        .count, .sum, .mean, .var, .std, .min, .max, .argmin, .argmax, .nancount, .nansum, .nanmean, .nanvar, .nanstd,
        .nanmin, .nanmax, .nanargmin, .nanargmax,
    ]

    override func setUpWithError() throws {
        directory = try NpyTestSupport.makeDirectory()
        try NpyTestSupport.python(Self.referenceScript, in: directory)
    }

    override func tearDown() { NpyTestSupport.removeDirectory(directory) }

    /// Writes, per case `CODE_N`: x.npy, y.npy, the masks as raw bytes, `x[sel]` as .npy and the statistics
    /// of `x[sel]` as text (`raise` where numpy raises).
    private static let referenceScript = #"""
        import numpy as np, warnings
        warnings.simplefilter('ignore')
        rng = np.random.default_rng(12)
        def hostile(code, n):
            if code[0] == 'f':
                x = rng.normal(0, 8, n).round(0)
                special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 2.5, 3.0])
            else:
                info = np.iinfo(code)
                x = rng.integers(-12, 12, n)
                special = np.array([info.min, info.max, 0, 3, -3], dtype=np.int64)
            k = max(1, n // 7)
            x[rng.integers(0, n, k)] = rng.choice(special, k)
            return x.astype(code)
        cases = [(c, n) for c in ['f8', 'f4', 'i8', 'i4'] for n in [1, 7, 4099, 100003]]
        for code, n in cases + [(c, 'equal') for c in ['f8', 'i4']]:
            if n == 'equal':
                x = np.full(5000, 3, dtype=code); y = x.copy()
            else:
                x = hostile(code, n); y = x.copy()
                k = max(1, n // 3)
                y[rng.integers(0, n, k)] = hostile(code, k)
            name = f'{code}_{n}'
            np.save(name + '_x.npy', x); np.save(name + '_y.npy', y)
            t = 2.5
            sel = ((x > -5) & (x < 5)) | np.isnan(x) if code[0] == 'f' else ((x > -5) & (x < 5))
            masks = [x < t, x <= t, x > t, x >= t, x == t, x != t, x > 3, x == 3, x < y, x == y, x != y,
                     np.isnan(x), np.isfinite(x), sel]
            np.concatenate([m.astype(np.uint8) for m in masks]).tofile(name + '_masks.u8')
            np.save(name + '_filtered.npy', x[sel])
            np.save(name + '_where.npy', np.where(sel, x, y))
            np.save(name + '_where_scalar.npy', np.where(x > 3, x, x.dtype.type(-7)))
            s = x[sel]
            f = s.astype(np.float64)
            def val(fn):
                try:
                    return repr(float(fn()))
                except ValueError:
                    return 'raise'
            stats = {
                'count': lambda: len(s), 'sum': lambda: s.sum() if code[0] == 'i' else f.sum(), 'mean': lambda: f.mean(),
                'var': lambda: f.var(), 'std': lambda: f.std(),
                'min': lambda: s.min(), 'max': lambda: s.max(), 'argmin': lambda: s.argmin(), 'argmax': lambda: s.argmax(),
                'nancount': lambda: np.count_nonzero(~np.isnan(f)), 'nansum': lambda: np.nansum(s) if code[0] == 'i' else np.nansum(f),
                'nanmean': lambda: np.nanmean(f), 'nanvar': lambda: np.nanvar(f), 'nanstd': lambda: np.nanstd(f),
                'nanmin': lambda: np.nanmin(s) if len(s) else s.min(), 'nanmax': lambda: np.nanmax(s) if len(s) else s.max(),
                'nanargmin': lambda: np.nanargmin(s), 'nanargmax': lambda: np.nanargmax(s)}
            with open(name + '_stats.txt', 'w') as out:
                for k, fn in stats.items():
                    out.write(f'{k} {val(fn)}\n')
        """#

    private func path(_ name: String) -> String { directory + "/" + name }

    /// The bytes of `values`, so that NaN payloads and -0.0 compare exactly.
    private func bytes<E>(_ values: [E]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    func testMasksStatisticsAndFiltersMatchNumpyForEveryDType() throws {
        let cases = Self.codes.flatMap { c in Self.lengths.map { (c, "\($0)") } } + [("f8", "equal"), ("i4", "equal")]
        for (code, n) in cases {
            switch code {
            case "f8": try check(Double.self, "\(code)_\(n)")
            case "f4": try check(Float.self, "\(code)_\(n)")
            case "i8": try check(Int64.self, "\(code)_\(n)")
            default: try check(Int32.self, "\(code)_\(n)")
            }
        }
    }

    private func check<E: SharedElement>(_: E.Type, _ name: String) throws {
        let expectedMasks = try Data(contentsOf: URL(fileURLWithPath: path(name + "_masks.u8")))
        let expectedStats = try String(contentsOfFile: path(name + "_stats.txt"), encoding: .utf8)
            .split(separator: "\n").map { line -> (Statistic, Double?) in
                let parts = line.split(separator: " ")
                return (Statistic(rawValue: String(parts[0]))!, parts[1] == "raise" ? nil : Double(String(parts[1]))!)
            }
        var runs: [[UInt64]] = []
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            let x = try SharedArray<E>.load(npy: path(name + "_x.npy"), on: pool)
            let y = try SharedArray<E>.load(npy: path(name + "_y.npy"), on: pool)
            let n = x.count
            let t = MaskScalar.real(2.5)
            let masks = [
                try x.compare(.less, t), try x.compare(.lessOrEqual, t), try x.compare(.greater, t),
                try x.compare(.greaterOrEqual, t), try x.compare(.equal, t), try x.compare(.notEqual, t),
                try x > E(fromDouble: 3), try x == E(fromDouble: 3), try x < y, try x == y, try x != y,
                try x.isNaN(), try x.isFinite(),
                try (x.compare(.greater, .integer(-5)) & x.compare(.less, .integer(5))) | x.isNaN(),
            ]
            XCTAssertEqual(masks.count, Self.maskCount)
            for (k, mask) in masks.enumerated() {
                let expected = expectedMasks[k * n..<(k + 1) * n].map { $0 != 0 }
                XCTAssertEqual(mask.toArray(), expected, "\(name) mask \(k), \(workers) workers")
                XCTAssertEqual(try mask.trueCount, expected.filter { $0 }.count, "\(name) mask \(k) trueCount")
            }
            let selection = masks[Self.maskCount - 1]
            var run: [UInt64] = []
            if expectedStats.first(where: { $0.0 == .count })!.1 == 0 {
                XCTAssertThrowsError(try x.statistics(Self.statistics, where: selection), name)
            } else {
                let stats = try x.statistics(Self.statistics, where: selection)
                for (statistic, expected) in expectedStats {
                    let got = stats[statistic]
                    if let expected {
                        XCTAssertClose(got, expected, relative: 1e-9, "\(name) \(statistic), \(workers) workers")
                    } else {
                        XCTAssertNil(got, "\(name) \(statistic): numpy raises")
                    }
                    run.append(got?.bitPattern ?? 1)
                }
            }
            let filtered = try SharedArray<E>.load(npy: path(name + "_filtered.npy"), on: pool)
            XCTAssertEqual(bytes(try x.filter(selection).toArray()), bytes(filtered.toArray()), "\(name) filter, \(workers) workers")
            let selected = try SharedArray<E>.load(npy: path(name + "_where.npy"), on: pool)
            XCTAssertEqual(bytes(try SharedArray.where(selection, x, y).toArray()), bytes(selected.toArray()), "\(name) where")
            let withScalar = try SharedArray<E>.load(npy: path(name + "_where_scalar.npy"), on: pool)
            XCTAssertEqual(
                bytes(try SharedArray.where(x > E(fromDouble: 3), x, E(fromDouble: -7)).toArray()), bytes(withScalar.toArray()),
                "\(name) where with a scalar")
            XCTAssertEqual(try x.count(where: selection), expectedMasks[(Self.maskCount - 1) * n..<Self.maskCount * n].filter { $0 != 0 }.count)
            runs.append(run)
        }
        for run in runs.dropFirst() { XCTAssertEqual(run, runs[0], "\(name): results differ between worker counts") }
    }
}
