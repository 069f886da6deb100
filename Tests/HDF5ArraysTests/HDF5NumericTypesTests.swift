import Foundation
import XCTest
@testable import HDF5Arrays
import Multiprocessing
import SharedArrays

/// Enum, bool, bitfield, float16 and compound-field datasets read as h5py reads them, compared with the values
/// h5py returns, on 1, 2 and 3 workers; strings, vlen and references refused in one line.
final class HDF5NumericTypesTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try H5TestSupport.makeDirectory()
    }

    override func tearDown() {
        H5TestSupport.removeDirectory(directory)
    }

    private var file: String { directory + "/types.h5" }

    /// `types.h5`, and for each numeric dataset (or `dataset.field`) the values h5py reads as raw float64
    /// (`NAME.f64`) and int64 (`NAME.i64`). The big ones (1.3 M elements, chunked) split into three load
    /// chunks, so every worker reads its own part.
    private static let fixture = """
        import numpy as np, h5py
        rng = np.random.default_rng(5)
        n = 1_300_000
        def save(name, values):
            np.asarray(values).astype('<f8').tofile(name + '.f64')
            if np.asarray(values).dtype.kind != 'f': np.asarray(values).astype('<i8').tofile(name + '.i64')
        with h5py.File('types.h5', 'w') as f:
            colors = h5py.enum_dtype({'RED': -3, 'GREEN': 7, 'BLUE': 30000}, basetype='<i2')
            f.create_dataset('enum16', data=rng.choice([-3, 7, 30000], n).astype('<i2'), dtype=colors,
                             chunks=(100_000,), compression='gzip')
            levels = h5py.enum_dtype({'LOW': 0, 'HIGH': 255}, basetype='u1')
            f.create_dataset('enum_u8', data=rng.choice([0, 255], 1000).astype('u1'), dtype=levels)
            wide = h5py.enum_dtype({'A': -2**40, 'B': 2**40}, basetype='>i8')
            f.create_dataset('enum_i64_be', data=rng.choice([-2**40, 2**40], 999).astype('>i8'), dtype=wide)
            f.create_dataset('bools', data=rng.integers(0, 2, n).astype(bool), chunks=(65_536,))
            f.create_dataset('f16', data=np.concatenate([rng.normal(0, 100, n - 4), [np.inf, -np.inf, 65504, 6e-8]]).astype('<f2'),
                             chunks=(200_000,))
            def bitfield(name, ftype, values, shape, chunks=None):
                dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                if chunks: dcpl.set_chunk(chunks)
                space = h5py.h5s.create_simple(shape)
                d = h5py.h5d.create(f.id, name.encode(), ftype, space, dcpl=dcpl)
                native = {1: h5py.h5t.NATIVE_B8, 2: h5py.h5t.NATIVE_B16, 4: h5py.h5t.NATIVE_B32, 8: h5py.h5t.NATIVE_B64}
                d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.ascontiguousarray(values.reshape(shape)), mtype=native[values.itemsize])
            bitfield('bits8', h5py.h5t.STD_B8LE, rng.integers(0, 256, 777).astype('u1'), (777,))
            bitfield('bits16_be', h5py.h5t.STD_B16BE, rng.integers(0, 2**16, 53 * 17).astype('u2'), (53, 17), (10, 17))
            bitfield('bits32', h5py.h5t.STD_B32LE, rng.integers(0, 2**32, n).astype('u4'), (n,), (100_000,))
            bitfield('bits64', h5py.h5t.STD_B64LE, rng.integers(0, 2**62, 1001).astype('u8'), (1001,))
            rows = np.zeros(n, dtype=[('x', '<f8'), ('count', '>i4'), ('flag', h5py.enum_dtype({'FALSE': 0, 'TRUE': 1}, basetype='i1')),
                                      ('small', 'u2'), ('label', 'S4')])
            rows['x'] = rng.normal(0, 1, n); rows['x'][7] = np.nan
            rows['count'] = rng.integers(-10**9, 10**9, n)
            rows['flag'] = rng.integers(0, 2, n)
            rows['small'] = rng.integers(0, 2**16, n)
            rows['label'] = b'ab'
            f.create_dataset('table', data=rows, chunks=(50_000,), compression='gzip', shuffle=True)
            f.create_dataset('strings', data=['alpha', 'beta'], dtype=h5py.string_dtype())
            f.create_dataset('fixed_strings', data=np.array([b'ab', b'cd'], dtype='S4'))
            f.create_dataset('ragged', (3,), dtype=h5py.vlen_dtype(np.int32))
            f.create_dataset('refs', (2,), dtype=h5py.ref_dtype)
        with h5py.File('types.h5', 'r') as f:
            for name in ['enum16', 'enum_u8', 'enum_i64_be', 'bools', 'f16', 'bits8', 'bits16_be', 'bits32', 'bits64']:
                save(name, f[name][()].ravel())
            for field in ['x', 'count', 'flag', 'small']:
                save('table.' + field, f['table'][field])
        """

    private func makeFixture() throws {
        try H5TestSupport.python(Self.fixture, in: directory)
    }

    private func expectedFloat64(_ name: String) throws -> [Double] {
        try H5TestSupport.readFloat64(directory + "/" + name + ".f64")
    }

    private func expectedInt64(_ name: String) throws -> [Int64] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name + ".i64"))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 8)).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        }
    }

    private func assertSameBits(_ actual: [Double], _ expected: [Double], _ label: String, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, label, line: line)
        guard actual.count == expected.count else { return }
        let mismatch = actual.indices.first { actual[$0].bitPattern != expected[$0].bitPattern }
        XCTAssertNil(mismatch, "\(label): first mismatch at \(mismatch ?? -1)", line: line)
    }

    func testInfoDescribesEachTypeAndTheCompoundFields() throws {
        try makeFixture()
        let expected: [(String, DType, String)] = [
            ("/enum16", .int16, "enum of int16 little-endian"), ("/enum_u8", .uint8, "enum of uint8"),
            ("/enum_i64_be", .int64, "enum of int64 big-endian"),
            ("/bools", .uint8, "bool (enum of int8 FALSE=0, TRUE=1)"), ("/f16", .float32, "float16 little-endian"),
            ("/bits8", .uint8, "bitfield8"), ("/bits16_be", .int32, "bitfield16 big-endian"),
            ("/bits32", .int64, "bitfield32 little-endian"), ("/bits64", .int64, "bitfield64 little-endian"),
        ]
        for (name, dtype, description) in expected {
            let info = try HDF5.datasetInfo(file: file, dataset: name)
            XCTAssertEqual(info.dtype, dtype, name)
            XCTAssertEqual(info.typeDescription, description, name)
            XCTAssertTrue(info.fields.isEmpty, name)
        }
        let table = try HDF5.datasetInfo(file: file, dataset: "/table")
        XCTAssertNil(table.dtype)
        XCTAssertEqual(table.fields.map(\.name), ["x", "count", "flag", "small", "label"])
        XCTAssertEqual(table.fields.map(\.dtype), [.float64, .int32, .uint8, .int32, nil])
        XCTAssertEqual(table.fields[1].typeDescription, "int32 big-endian")
        let count = try table.selecting(field: "count", file: file)
        XCTAssertEqual(count.dtype, .int32)
        XCTAssertEqual(count.field, "count")
        XCTAssertEqual(count.shape, [1_300_000])
        // The listing carries the fields too.
        let listed = try HDF5.listDatasets(file: file).first { $0.path == "/table" }
        XCTAssertEqual(listed?.fields, table.fields)
    }

    func testDescriptionsRoundTripAndOlderOnesWithoutFieldsDecode() throws {
        let table = HDF5DatasetInfo(
            path: "/t", shape: [3], dtype: nil, typeDescription: "compound", layout: .chunked, chunkShape: [2],
            filters: ["blosc"], fields: [.init(name: "a", typeDescription: "float64 little-endian", dtype: .float64)])
        let selected = try table.selecting(field: "a", file: "f.h5")
        for info in [table, selected] {
            XCTAssertEqual(try JSONDecoder().decode(HDF5DatasetInfo.self, from: JSONEncoder().encode(info)), info)
        }
        let older = #"{"path":"/x","shape":[2],"dtype":"float64","typeDescription":"float64 little-endian","layout":"contiguous","filters":[]}"#
        let decoded = try JSONDecoder().decode(HDF5DatasetInfo.self, from: Data(older.utf8))
        XCTAssertEqual(decoded.fields, [])
        XCTAssertNil(decoded.field)
        XCTAssertEqual(decoded.dtype, .float64)
    }

    func testLoadsEveryTypeAndFieldAsH5pyReadsThemOnOneTwoAndThreeWorkers() throws {
        try makeFixture()
        let cases: [(dataset: String, field: String?, reference: String)] = [
            ("/enum16", nil, "enum16"), ("/enum_u8", nil, "enum_u8"), ("/enum_i64_be", nil, "enum_i64_be"),
            ("/bools", nil, "bools"), ("/f16", nil, "f16"), ("/bits8", nil, "bits8"), ("/bits16_be", nil, "bits16_be"),
            ("/bits32", nil, "bits32"), ("/bits64", nil, "bits64"), ("/table", "x", "table.x"),
            ("/table", "count", "table.count"), ("/table", "flag", "table.flag"), ("/table", "small", "table.small"),
        ]
        let big: Set = ["enum16", "bools", "f16", "bits32", "table.x", "table.count", "table.flag", "table.small"]
        var doubles: [String: [Double]] = [:], integers: [String: [Int64]] = [:]
        for (_, _, reference) in cases {
            doubles[reference] = try expectedFloat64(reference)
            // Int64 where float64 could round (64-bit values) or the path differs (a bitfield widens in place).
            if ["enum_i64_be", "bits64", "bits32", "table.count"].contains(reference) {
                integers[reference] = try expectedInt64(reference)
            }
        }
        for workers in 1...3 {
            let pool = try WorkerPool(workers: workers)
            defer { pool.shutdown() }
            // The small datasets are one load chunk: one worker count is enough for them.
            for (dataset, field, reference) in cases where workers == 2 || big.contains(reference) {
                let label = "\(dataset) \(field ?? "") on \(workers) workers"
                let loaded = try SharedArray<Double>.load(hdf5: file, dataset: dataset, field: field, on: pool)
                assertSameBits(loaded.toArray(), doubles[reference] ?? [], label)
                if let expected = integers[reference] {
                    let loaded = try SharedArray<Int64>.load(hdf5: file, dataset: dataset, field: field, on: pool)
                    XCTAssertTrue(loaded.toArray() == expected, label)
                }
            }
        }
    }

    /// The batch's own read path (streamed, large datasets split into pieces) gives the loaded array's bits.
    func testBatchReadsTheTypesAsTheLoadDoesOnOneTwoAndThreeWorkers() throws {
        try makeFixture()
        let statistics: [Statistic] = [.sum, .mean, .var, .min, .max, .argmax]
        var batch = HDF5Batch(inputs: [file], datasets: ["/**"], statistics: statistics)
        batch.smallDatasetBytes = 1 << 20  // the 1.3 M-element datasets are split into pieces
        batch.pieceBytes = 2 << 20
        var runs: [[String: Statistics]] = []
        for workers in 1...3 {
            let pool = try WorkerPool(workers: workers)
            defer { pool.shutdown() }
            let summary = try batch.run(on: pool)
            XCTAssertTrue(summary.failures.isEmpty, summary.failures.description)
            XCTAssertEqual(Set(summary.records.filter { $0.status == .skipped }.compactMap(\.dataset)),
                           ["/table", "/strings", "/fixed_strings", "/ragged", "/refs"])
            runs.append(Dictionary(uniqueKeysWithValues: summary.results.map { ($0.dataset!, $0.statistics!) }))
            if workers == 2 {
                let loaded: [(String, Statistics)] = [
                    ("/enum16", try SharedArray<Int32>.load(hdf5: file, dataset: "/enum16", on: pool).statistics(statistics)),
                    ("/bools", try SharedArray<Int32>.load(hdf5: file, dataset: "/bools", on: pool).statistics(statistics)),
                    ("/f16", try SharedArray<Float>.load(hdf5: file, dataset: "/f16", on: pool).statistics(statistics)),
                    ("/bits32", try SharedArray<Int64>.load(hdf5: file, dataset: "/bits32", on: pool).statistics(statistics)),
                    ("/bits16_be", try SharedArray<Int32>.load(hdf5: file, dataset: "/bits16_be", on: pool).statistics(statistics)),
                ]
                for (name, expected) in loaded { XCTAssertEqual(runs.last?[name], expected, name) }
            }
        }
        XCTAssertEqual(runs[0], runs[1])
        XCTAssertEqual(runs[1], runs[2])
    }

    func testRangeReadsSplitAcrossRowsWidenBitfieldsInPlace() throws {
        try makeFixture()
        let expected = try expectedInt64("bits16_be")
        let reader = try HDF5DatasetReader(file: file, dataset: "/bits16_be")
        defer { reader.close() }
        for range in [0..<901, 5..<900, 16..<18, 33..<35, 100..<101] {
            var values = [Int32](repeating: -1, count: range.count)
            try values.withUnsafeMutableBytes { try reader.readElements(range: range, into: $0.baseAddress!, as: .int32) }
            XCTAssertEqual(values.map(Int64.init), Array(expected[range]), "\(range)")
            var doubles = [Double](repeating: -1, count: range.count)
            try doubles.withUnsafeMutableBytes { try reader.readElements(range: range, into: $0.baseAddress!, as: .float64) }
            XCTAssertEqual(doubles, expected[range].map(Double.init), "\(range)")
        }
        let fieldReader = try HDF5DatasetReader(file: file, dataset: "/table", field: "small")
        defer { fieldReader.close() }
        var small = [Int32](repeating: -1, count: 1000)
        try small.withUnsafeMutableBytes { try fieldReader.readElements(range: 49_500..<50_500, into: $0.baseAddress!, as: .int32) }
        XCTAssertEqual(small.map(Int64.init), Array(try expectedInt64("table.small")[49_500..<50_500]))
    }

    func testCompoundErrorsListTheFields() throws {
        try makeFixture()
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let cases: [(String, String?, ArrayIOError.Kind, [String])] = [
            ("/table", nil, .unsupportedType,
             ["/table: dataset is a compound (table) with fields x (float64 little-endian), count (int32 big-endian)",
              "label (string (fixed length 4))", "choose a numeric one (x, count, flag, small) with --field NAME"]),
            ("/table", "nope", .invalidArgument, ["no field 'nope' in the compound dataset; fields: x (float64", "small (uint16"]),
            ("/table", "label", .unsupportedType, ["field 'label' has type string (fixed length 4), not a number; numeric fields: x, count, flag, small"]),
            ("/bits8", "x", .invalidArgument, ["a field was asked for ('x') but the dataset has type bitfield8, not compound"]),
        ]
        for (dataset, field, kind, parts) in cases {
            XCTAssertThrowsError(try SharedArray<Double>.load(hdf5: file, dataset: dataset, field: field, on: pool)) { error in
                guard let error = error as? ArrayIOError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.kind, kind, "\(error)")
                for part in parts { XCTAssertTrue(error.description.contains(part), "'\(error)' lacks '\(part)'") }
            }
        }
    }

    func testStringsVlenAndReferencesAreRefusedInOneLineNamingTheType() throws {
        try makeFixture()
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let cases = [("/strings", "string (variable length)"), ("/fixed_strings", "string (fixed length 4)"),
                     ("/ragged", "vlen (variable-length sequence)"), ("/refs", "reference")]
        for (dataset, type) in cases {
            XCTAssertThrowsError(try SharedArray<Double>.load(hdf5: file, dataset: dataset, on: pool)) { error in
                guard let error = error as? ArrayIOError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.kind, .unsupportedType)
                XCTAssertTrue(error.description.hasPrefix("\(self.file):\(dataset): dataset has type \(type), not a number"),
                              "\(error)")
                XCTAssertFalse(error.description.contains("\n"))
            }
        }
    }
}
