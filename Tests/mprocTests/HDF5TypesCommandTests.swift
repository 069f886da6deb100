import Foundation
import XCTest

/// `mproc stats` and `mproc info` on enum, bool, bitfield, float16 and compound datasets, compared with h5py +
/// numpy; the one-line errors for compound datasets without a field, strings and filters with no plugin.
final class HDF5TypesCommandTests: XCTestCase {
    /// Writes `types.h5` into `directory` (h5py; the zstd dataset only when hdf5plugin is installed).
    private func makeFile(in directory: TemporaryDirectory) throws -> String {
        let script = """
            import numpy as np, h5py
            rng = np.random.default_rng(3)
            n = 1_100_000
            with h5py.File('types.h5', 'w') as f:
                rows = np.zeros(n, dtype=[('time', '<f8'), ('count', '>i4'), ('ok', h5py.enum_dtype({'FALSE': 0, 'TRUE': 1}, basetype='i1')), ('name', 'S3')])
                rows['time'] = rng.normal(5, 2, n); rows['count'] = rng.integers(-1000, 1000, n); rows['ok'] = rng.integers(0, 2, n)
                f.create_dataset('table', data=rows, chunks=(100_000,))
                f.create_dataset('level', data=rng.choice([1, 5, 9], n).astype('i2'), dtype=h5py.enum_dtype({'LOW': 1, 'MID': 5, 'HIGH': 9}, basetype='i2'))
                f.create_dataset('half', data=rng.normal(0, 3, n).astype('<f2'), chunks=(250_000,))
                f.create_dataset('names', data=['a', 'b'], dtype=h5py.string_dtype())
                try:
                    import hdf5plugin
                    f.create_dataset('zstd', data=np.arange(1000.0), chunks=(100,), **hdf5plugin.Zstd())
                except ImportError:
                    pass
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy and h5py is needed to write the file") }
        return directory.file("types.h5")
    }

    func testStatsOfAFieldAnEnumAndFloat16MatchNumpyOnOneTwoAndThreeWorkers() throws {
        let directory = try TemporaryDirectory()
        let file = try makeFile(in: directory)
        let cases: [(spec: String, extra: [String], read: String)] = [
            (file + ":/table", ["--field", "count"], "f['table']['count']"),
            (file + ":/table", ["--field", "time"], "f['table']['time']"),
            (file + ":/table", ["--field", "ok"], "f['table']['ok'].astype('u1')"),
            (file + ":/level", [], "f['level'][...]"),
            (file + ":/half", [], "f['half'][...].astype('f4')"),
        ]
        for (spec, extra, read) in cases {
            guard let expected = try CLI.numpy("""
                import h5py
                f = h5py.File('\(file)')
                a = \(read)
                print(json.dumps(dict(count=a.size, sum=float(a.sum(dtype='f8')), min=float(a.min()), max=float(a.max()))))
                """)
            else { throw XCTSkip("python3 with numpy and h5py is needed for the reference values") }
            var outputs: [String] = []
            for workers in 1...3 {
                let result = try CLI.run(["stats", spec] + extra + ["--ops", "count,sum,min,max,mean", "--json", "--workers", "\(workers)"])
                XCTAssertEqual(result.status, 0, result.stderr)
                let json = try XCTUnwrap(result.json, result.stdout)
                for key in ["count", "min", "max"] { XCTAssertEqual(json[key] as? Double, expected[key], "\(spec) \(extra) \(key)") }
                let sum = try XCTUnwrap(json["sum"] as? Double)
                XCTAssertEqual(sum, expected["sum"]!, accuracy: 1e-9 * max(1, abs(expected["sum"]!)), "\(spec) \(extra)")
                outputs.append("\(json["sum"]!) \(json["mean"]!)")
            }
            XCTAssertEqual(Set(outputs).count, 1, "\(spec) \(extra): not the same bits on 1, 2 and 3 workers: \(outputs)")
        }
    }

    func testInfoListsTheDatasetsAndTheFields() throws {
        let directory = try TemporaryDirectory()
        let file = try makeFile(in: directory)
        let result = try CLI.run(["info", file])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("/level  enum of int16 little-endian  [1100000]  reads as int16") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("/half  float16 little-endian  [1100000]  reads as float32  chunked 250000") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("/table  compound  [1100000]  choose a field") }, result.stdout)
        XCTAssertTrue(lines.contains("    field count  int32 big-endian  reads as int32 with --field count"), result.stdout)
        XCTAssertTrue(lines.contains("    field ok  bool (enum of int8 FALSE=0, TRUE=1)  reads as uint8 with --field ok"), result.stdout)
        XCTAssertTrue(lines.contains("    field name  string (fixed length 3)  not numeric"), result.stdout)
        let json = try CLI.run(["info", file, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let items = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let table = try XCTUnwrap(items.first { $0["path"] as? String == "/table" })
        XCTAssertEqual((table["fields"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["time", "count", "ok", "name"])
    }

    func testErrorsAreOneLineNamingTheProblem() throws {
        let directory = try TemporaryDirectory()
        let file = try makeFile(in: directory)
        var cases: [([String], [String])] = [
            (["stats", file + ":/table"],
             ["/table: dataset is a compound (table) with fields time (float64 little-endian), count (int32 big-endian)",
              "choose a numeric one (time, count, ok) with --field NAME"]),
            (["stats", file + ":/table", "--field", "nope"], ["no field 'nope' in the compound dataset; fields: time (float64"]),
            (["stats", file + ":/table", "--field", "name"], ["field 'name' has type string (fixed length 3), not a number"]),
            (["stats", file + ":/names"], ["/names: dataset has type string (variable length), not a number"]),
            (["stats", file + ":/level", "--field", "x"], ["a field was asked for ('x') but the dataset has type enum of int16"]),
            (["stats", "datasets/sensors.npy", "--field", "x"], ["a .npy file has no fields"]),
        ]
        let hasZstd = (try CLI.run(["info", file])).stdout.contains("/zstd ")
        if hasZstd && !FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins/libh5zstd.so") {
            cases.append((["stats", file + ":/zstd", "--workers", "3"],
                          ["/zstd: compressed with zstd (filter id 32015), which this HDF5 cannot decode",
                           "set HDF5_PLUGIN_PATH to the directory holding it"]))
        }
        for (arguments, parts) in cases {
            let result = try CLI.run(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stdout)")
            let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertFalse(message.contains("\n"), "more than one line: \(message)")
            for part in parts { XCTAssertTrue(message.contains(part), "\(arguments): '\(message)' lacks '\(part)'") }
        }
    }
}
