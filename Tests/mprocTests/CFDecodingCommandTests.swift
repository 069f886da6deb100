import Foundation
import XCTest

/// `mproc stats`, `batch` and `map` decode CF attributes by default and `--raw` reads the stored values, on a
/// netCDF-4-style file with dimension scales and string attributes (`Tests/Fixtures/make_cf_files.py`, h5py), compared
/// with numpy decoding it as netCDF4-python does.
final class CFDecodingCommandTests: XCTestCase {
    private func makeFiles() throws -> (TemporaryDirectory, [String: [String: Any]]) {
        let directory = try TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", CLI.root + "/Tests/Fixtures/make_cf_files.py"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy and h5py is needed to write the files") }
        let data = try Data(contentsOf: URL(fileURLWithPath: directory.file("cf.json")))
        return (directory, try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: Any]]))
    }

    /// A number from JSON: an integer, or a float written by Python's `float.hex()` (exact).
    private func number(_ value: Any?) -> Double? {
        if let text = value as? String { return Double(text) }
        return (value as? NSNumber)?.doubleValue
    }

    /// `a == b` up to the last digits JSONSerialization can lose reading a decimal.
    private func assertClose(_ a: Double?, _ b: Double?, _ label: String, line: UInt = #line) {
        guard let a, let b else { return XCTFail("\(label): \(String(describing: a)) vs \(String(describing: b))", line: line) }
        XCTAssertEqual(a, b, accuracy: Swift.abs(b) * 1e-14, label, line: line)
    }

    func testStatsOfANetCDFVariableCountsValidElementsAndMatchesNumpyOnOneTwoAndThreeWorkers() throws {
        let (directory, meta) = try makeFiles()
        for variable in ["temperature", "pressure", "counts"] {
            let expected = try XCTUnwrap(meta[variable])
            var outputs: [[String: Double]] = []
            for workers in 1...3 {
                let result = try CLI.run(["stats", directory.file("obs.nc") + ":/" + variable, "--ops", "count,mean,std,min,max,median",
                                          "--json", "--workers", "\(workers)"])
                XCTAssertEqual(result.status, 0, result.stderr)
                let json = try XCTUnwrap(result.json, result.stdout)
                XCTAssertEqual(json["dtype"] as? String, expected["dtype"] as? String, variable)
                XCTAssertTrue((json["decoding"] as? String)?.contains("statistics skip masked values") == true, "\(json)")
                XCTAssertEqual(number(json["count"]), number(expected["count"]), variable)
                assertClose(number(json["min"]), number(expected["min"]), variable)
                assertClose(number(json["max"]), number(expected["max"]), variable)
                let mean = try XCTUnwrap(number(expected["mean"]))
                XCTAssertEqual(try XCTUnwrap(number(json["mean"])), mean, accuracy: Swift.abs(mean) * 1e-12, variable)
                outputs.append(["count", "mean", "std", "min", "max", "median"].reduce(into: [:]) { $0[$1] = number(json[$1]) })
            }
            XCTAssertEqual(outputs[0], outputs[1], variable)
            XCTAssertEqual(outputs[1], outputs[2], variable)
        }
    }

    func testRawReadsTheStoredValuesAsBefore() throws {
        let (directory, _) = try makeFiles()
        let raw = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory.file("raw_obs.nc.json")))) as? [String: [String: Any]])
        let result = try CLI.run(["stats", directory.file("obs.nc") + ":/temperature", "--raw", "--json", "--ops", "count,mean"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(result.json, result.stdout)
        XCTAssertEqual(json["dtype"] as? String, "int32")
        XCTAssertNil(json["decoding"])
        XCTAssertEqual(number(json["count"]), 140_000)
        let mean = try XCTUnwrap(number(raw["temperature"]?["mean"]))
        XCTAssertEqual(try XCTUnwrap(number(json["mean"])), mean, accuracy: Swift.abs(mean) * 1e-12)
        let table = try CLI.run(["stats", directory.file("obs.nc") + ":/temperature"])
        XCTAssertTrue(table.stdout.contains("CF-decoded: int16 -> float32: scale_factor"), table.stdout)
    }

    func testInfoShowsHowEachDatasetDecodes() throws {
        let (directory, _) = try makeFiles()
        let text = try CLI.run(["info", directory.file("cf.h5")])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains(
            "/packed_u8  uint8  [777777]  reads as uint8  chunked 65536\n    CF: uint8 -> float32: scale_factor 0.5 (float32), "
                + "add_offset -10 (float32); masked: _FillValue 255, valid_min 10, valid_max 250 (--raw reads the stored values)\n"),
                      text.stdout)
        XCTAssertTrue(text.stdout.contains("    CF: cannot decode: attribute 'scale_factor' is nan;"), text.stdout)
        XCTAssertTrue(text.stdout.contains("/plain_int  int32 little-endian  [1000]  reads as int32  contiguous\n/"), text.stdout)
        let json = try CLI.run(["info", directory.file("obs.nc"), "--json"])
        let items = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]], json.stdout)
        XCTAssertEqual(items.first { $0["path"] as? String == "/counts" }?["cf_decoding"] as? String,
                       "int32 -> float64; masked: netCDF default fill -2147483647")
        XCTAssertTrue(items.first { $0["path"] as? String == "/flags_nofill" }?["cf_decoding"] is NSNull)
    }

    func testHostileAttributesAreOneLineOrANote() throws {
        let (directory, _) = try makeFiles()
        let bad = try CLI.run(["stats", directory.file("cf.h5") + ":/bad_scale_string"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("attribute 'scale_factor' is a string, not a number"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--raw"), bad.stderr)
        XCTAssertEqual(try CLI.run(["stats", directory.file("cf.h5") + ":/bad_scale_string", "--raw"]).status, 0)
        let noted = try CLI.run(["stats", directory.file("cf.h5") + ":/unsafe_fill", "--json"])
        XCTAssertEqual(noted.status, 0, noted.stderr)
        XCTAssertTrue(noted.stderr.contains("note: "), noted.stderr)
        XCTAssertTrue(noted.stderr.contains("_FillValue ignored: int16 cannot hold 1e+20"), noted.stderr)
    }

    func testBatchAndMapDecodeByDefaultAndRawTurnsItOff() throws {
        let (directory, meta) = try makeFiles()
        func records(_ extra: [String]) throws -> [[String: Any]] {
            let result = try CLI.run(["batch", directory.file("obs.nc"), "--dataset", "/temperature", "--dataset", "/flags",
                                      "--ops", "count,mean,max", "--format", "json"] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            let json = try XCTUnwrap(result.json, result.stdout)
            return try XCTUnwrap(json["records"] as? [[String: Any]])
        }
        let decoded = try records([])
        let temperature = try XCTUnwrap(decoded.first { $0["dataset"] as? String == "/temperature" })
        XCTAssertEqual(temperature["dtype"] as? String, "float32")
        XCTAssertEqual(number(temperature["count"]), number(meta["temperature"]?["count"]))
        assertClose(number(temperature["max"]), number(meta["temperature"]?["max"]), "max")
        let flags = try XCTUnwrap(decoded.first { $0["dataset"] as? String == "/flags" })
        XCTAssertEqual(number(flags["count"]), number(meta["flags"]?["count"]))
        let raw = try records(["--raw"])
        XCTAssertEqual(raw.first { $0["dataset"] as? String == "/temperature" }?["dtype"] as? String, "int32")
        XCTAssertEqual(number(raw.first { $0["dataset"] as? String == "/temperature" }?["count"]), 140_000)

        // Every dataset of the netCDF-4 file: the dimension without a variable is skipped, the coordinates are data.
        let all = try CLI.run(["batch", directory.file("obs.nc"), "--ops", "count", "--format", "json"])
        XCTAssertEqual(all.status, 0, all.stderr)
        let every = try XCTUnwrap(all.json?["records"] as? [[String: Any]], all.stdout)
        let bnds = try XCTUnwrap(every.first { $0["dataset"] as? String == "/bnds" })
        XCTAssertEqual(bnds["status"] as? String, "skipped")
        XCTAssertEqual(bnds["message"] as? String, "a netCDF dimension without a variable: it holds no data")
        XCTAssertEqual(Set(every.filter { $0["status"] as? String == "ok" }.compactMap { $0["dataset"] as? String }),
                       ["/counts", "/flags", "/flags_nofill", "/pressure", "/station", "/temperature", "/time"])

        let map = try CLI.run(["map", directory.file("obs.nc") + ":/temperature", "--op", "abs", "--out", directory.file("out.h5") + ":/abs"])
        XCTAssertEqual(map.status, 0, map.stderr)
        XCTAssertTrue(map.stdout.contains("float32  [20000 x 7]"), map.stdout)
        let mapped = try CLI.run(["stats", directory.file("out.h5") + ":/abs", "--json", "--ops", "nancount,nanmax"])
        XCTAssertEqual(number(mapped.json?["nancount"]), number(meta["temperature"]?["count"]), mapped.stdout)
        let rawMap = try CLI.run(["map", directory.file("obs.nc") + ":/temperature", "--op", "abs", "--raw",
                                  "--out", directory.file("out.h5") + ":/raw_abs"])
        XCTAssertEqual(rawMap.status, 0, rawMap.stderr)
        XCTAssertTrue(rawMap.stdout.contains("float64  [20000 x 7]"), rawMap.stdout)
    }
}
