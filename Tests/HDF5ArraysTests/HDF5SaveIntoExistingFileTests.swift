import Foundation
import XCTest
@testable import HDF5Arrays
import Multiprocessing
import SharedArrays
import TestSupport

/// `save(hdf5:)` and `HDF5Transform.map` into a file h5py wrote: every other object stays exactly as it was
/// (checked by h5py), an existing dataset is replaced only when asked, and only that one.
final class HDF5SaveIntoExistingFileTests: XCTestCase {
    private var directory = ""
    private var pool: WorkerPool!

    override func setUpWithError() throws {
        try H5TestSupport.require()
        directory = try H5TestSupport.makeDirectory()
        pool = try WorkerPool(workers: 2)
        try H5TestSupport.python(Self.makeBase, in: directory)
    }

    override func tearDown() {
        pool?.shutdown()
        H5TestSupport.removeDirectory(directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    /// A file with chunked + gzip data, nested groups, attributes on the root, groups and datasets, an empty
    /// group, a scalar, a soft link, a second hard link to one dataset and an object reference to it.
    static let makeBase = """
        import h5py, numpy as np
        with h5py.File('base.h5', 'w') as f:
            f.attrs['title'] = 'station 7'
            f.attrs['version'] = np.int32(3)
            a = f.create_dataset('a', data=np.linspace(-1, 1, 5000), chunks=(512,), compression='gzip', shuffle=True)
            a.attrs['units'] = 'K'
            a.attrs['scale'] = 2.5
            g = f.create_group('g')
            g.attrs['note'] = 'nested'
            g.create_dataset('b', data=np.arange(60, dtype='<i4').reshape(12, 5))
            f.create_group('empty_group')
            f.create_dataset('g/deeper/c', data=np.array([np.nan, np.inf, -0.0], dtype='>f4'))
            f['scalar'] = 7.25
            f['soft'] = h5py.SoftLink('/a')
            f['hard'] = f['g/b']
            f.attrs['ref'] = f['g/b'].ref
        """

    private static var fingerprintScript: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { url.deleteLastPathComponent() }
        return url.path + "/Fixtures/h5_fingerprint.py"
    }

    /// h5py's view of `file` without `excluded` (and its children).
    private func fingerprint(_ file: String, excluding excluded: [String] = []) throws -> String {
        try PythonReference.run(["python3", Self.fingerprintScript, file] + excluded, in: directory)
    }

    /// What h5py prints for `expressions` (`print(a, b)`: separated by spaces).
    private func h5py(_ expression: String, _ file: String = "base.h5") throws -> String {
        let script = "import h5py, numpy as np\nwith h5py.File('\(file)', 'r') as f: print(\(expression))"
        return try PythonReference.run(["python3", "-c", script], in: directory)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func mode(_ file: String) -> mode_t {
        var info = stat()
        return stat(file, &info) == 0 ? info.st_mode & 0o777 : 0
    }

    private func temporaryFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(".") }
    }

    func testSavingASecondDatasetKeepsEverythingElseAndThePermissions() throws {
        let before = try fingerprint(path("base.h5"))
        XCTAssertEqual(chmod(path("base.h5"), 0o640), 0)
        let x = try SharedArray<Double>((0..<3000).map { Double($0) * 0.5 - 7 }, on: pool).reshaped([1000, 3])
        try x.save(hdf5: path("base.h5"), dataset: "/results/x", gzipLevel: 4, attributes: ["run": .int(42)])
        XCTAssertEqual(try fingerprint(path("base.h5"), excluding: ["/results"]), before)
        XCTAssertEqual(try h5py("f['/results/x'][()].ravel().tolist() == [i * 0.5 - 7 for i in range(3000)]"), "True")
        XCTAssertEqual(try h5py("f['/results/x'].shape, int(f['/results/x'].attrs['run'])"), "(1000, 3) 42")
        XCTAssertEqual(mode(path("base.h5")), 0o640, "the file keeps its permission bits")
        XCTAssertEqual(try h5py("f[f.attrs['ref']].name, f[f.attrs['ref']][()].sum()"), "/g/b 1770", "references still resolve")
        // A third, in the root group next to the others: the second stays too.
        let before2 = try fingerprint(path("base.h5"))
        try SharedArray<Int32>([5, 6, 7], on: pool).save(hdf5: path("base.h5"), dataset: "third")
        XCTAssertEqual(try fingerprint(path("base.h5"), excluding: ["/third"]), before2)
        XCTAssertEqual(try h5py("f['/third'][()].tolist(), f['/third'].dtype.str"), "[5, 6, 7] <i4")
        XCTAssertEqual(try temporaryFiles(), [])
    }

    func testAnExistingDatasetIsRefusedWithoutOverwriteAndTheFileUntouched() throws {
        let bytes = FileManager.default.contents(atPath: path("base.h5"))
        let x = try SharedArray<Double>([1, 2, 3], on: pool)
        let cases: [(String, Bool, String)] = [
            ("/a", false, "base.h5:/a: exists (overwrite: true replaces it)"),
            ("g/b", false, "base.h5:/g/b: exists (overwrite: true replaces it)"),
            ("/g", true, "base.h5:/g: is a group, not a dataset; refusing to replace it"),
            ("/a/sub", true, "base.h5:/a/sub: cannot be written: '/a' is a dataset"),
            ("/", true, "the output needs a dataset name"),
        ]
        for (dataset, overwrite, message) in cases {
            XCTAssertThrowsError(try x.save(hdf5: path("base.h5"), dataset: dataset, overwrite: overwrite)) { error in
                XCTAssertTrue("\(error)".contains(message), "\(dataset): \(error)")
            }
            XCTAssertThrowsError(try HDF5Transform.map(
                .sqrt, file: path("base.h5"), dataset: "/a", to: path("base.h5"), dataset: dataset, overwrite: overwrite,
                on: pool)) { error in
                XCTAssertTrue("\(error)".contains(message), "map \(dataset): \(error)")
            }
        }
        XCTAssertEqual(FileManager.default.contents(atPath: path("base.h5")), bytes)
        XCTAssertEqual(try temporaryFiles(), [])
    }

    func testOverwriteReplacesOnlyThatDataset() throws {
        let before = try fingerprint(path("base.h5"), excluding: ["/a", "/soft"])
        let y = try SharedArray<Float>([1.5, -2, .nan, .infinity], on: pool)
        try y.save(hdf5: path("base.h5"), dataset: "/a", attributes: ["units": .string("m")], overwrite: true)
        XCTAssertEqual(try fingerprint(path("base.h5"), excluding: ["/a", "/soft"]), before)
        XCTAssertEqual(try h5py("f['/a'].dtype.str, f['/a'][()].tolist(), dict(f['/a'].attrs)"),
                       "<f4 [1.5, -2.0, nan, inf] {'units': 'm'}")
        XCTAssertEqual(try h5py("f['/soft'][()].tolist()"), "[1.5, -2.0, nan, inf]", "the soft link now reaches the new /a")
        // The hard-linked dataset, replaced through one of its names: the other name keeps the old object.
        try SharedArray<Int64>([9], on: pool).save(hdf5: path("base.h5"), dataset: "/hard", overwrite: true)
        XCTAssertEqual(try h5py("f['/hard'][()].tolist(), f['/g/b'][()].sum()"), "[9] 1770")
        // map replaces a dataset the same way.
        let before2 = try fingerprint(path("base.h5"), excluding: ["/g/deeper/c"])
        try HDF5Transform.map(.scale(2), file: path("base.h5"), dataset: "/scalar", to: path("base.h5"),
                              dataset: "/g/deeper/c", overwrite: true, on: pool)
        XCTAssertEqual(try fingerprint(path("base.h5"), excluding: ["/g/deeper/c"]), before2)
        XCTAssertEqual(try h5py("f['/g/deeper/c'][()]"), "14.5")
        XCTAssertEqual(try temporaryFiles(), [])
    }

    func testAFileThatIsNotHDF5IsRefusedAndLeftAsItWas() throws {
        let text = "time,value\n1,2\n"
        try text.write(toFile: path("notes.h5"), atomically: false, encoding: .utf8)
        let x = try SharedArray<Double>([1, 2], on: pool)
        for overwrite in [false, true] {
            XCTAssertThrowsError(try x.save(hdf5: path("notes.h5"), dataset: "/x", overwrite: overwrite)) { error in
                XCTAssertTrue("\(error)".contains("notes.h5: exists and is not an HDF5 file; refusing to replace it"), "\(error)")
            }
            XCTAssertThrowsError(try HDF5Transform.map(
                .sqrt, file: path("base.h5"), dataset: "/a", to: path("notes.h5"), dataset: "/x", overwrite: overwrite,
                on: pool)) { error in
                XCTAssertTrue("\(error)".contains("not an HDF5 file"), "\(error)")
            }
        }
        XCTAssertEqual(try String(contentsOfFile: path("notes.h5"), encoding: .utf8), text)
        XCTAssertEqual(try temporaryFiles(), [])
    }

    func testANewFileIsCreatedWithTheDefaultMode() throws {
        try SharedArray<Double>([1, 2], on: pool).save(hdf5: path("new.h5"), dataset: "/deep/x")
        XCTAssertEqual(try h5py("list(f), f['/deep/x'][()].tolist()", "new.h5"), "['deep'] [1.0, 2.0]")
        XCTAssertEqual(mode(path("new.h5")), 0o666 & ~AtomicOutputFile.currentUmask())
    }
}
