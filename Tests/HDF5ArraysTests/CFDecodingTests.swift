import Foundation
import XCTest
@testable import HDF5Arrays
import Multiprocessing
import SharedArrays

/// CF decoding (`scale_factor`, `add_offset`, `_FillValue`, `missing_value`, valid range, netCDF's default fill) on
/// files h5py writes, compared with numpy decoding them as netCDF4-python does (`Tests/Fixtures/make_cf_files.py`),
/// bit for bit, on 1, 2 and 3 workers; the batch and map give the same values; hostile attributes are one error or
/// a note; `decode: false` reads the stored values.
final class CFDecodingTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try H5TestSupport.makeDirectory()
        var fixture = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { fixture.deleteLastPathComponent() }
        try H5TestSupport.python(
            "exec(open('\(fixture.appendingPathComponent("Fixtures/make_cf_files.py").path)').read())", in: directory)
    }

    override func tearDown() {
        H5TestSupport.removeDirectory(directory)
    }

    private var cf: String { directory + "/cf.h5" }
    private var obs: String { directory + "/obs.nc" }

    /// The decoded variables: (file, dataset).
    private var decoded: [(file: String, name: String)] {
        ["packed_i16", "packed_i16_f64", "packed_u8", "mixed", "float_missing", "i32_scale_f32", "unsafe_fill",
         "bad_fill_array", "string_fill"].map { (cf, $0) }
            + ["temperature", "pressure", "flags", "counts", "time"].map { (obs, $0) }
    }

    private func reference() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/cf.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
    }

    /// A reference number: an integer, or a float written by Python's `float.hex()` (exact).
    private func number(_ value: Any?) -> Double? {
        if let text = value as? String { return Double(text) }
        return (value as? NSNumber)?.doubleValue
    }

    private func assertSameBits(_ actual: [Double], _ expected: [Double], _ label: String, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, label, line: line)
        guard actual.count == expected.count else { return }
        let mismatch = actual.indices.first { actual[$0].bitPattern != expected[$0].bitPattern }
        XCTAssertNil(mismatch, "\(label): first mismatch at \(mismatch ?? -1): \(mismatch.map { "\(actual[$0]) vs \(expected[$0])" } ?? "")",
                     line: line)
    }

    func testDecodedTypeFollowsTheCFRulesAndNumpy() throws {
        let meta = try reference()
        for (file, name) in decoded {
            let decoding = try XCTUnwrap(try HDF5.cfDecoding(file: file, dataset: "/" + name), name)
            XCTAssertTrue(decoding.isActive, name)
            XCTAssertEqual(decoding.unpackedDType.rawValue, meta[name]?["dtype"] as? String, "\(name): \(decoding.summary)")
        }
        let packed = try XCTUnwrap(try HDF5.cfDecoding(file: cf, dataset: "/packed_i16"))
        XCTAssertEqual(packed.summary,
                       "int16 -> float32: scale_factor 0.01 (float32), add_offset 20 (float32); masked: _FillValue -32767, valid_range [-3000, 3000]")
        XCTAssertEqual(try HDF5.cfDecoding(file: cf, dataset: "/mixed")?.productDType, .float32)
        XCTAssertEqual(try HDF5.cfDecoding(file: obs, dataset: "/counts")?.rules, ["netCDF default fill -2147483647"])
        // Bytes: netCDF's default fill only while filling is on (HDF5 fill time not "never").
        XCTAssertEqual(try HDF5.cfDecoding(file: obs, dataset: "/flags")?.rules, ["netCDF default fill 255"])
        XCTAssertNil(try HDF5.cfDecoding(file: obs, dataset: "/flags_nofill"), "no default fill with filling off")
        XCTAssertNil(try HDF5.cfDecoding(file: cf, dataset: "/plain_int"), "a units attribute alone decodes nothing")
    }

    func testLoadDecodesAsNumpyOnOneTwoAndThreeWorkers() throws {
        let meta = try reference()
        var first: [String: [Double]] = [:]
        for workers in 1...3 {
            let pool = try WorkerPool(workers: workers)
            defer { pool.shutdown() }
            for (file, name) in decoded {
                let expected = try H5TestSupport.readFloat64(directory + "/\(name).f64")
                let loaded = try SharedArray<Double>.load(hdf5: file, dataset: "/" + name, on: pool).toArray()
                assertSameBits(loaded, expected, "\(name) on \(workers) workers")
                if let earlier = first[name] { assertSameBits(loaded, earlier, "\(name): \(workers) workers vs 1") }
                first[name] = loaded
                if meta[name]?["dtype"] as? String == "float32" {
                    let single = try SharedArray<Float>.load(hdf5: file, dataset: "/" + name, on: pool).toArray()
                    assertSameBits(single.map(Double.init), expected, "\(name) as Float on \(workers) workers")
                }
            }
        }
    }

    func testStatisticsOfTheDecodedValuesSkipMaskedElements() throws {
        let meta = try reference()
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        for (file, name) in decoded {
            let array = try SharedArray<Double>.load(hdf5: file, dataset: "/" + name, on: pool)
            let asked: [Statistic] = [.count, .mean, .std, .min, .max]
            let s = try array.statistics(asked.map { $0.skippingMasked(true) })
            let expected = try XCTUnwrap(meta[name])
            XCTAssertEqual(s[.nancount], number(expected["count"]), name)
            XCTAssertEqual(s[.nanmin], number(expected["min"]), name)
            XCTAssertEqual(s[.nanmax], number(expected["max"]), name)
            let mean = try XCTUnwrap(number(expected["mean"]))
            XCTAssertEqual(try XCTUnwrap(s[.nanmean]), mean, accuracy: Swift.abs(mean) * 1e-12, name)
            let std = try XCTUnwrap(number(expected["std"]))
            XCTAssertEqual(try XCTUnwrap(s[.nanstd]), std, accuracy: std * 1e-9, name)
        }
    }

    func testRawReadsTheStoredValuesAndDecodedValuesNeedAFloatType() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        try H5TestSupport.python("""
            import numpy as np, h5py
            with h5py.File('cf.h5') as f: f['packed_i16'][()].astype('<f8').tofile('raw.f64')
            """, in: directory)
        let raw = try SharedArray<Double>.load(hdf5: cf, dataset: "/packed_i16", decode: false, on: pool).toArray()
        assertSameBits(raw, try H5TestSupport.readFloat64(directory + "/raw.f64"), "raw")
        let ints = try SharedArray<Int32>.load(hdf5: cf, dataset: "/packed_i16", decode: false, on: pool).toArray()
        XCTAssertEqual(ints.map(Double.init), raw)
        XCTAssertThrowsError(try SharedArray<Int32>.load(hdf5: cf, dataset: "/packed_i16", on: pool)) { error in
            XCTAssertTrue("\(error)".contains("CF decoding gives float32 values"), "\(error)")
            XCTAssertTrue("\(error)".contains("decode: false"), "\(error)")
        }
        // Not decoded: stays an integer dataset.
        XCTAssertEqual(try SharedArray<Int32>.load(hdf5: cf, dataset: "/plain_int", on: pool).count, 1000)
    }

    func testHostileAttributesAreOneClearErrorOrAnIgnoredRuleWithANote() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let errors = [
            ("bad_scale_string", "attribute 'scale_factor' is a string, not a number"),
            ("bad_scale_nan", "attribute 'scale_factor' is nan"),
            ("bad_scale_array", "attribute 'scale_factor' holds 2 values"),
            ("bad_offset_inf", "attribute 'add_offset' is inf"),
            ("many_missing", "attribute 'missing_value' holds 2000 values; CF decoding reads at most 1024"),
        ]
        for (name, message) in errors {
            XCTAssertThrowsError(try SharedArray<Double>.load(hdf5: cf, dataset: "/" + name, on: pool), name) { error in
                XCTAssertTrue("\(error)".contains(message), "\(name): \(error)")
                XCTAssertTrue("\(error)".contains("--raw"), "\(name): \(error)")
                XCTAssertTrue("\(error)".contains("/" + name), "\(name): \(error)")
            }
            // The raw values still read.
            XCTAssertEqual(try SharedArray<Double>.load(hdf5: cf, dataset: "/" + name, decode: false, on: pool).count, 100)
        }
        XCTAssertEqual(try HDF5.cfDecoding(file: cf, dataset: "/unsafe_fill")?.notes, ["_FillValue ignored: int16 cannot hold 1e+20"])
        XCTAssertEqual(try HDF5.cfDecoding(file: cf, dataset: "/bad_fill_array")?.notes,
                       ["_FillValue ignored: it holds 2 values, not one", "valid_range ignored: it holds 3 values, not two"])
        XCTAssertEqual(try HDF5.cfDecoding(file: cf, dataset: "/string_fill")?.notes, ["_FillValue ignored: it is a string, not a number"])
    }

    /// The batch (streamed, large datasets split into pieces, and the shared strategy) gives the statistics of the
    /// loaded, decoded array, with masked elements skipped, bit for bit, on 1, 2 and 3 workers.
    func testBatchDecodesAsTheLoadDoesOnOneTwoAndThreeWorkers() throws {
        let meta = try reference()
        let asked: [Statistic] = [.count, .sum, .mean, .var, .min, .max, .argmax]
        var runs: [[String: Statistics]] = []
        for workers in 1...3 {
            let pool = try WorkerPool(workers: workers)
            defer { pool.shutdown() }
            for strategy in [HDF5Batch.Strategy.streaming, .sharedArrays] where strategy == .streaming || workers == 2 {
                var results: [String: Statistics] = [:]
                for input in [cf, obs] {
                    var batch = HDF5Batch(
                        inputs: [input], datasets: decoded.filter { $0.file == input }.map { "/" + $0.name }, statistics: asked)
                    batch.smallDatasetBytes = 1 << 20  // the 1.3 M-element datasets are split into pieces
                    batch.pieceBytes = 2 << 20
                    batch.strategy = strategy
                    let summary = try batch.run(on: pool)
                    XCTAssertTrue(summary.failures.isEmpty, summary.failures.description)
                    for record in summary.results { results[record.file + record.dataset!] = record.statistics! }
                }
                if strategy == .streaming { runs.append(results) }
                for (file, name) in decoded {
                    XCTAssertEqual(results[file + "/" + name]?[.count], number(meta[name]?["count"]), name)
                    guard workers == 2 else { continue }
                    let mapped = asked.map { $0.skippingMasked(true) }
                    let expected = meta[name]?["dtype"] as? String == "float32"
                        ? try SharedArray<Float>.load(hdf5: file, dataset: "/" + name, on: pool).statistics(mapped)
                        : try SharedArray<Double>.load(hdf5: file, dataset: "/" + name, on: pool).statistics(mapped)
                    let values = try XCTUnwrap(results[file + "/" + name]).values
                    XCTAssertEqual(values.map(\.0), asked, name)
                    XCTAssertTrue(zip(values, expected.values).allSatisfy { $0.1 == $1.1 || $0.1?.isNaN == true && $1.1?.isNaN == true },
                                  "\(name) \(strategy): \(values) vs \(expected.values)")
                }
            }
        }
        XCTAssertEqual(runs[0], runs[1])
        XCTAssertEqual(runs[1], runs[2])

        // The summary names the decoded type, and the decoding in stored_type.
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        var batch = HDF5Batch(inputs: [cf], datasets: ["/packed_i16"], statistics: asked)
        let decodedRecord = try XCTUnwrap(try batch.run(on: pool).results.first)
        XCTAssertEqual(decodedRecord.dtype, .float32)
        XCTAssertEqual(decodedRecord.storedType,
                       "int16 little-endian; CF: int16 -> float32: scale_factor 0.01 (float32), add_offset 20 (float32); masked: _FillValue -32767, valid_range [-3000, 3000]")
        // decode = false: the stored values, as before.
        batch.decode = false
        let raw = try batch.run(on: pool)
        let record = try XCTUnwrap(raw.results.first { $0.dataset == "/packed_i16" })
        XCTAssertEqual(record.dtype, .int32)
        XCTAssertEqual(record.statistics?[.count], 1_300_000)
        let stored = try SharedArray<Int32>.load(hdf5: cf, dataset: "/packed_i16", decode: false, on: pool).statistics(asked)
        XCTAssertEqual(record.statistics, stored)
    }

    func testMapWritesTheDecodedValuesTransformed() throws {
        let pool = try WorkerPool(workers: 3)
        defer { pool.shutdown() }
        let out = directory + "/out.h5"
        let result = try HDF5Transform.map(
            UnaryOp(parsing: "negate")!, file: obs, dataset: "/temperature", to: out, dataset: "/negated", on: pool)
        XCTAssertEqual(result.dtype, .float32)
        XCTAssertEqual(result.shape, [20_000, 7])
        let written = try SharedArray<Double>.load(hdf5: out, dataset: "/negated", on: pool).toArray()
        let expected = try H5TestSupport.readFloat64(directory + "/temperature.f64").map { -$0 }
        assertSameBits(written, expected, "negated temperature")
        let raw = try HDF5Transform.map(
            UnaryOp(parsing: "negate")!, file: obs, dataset: "/temperature", to: out, dataset: "/raw", decode: false, on: pool)
        XCTAssertEqual(raw.dtype, .float64)
    }
}
