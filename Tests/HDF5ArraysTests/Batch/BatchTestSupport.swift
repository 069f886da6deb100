import Foundation
import XCTest
import HDF5Arrays
import SharedArrays

/// Fixtures for the batch tests: files written by h5py, reference values computed by numpy.
enum BatchFixtures {
    /// Writes files covering every layout and type (chunked+gzip+shuffle, big-endian ints, float32, compact,
    /// 2-D/3-D, scalar, empty, fill values, NaN) into `directory`, and `ref.json` with numpy's statistics
    /// of each dataset, keyed `file:/dataset`.
    static let layoutsAndTypes = """
        import json, numpy as np, h5py
        rng = np.random.default_rng(17)
        ref = {}
        def stats(a):
            x = np.asarray(a).ravel()
            wide = x.astype('f8') if x.dtype.kind == 'f' else x.astype('i8')
            r = dict(count=int(x.size), sum=float(wide.sum()), nancount=int((~np.isnan(wide.astype('f8'))).sum()))
            with np.errstate(all='ignore'):
                import warnings
                warnings.simplefilter('ignore')
                r['mean'] = float(np.mean(wide)) if x.size else None
                r['std'] = float(np.std(wide, ddof=1)) if x.size else None
                r['nanmean'] = float(np.nanmean(wide)) if x.size else None
                r['min'] = float(np.min(wide)) if x.size else None
                r['max'] = float(np.max(wide)) if x.size else None
                r['argmin'] = int(np.argmin(wide)) if x.size else None
                r['argmax'] = int(np.argmax(wide)) if x.size else None
            return r
        def put(fname, name, data, **kw):
            with h5py.File(fname, 'a') as f:
                f.create_dataset(name, data=data, **kw)
            ref[f'{fname}:/{name}'] = stats(data)
        noisy = rng.normal(10, 3, 5000)
        noisy[[17, 2500, 4999]] = np.nan
        put('a.h5', 'contig_f64', rng.normal(0, 100, 1000))
        put('a.h5', 'gzip_shuffle_nan', noisy, chunks=(512,), compression='gzip', shuffle=True)
        put('a.h5', 'group/f32', rng.normal(5, 2, 3000).astype('<f4'), chunks=(700,), compression='gzip')
        put('b.h5', 'be_i16', rng.integers(-30000, 30000, 4000).astype('>i2'), chunks=(333,), compression='gzip',
            compression_opts=9, shuffle=True)
        put('b.h5', 'be_i32', rng.integers(-2**31, 2**31, 1000).astype('>i4'))
        put('b.h5', 'be_u16', rng.integers(0, 2**16, 1000).astype('>u2'), chunks=(100,))
        put('b.h5', 'i64', rng.integers(-10**15, 10**15, 1000).astype('<i8'))
        put('b.h5', 'be_f64', rng.normal(0, 1, 1000).astype('>f8'), chunks=(128,), fletcher32=True)
        put('c.h5', 'grid2d', rng.normal(0, 1, (53, 17)), chunks=(10, 5), compression='gzip')
        put('c.h5', 'cube3d', rng.normal(0, 1, (7, 5, 6)).astype('>f4'), chunks=(2, 5, 3), shuffle=True,
            compression='gzip')
        put('c.h5', 'scalar', np.float64(2.5))
        put('c.h5', 'empty', np.zeros(0))
        with h5py.File('c.h5', 'a') as f:
            # Compact layout through the low-level API.
            u8 = (np.arange(300) % 251).astype('u1')
            dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            dcpl.set_layout(h5py.h5d.COMPACT)
            h5py.h5d.create(f.id, b'compact_u8', h5py.h5t.STD_U8LE, h5py.h5s.create_simple((300,)), dcpl=dcpl).write(
                h5py.h5s.ALL, h5py.h5s.ALL, u8)
            ref['c.h5:/compact_u8'] = stats(u8)
            # Fill value: chunks never written read as the fill value.
            d = f.create_dataset('sparse', shape=(10000,), dtype='<f8', chunks=(1000,), fillvalue=7.5)
            d[2000:3000] = np.arange(1000.0)
            ref['c.h5:/sparse'] = stats(d[...])
            # The same with gzip + shuffle, and a last chunk that is cut short by the extent.
            d = f.create_dataset('sparse_gzip', shape=(10500,), dtype='<f8', chunks=(1000,), fillvalue=3.25,
                                 compression='gzip', shuffle=True)
            d[2500:4700] = rng.normal(0, 1, 2200)
            d[10200:] = 1.5
            ref['c.h5:/sparse_gzip'] = stats(d[...])
        # Numbers as repr text: exact through any JSON reader.
        as_text = {k: {s: (None if v is None else repr(v)) for s, v in r.items()} for k, r in ref.items()}
        json.dump(as_text, open('ref.json', 'w'))
        """

    /// Writes a file of `n` float64 values `i * 0.5` as `/x` at `path` with our own writer.
    static func writeSeries(_ path: String, count: Int, start: Double = 0, chunkRows: Int? = 256) throws {
        let values = (0..<count).map { start + Double($0) * 0.5 }
        let writer = try HDF5Writer(path: path)
        try writer.createDataset("/x", dtype: .float64, shape: [count], chunkRows: chunkRows, gzipLevel: 1)
        try values.withUnsafeBytes { try writer.writeElements(dataset: "/x", range: 0..<count, from: $0.baseAddress!, dtype: .float64) }
        try writer.close()
    }

    /// `ref.json` as `file:/dataset` -> statistic -> value (nil where numpy has none; numbers are Python's
    /// repr text, so they read back exactly).
    static func readReference(_ path: String) throws -> [String: [String: Double?]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let raw = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        return raw.mapValues { fields in
            fields.mapValues { value -> Double? in
                (value as? String).flatMap { Double($0) }
            }
        }
    }
}

/// Two statistic values are the same answer: equal, both NaN, or both missing (NaN and missing are the
/// same answer after a JSON or HDF5 round trip).
func sameAnswer(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case let (x?, y?): x == y || (x.isNaN && y.isNaN)
    case let (x?, nil), let (nil, x?): x.isNaN
    }
}
