import Foundation
import SharedArrays
import TestSupport
import XCTest

/// numpy as the reference for sorts and order statistics: a Python script writes hostile test arrays as
/// raw files and, for each, numpy's answers to a list of queries (as IEEE bit patterns in hex, so NaN,
/// ±inf and -0.0 survive).
let OrderTestSupport = PythonReference(modules: ["numpy"], directoryPrefix: "order-test")

/// One test array from the reference script.
struct OrderCase {
    var name: String
    var dtype: DType
    var path: String
    var queries: [[String: Any]]

    /// The array's raw little-endian elements.
    func load<E: SharedElement>(_: E.Type, on pool: WorkerPool) throws -> SharedArray<E> {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let values: [E] = data.withUnsafeBytes { raw in
            (0..<(data.count / MemoryLayout<E>.stride)).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<E>.stride, as: E.self) }
        }
        return try SharedArray(values, on: pool)
    }
}

/// The hostile arrays, per dtype (name, numpy expression), shared by the order-statistics and sort tests.
let orderCaseScript = #"""
import numpy as np, json, sys, warnings
warnings.simplefilter('ignore')
rng = np.random.default_rng(12)
big = sys.argv[1] == '1'
def floats(dt):
    c = []
    c.append(('n1', np.array([2.5], dt)))
    c.append(('n2', np.array([3.0, -1.0], dt)))
    c.append(('n3', np.array([1.0, np.inf, 2.0], dt)))
    c.append(('dups7', np.array([4, 1, 4, 4, 2, 1, 4], dt)))
    c.append(('inf_only', np.array([np.inf, np.inf, -np.inf], dt)))
    c.append(('zeros', np.array([0.0, -0.0, -0.0, 0.0, 1.0, -1.0], dt)))
    h = rng.normal(0, 100, 1001).astype(dt)
    h[::7] = np.nan; h[3::50] = np.inf; h[5::60] = -np.inf; h[9::30] = -0.0; h[11::30] = 0.0; h[13::5] = h[14::5]
    c.append(('hostile1001', h))
    c.append(('allnan', np.full(5, np.nan, dt)))
    c.append(('normal40k', rng.normal(3, 10, 40_003).astype(dt)))
    if big:
        c.append(('big_equal300k', np.full(300_000, 2.5, dt)))
        c.append(('big_band600k', (1 + rng.random(600_001) * 1e-4).astype(dt)))
        n = rng.normal(0, 1, 1_100_000).astype(dt); n[::1000] = np.nan
        c.append(('big_normal1.1M', n))
    return c
def ints(dt):
    info = np.iinfo(dt)
    c = []
    c.append(('n1', np.array([7], dt)))
    c.append(('n2', np.array([5, -3], dt)))
    c.append(('extremes', np.array([info.min, info.max, 0, -1, 1, info.max], dt)))
    c.append(('wrap2', np.array([info.min, info.max], dt)))
    c.append(('dups1001', rng.integers(-50, 50, 1001).astype(dt)))
    c.append(('wide40k', rng.integers(info.min, info.max, 40_003, dtype=dt)))
    if big:
        c.append(('big_equal300k', np.full(300_000, -9, dt)))
        c.append(('big_band600k', rng.integers(2**20, 2**20 + 3, 600_001).astype(dt)))
    return c
methods = ['linear', 'lower', 'higher', 'nearest', 'midpoint', 'inverted_cdf', 'averaged_inverted_cdf',
           'closest_observation', 'interpolated_inverted_cdf', 'hazen', 'weibull', 'median_unbiased', 'normal_unbiased']
qs = [0.0, 1e-9, 0.1, 0.25, 1/3, 0.5, 0.6, 2/3, 0.75, 0.9, 0.999, 1.0]
ps = [0.0, 12.5, 50.0, 99.0, 99.9, 100.0]
def hx(v):
    return [('0x%016x' % int(np.float64(x).view(np.uint64))) for x in np.atleast_1d(np.asarray(v, np.float64))]
manifest = []
for dt in ['float64', 'float32', 'int64', 'int32']:
    for name, a in (floats(dt) if dt.startswith('f') else ints(dt)):
        path = '%s_%s.bin' % (dt, name)
        a.astype(a.dtype.newbyteorder('<')).tofile(path)
        small = a.size <= 5000
        qq = []
        qq.append({'fn': 'median', 'want': hx(np.median(a))})
        qq.append({'fn': 'nanmedian', 'want': hx(np.nanmedian(a))})
        for m in methods:
            qq.append({'fn': 'quantile_list', 'method': m, 'q': hx(qs), 'want': hx(np.quantile(a, qs, method=m))})
            qq.append({'fn': 'nanquantile_list', 'method': m, 'q': hx(qs), 'want': hx(np.nanquantile(a, qs, method=m))})
            for q in (qs if small else [0.25, 0.5]):
                qq.append({'fn': 'quantile', 'method': m, 'q': hx(q), 'want': hx(np.quantile(a, q, method=m))})
                if small:
                    qq.append({'fn': 'nanquantile', 'method': m, 'q': hx(q), 'want': hx(np.nanquantile(a, q, method=m))})
        for m in ['linear', 'nearest']:
            for p in ps:
                qq.append({'fn': 'percentile', 'method': m, 'q': hx(p), 'want': hx(np.percentile(a, p, method=m))})
                qq.append({'fn': 'nanpercentile', 'method': m, 'q': hx(p), 'want': hx(np.nanpercentile(a, p, method=m))})
            qq.append({'fn': 'percentile_list', 'method': m, 'q': hx(ps), 'want': hx(np.percentile(a, ps, method=m))})
        if a.ndim == 1 and a.size > 0:
            qq.append({'fn': 'sorted', 'want_path': path + '.sorted'})
            np.sort(a, kind='stable').tofile(path + '.sorted')
            qq.append({'fn': 'argsort', 'want_path': path + '.argsort'})
            np.argsort(a, kind='stable').astype('<i8').tofile(path + '.argsort')
        manifest.append({'name': name, 'dtype': dt, 'path': path, 'queries': qq})
json.dump(manifest, open('manifest.json', 'w'))
"""#

extension PythonReference {
    /// Writes the hostile arrays and numpy's answers into `directory` (`big`: add the cases of 300k-1.1M
    /// elements, which take the narrowing and multi-chunk paths).
    func orderCases(in directory: String, big: Bool) throws -> [OrderCase] {
        try require()
        try Self.run(["python3", "-c", orderCaseScript, big ? "1" : "0"], in: directory)
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))
        let list = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        return list.map { c in
            OrderCase(
                name: c["name"] as! String, dtype: DType(name: c["dtype"] as! String)!, path: directory + "/" + (c["path"] as! String),
                queries: c["queries"] as! [[String: Any]])
        }
    }
}

/// Doubles from the script's hex bit patterns.
func hexDoubles(_ value: Any?) -> [Double] {
    (value as? [String] ?? []).map { Double(bitPattern: UInt64($0.dropFirst(2), radix: 16)!) }
}

/// numpy's equality for results: NaN matches NaN, and -0.0 matches 0.0 (numpy's own selection may return
/// either zero); everything else bit for bit.
func sameResult(_ a: Double, _ b: Double) -> Bool {
    (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern || (a == 0 && b == 0)
}
