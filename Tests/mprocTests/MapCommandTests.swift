#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

final class MapCommandTests: XCTestCase {
    func testMapOutputOpensInH5pyWithTheSameNumbersAndItsProvenance() throws {
        let dir = try TemporaryDirectory()
        let out = dir.file("derived.h5")
        let scaled = try CLI.run([
            "map", "datasets/batch/lidar/scan-0002.h5:/backscatter", "--op", "scale:2.5", "--out", out + ":/bs/scaled",
            "--gzip", "4",
        ])
        XCTAssertEqual(scaled.status, 0, scaled.stderr)
        XCTAssertTrue(scaled.stdout.hasPrefix("wrote \(out):/bs/scaled  float32  [200 x 256]  200.0 KiB  = scale:2.5 of"), scaled.stdout)
        let rooted = try CLI.run(["map", "datasets/batch/lidar/scan-0002.h5:/cube", "--op", "sqrt", "--out", out + ":/cube_sqrt"])
        XCTAssertEqual(rooted.status, 0, rooted.stderr)
        guard
            let checks = try CLI.numpy(
                """
                import h5py
                src = h5py.File('datasets/batch/lidar/scan-0002.h5')
                f = h5py.File('\(out)')
                d = f['/bs/scaled']; c = f['/cube_sqrt']
                with np.errstate(invalid='ignore'):
                    want_c = np.sqrt(src['cube'][...].astype('f8'))
                print(json.dumps(dict(
                    bs_equal=int(np.array_equal(d[...], src['backscatter'][...] * np.float32(2.5))),
                    bs_float32=int(d.dtype == np.float32), bs_gzip=int(d.compression == 'gzip'), bs_shuffle=int(d.shuffle),
                    bs_chunked=int(d.chunks is not None),
                    cube_equal=int(np.array_equal(c[...], want_c, equal_nan=True)), cube_shape=int(c.shape == (8, 32, 32)),
                    cube_float64=int(c.dtype == np.float64), cube_plain=int(c.compression is None),
                    attrs=int(dict(c.attrs) == dict(operation='sqrt', source_file='\(CLI.root)/datasets/batch/lidar/scan-0002.h5',
                                                   source_dataset='/cube', tool='mproc', tool_version=c.attrs['tool_version'])),
                    op=int(d.attrs['operation'] == 'scale:2.5'))))
                """)
        else { throw XCTSkip("python3 with numpy and h5py is needed") }
        for (key, value) in checks { XCTAssertEqual(value, 1, key) }
        XCTAssertEqual(checks.count, 11)
    }

    func testNewUfuncNamesMatchNumpy() throws {
        let dir = try TemporaryDirectory()
        let out = dir.file("ufuncs.h5")
        let ops = ["floor", "ceil", "round", "sign", "log1p", "expm1", "sin", "cos", "tanh", "pow:3", "pow:0.5", "power:-1.5"]
        for op in ops {
            let r = try CLI.run(["map", "datasets/batch/lidar/scan-0002.h5:/cube", "--op", op, "--out", out + ":/" + op])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("= \(op) of datasets/batch/lidar/scan-0002.h5:/cube"), r.stdout)
        }
        guard
            let checks = try CLI.numpy(
                """
                import h5py
                x = h5py.File('datasets/batch/lidar/scan-0002.h5')['cube'][...].astype('f8')
                f = h5py.File('\(out)')
                exact = dict(floor=np.floor, ceil=np.ceil, round=np.round, sign=np.sign)
                close = {'log1p': np.log1p, 'expm1': np.expm1, 'sin': np.sin, 'cos': np.cos, 'tanh': np.tanh,
                         'pow:3': lambda v: np.power(v, 3.0), 'pow:0.5': lambda v: np.power(v, 0.5),
                         'power:-1.5': lambda v: np.power(v, -1.5)}
                out = {}
                with np.errstate(all='ignore'):
                    for k, fn in exact.items(): out[k] = int(np.array_equal(f[k][...], fn(x), equal_nan=True))
                    for k, fn in close.items():
                        out[k] = int(np.allclose(f[k][...], fn(x), rtol=1e-15, atol=0, equal_nan=True))
                print(json.dumps(out))
                """)
        else { throw XCTSkip("python3 with numpy and h5py is needed") }
        for (key, value) in checks { XCTAssertEqual(value, 1, key) }
        XCTAssertEqual(checks.count, ops.count)
    }

    func testMapRefusesToReplaceADatasetWithoutForce() throws {
        let dir = try TemporaryDirectory()
        let out = dir.file("out.h5")
        XCTAssertEqual(try CLI.run(["map", "datasets/sensors.h5:/readings/pressure", "--op", "offset:-1000", "--out", out]).status, 0)
        let again = try CLI.run(["map", "datasets/sensors.h5:/readings/pressure", "--op", "sqrt", "--out", out])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("out.h5:/readings/pressure: exists; pass --force to replace it"), again.stderr)
        let forced = try CLI.run(["map", "datasets/sensors.h5:/readings/pressure", "--op", "sqrt", "--out", out, "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.h5"])
    }

    func testFullDiskLeavesTheExistingOutputUntouchedAndNoPartialFile() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("src.h5"), out = dir.file("out.h5")
        XCTAssertEqual(try CLI.run(["gen", source + ":/x", "--count", "200000", "--seed", "3"]).status, 0)
        XCTAssertEqual(try CLI.run(["gen", out + ":/base", "--count", "120000", "--seed", "4"]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        // The 1.6 MB result added to a 1 MB file crosses a 2 MiB file size limit (as a full disk would, but
        // reliably and without root; the limit also bounds the 1.6 MB shared-memory segment, which fits).
        let r = try shell("ulimit -f 2048; exec '\(CLI.executable)' map '\(source):/x' --op square --out '\(out):/x2'")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("Error: \(out):/x2: "), r.stderr)
        XCTAssertTrue(r.stderr.contains("failed: File too large"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), before, "the existing output is untouched")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["out.h5", "src.h5"])

        // A real full file system, where one can be mounted (root): ENOSPC, and no file at all.
        let small = dir.file("small")
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        guard (try? shell("mount -t tmpfs -o size=512k tmpfs '\(small)'"))?.status == 0 else { return }
        defer { _ = try? shell("umount '\(small)'") }
        let full = try CLI.run(["map", source + ":/x", "--op", "sqrt", "--out", small + "/o.h5"])
        XCTAssertEqual(full.status, 1)
        XCTAssertTrue(full.stderr.hasPrefix("Error: \(small)/o.h5:/x: "), full.stderr)
        XCTAssertTrue(full.stderr.contains("failed: No space left on device"), full.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: small), [])
    }

    func testBadInputsGiveOneClearLine() throws {
        let dir = try TemporaryDirectory()
        _ = FileManager.default.createFile(atPath: dir.file("text.h5"), contents: Data("not hdf5".utf8))
        let locked = try unwritableDirectory(in: dir)
        defer { _ = try? shell("umount '\(locked)' 2>/dev/null; chmod 755 '\(locked)'") }
        let cases: [([String], String)] = [
            (["map", "datasets/batch/stations/aws-01.h5:/meta/name", "--op", "sqrt", "--out", dir.file("o.h5")],
             "aws-01.h5:/meta/name: dataset has type string (variable length), not a number"),
            (["map", "datasets/batch/events/events.h5:/events", "--op", "sqrt", "--out", dir.file("o.h5")], "compound"),
            (["map", "datasets/sensors.h5:/nope", "--op", "sqrt", "--out", dir.file("o.h5")], "sensors.h5:/nope: no such dataset"),
            (["map", dir.file("text.h5") + ":/x", "--op", "sqrt", "--out", dir.file("o.h5")], "not an HDF5 file"),
            (["map", "datasets/batch/stations/aws-05.h5:/readings/pressure", "--op", "sqrt", "--out", dir.file("o.h5")], "truncated"),
            (["map", "datasets/sensors.h5:/readings/pressure", "--op", "sqrt", "--out", locked + "/o.h5"], "cannot write to \(locked)"),
            (["map", "datasets/sensors.h5:/readings/pressure", "--op", "cube", "--out", dir.file("o.h5")], "unknown operation 'cube'"),
        ]
        for (arguments, expected) in cases {
            let r = try CLI.run(arguments)
            XCTAssertNotEqual(r.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(expected), "\(arguments.joined(separator: " ")): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, r.status == 64 ? r.stderr.split(separator: "\n").count : 1,
                           r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("o.h5")))
    }
}
