import Foundation
import XCTest

/// `mproc stats --memory-limit` streams a dataset larger than the limit and prints the same numbers as the
/// in-memory run; what streaming cannot do is one clear line.
final class StreamingCommandTests: XCTestCase {
    private static let ops = "count,sum,mean,var,std,min,max,argmin,argmax,norm,nancount,nansum,nanmean,nanvar,nanstd,nanmin,nanmax,nanargmin,nanargmax"

    private func makeFiles(_ directory: TemporaryDirectory) throws {
        let script = """
            import numpy as np, h5py
            rng = np.random.default_rng(9)
            x = rng.normal(5, 2, 500_003); x[[2, 400_000]] = np.nan
            with h5py.File('s.h5', 'w') as f:
                f.create_dataset('gzip', data=x, chunks=(9_999,), compression='gzip', shuffle=True)
                f.create_dataset('contig_i2', data=rng.integers(-9, 9, 700_001).astype('<i2'))
                f.create_dataset('table', data=rng.normal(0, 1, (2_000, 100)))
            np.save('be.npy', x.astype('>f8'))
            np.save('le.npy', x)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy and h5py is needed to write the files") }
    }

    private func statistics(_ arguments: [String]) throws -> [String: String] {
        let result = try CLI.run(["stats"] + arguments + ["--ops", Self.ops, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(result.json, result.stdout)
        var values: [String: String] = [:]
        for key in Self.ops.split(separator: ",") { values[String(key)] = "\(json[String(key)] ?? "missing")" }
        return values
    }

    func testStreamedStatsPrintTheInMemoryNumbers() throws {
        let directory = try TemporaryDirectory()
        try makeFiles(directory)
        for input in ["s.h5:/gzip", "s.h5:/contig_i2", "be.npy"] {
            let path = directory.file(input)
            let inMemory = try statistics([path, "--workers", "2"])
            for (limit, workers) in [("1M", "1"), ("1M", "2"), ("3M", "3")] {
                XCTAssertEqual(try statistics([path, "--workers", workers, "--memory-limit", limit]), inMemory, "\(input) \(limit) \(workers)")
            }
        }
        let table = try CLI.run(["stats", directory.file("s.h5:/gzip"), "--memory-limit", "1M"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("streamed in 8 windows"), table.stdout)
        XCTAssertEqual(try XCTUnwrap(try CLI.run(["stats", directory.file("be.npy"), "--memory-limit", "1M", "--json"]).json)["streamed_windows"] as? Int, 8)
        XCTAssertNil(try XCTUnwrap(try CLI.run(["stats", directory.file("be.npy"), "--json"]).json)["streamed_windows"])
        // A native-order .npy is mapped, not copied: it needs no memory of its own and is never streamed.
        XCTAssertEqual(try statistics([directory.file("le.npy"), "--memory-limit", "1M"]), try statistics([directory.file("be.npy")]))
        XCTAssertEqual(packageSegments(), [])
    }

    func testWhatNeedsTheArrayInMemoryIsOneClearLine() throws {
        let directory = try TemporaryDirectory()
        try makeFiles(directory)
        let cases: [([String], String)] = [
            (["s.h5:/table", "--axis", "0"], "--axis 0 needs the array in memory"),
            (["s.h5:/gzip", "--ops", "median"], "order statistics"),
            (["s.h5:/gzip", "--where", "x > 1"], "--where"),
            (["s.h5:/gzip", "--memory-limit", "100K"], "too small"),
        ]
        for (arguments, expected) in cases {
            var full = arguments
            full[0] = directory.file(full[0])
            if !full.contains("--memory-limit") { full += ["--memory-limit", "1M"] }
            let result = try CLI.run(["stats"] + full)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
        let bad = try CLI.run(["stats", directory.file("le.npy"), "--memory-limit", "lots"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--memory-limit"), bad.stderr)
    }

    func testStreamedMapWritesTheInMemoryValues() throws {
        let directory = try TemporaryDirectory()
        try makeFiles(directory)
        for (input, op) in [("s.h5:/gzip", "sqrt"), ("s.h5:/contig_i2", "scale:0.5"), ("s.h5:/table", "exp")] {
            let whole = try CLI.run(["map", directory.file(input), "--op", op, "--out", directory.file("whole.h5:/y"), "--force", "--gzip", "1"])
            XCTAssertEqual(whole.status, 0, whole.stderr)
            for workers in ["1", "3"] {
                let streamed = try CLI.run([
                    "map", directory.file(input), "--op", op, "--out", directory.file("streamed.h5:/y"), "--force", "--gzip", "1",
                    "--memory-limit", "1M", "--workers", workers,
                ])
                XCTAssertEqual(streamed.status, 0, streamed.stderr)
                let same = try CLI.numpy("""
                    import h5py
                    a = h5py.File('\(directory.file("whole.h5"))')['/y']
                    b = h5py.File('\(directory.file("streamed.h5"))')['/y']
                    same = a.shape == b.shape and a.dtype == b.dtype and a.chunks == b.chunks and a[...].tobytes() == b[...].tobytes()
                    print(json.dumps(dict(same=int(same), attrs=int(sorted(a.attrs.keys()) == sorted(b.attrs.keys())))))
                    """)
                XCTAssertEqual(same?["same"], 1, "\(input) \(op) \(workers) workers")
                XCTAssertEqual(same?["attrs"], 1)
            }
        }
        XCTAssertEqual(packageSegments(), [])
    }
}
