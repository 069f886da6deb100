#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
import HDF5Arrays
import SharedArrays

/// HDF5 outputs (save, map, batch summaries) go through the atomic output: HDF5 writes into the private
/// temporary file through its descriptor, and nothing is written through a symbolic link.
final class HDF5OutputSafetyTests: XCTestCase {
    private var directory = ""
    private var pool: WorkerPool!

    override func setUpWithError() throws {
        directory = try H5TestSupport.makeDirectory()
        pool = try WorkerPool(workers: 2)
    }

    override func tearDown() {
        pool?.shutdown()
        H5TestSupport.removeDirectory(directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private func plantTarget() throws {
        try "precious".write(toFile: path("target"), atomically: false, encoding: .utf8)
    }

    private func targetIsUntouched() throws -> Bool {
        try String(contentsOfFile: path("target"), encoding: .utf8) == "precious"
    }

    private func fileType(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    func testSaveHDF5NeverWritesThroughSymlinkAtOldStyleTemporaryName() throws {
        try plantTarget()
        try FileManager.default.createSymbolicLink(atPath: path(".x.h5.tmp-\(getpid())"), withDestinationPath: path("target"))
        let x = try SharedArray<Double>([1, 2, 3, 4], on: pool)
        try x.save(hdf5: path("x.h5"), dataset: "/data")
        XCTAssertTrue(try targetIsUntouched())
        XCTAssertEqual(fileType(path("x.h5")), S_IFREG)
        XCTAssertEqual(try SharedArray<Double>.load(hdf5: path("x.h5"), dataset: "/data", on: pool).toArray(), [1, 2, 3, 4])
    }

    func testSaveHDF5RefusesSymlinkAtDestination() throws {
        try plantTarget()
        try FileManager.default.createSymbolicLink(atPath: path("x.h5"), withDestinationPath: path("target"))
        let x = try SharedArray<Double>([1, 2], on: pool)
        XCTAssertThrowsError(try x.save(hdf5: path("x.h5"), dataset: "/data")) { error in
            XCTAssertTrue("\(error)".contains("x.h5: is a symbolic link"), "\(error)")
        }
        XCTAssertThrowsError(try HDF5Writer(path: path("x.h5")))
        XCTAssertTrue(try targetIsUntouched())
        XCTAssertEqual(fileType(path("x.h5")), S_IFLNK)
    }

    func testMapIntoExistingFileKeepsItsDatasetsAndNeverWritesThroughSymlinks() throws {
        try plantTarget()
        try BatchFixtures.writeSeries(path("in.h5"), count: 100)
        try BatchFixtures.writeSeries(path("out.h5"), count: 10, start: 7)
        try FileManager.default.createSymbolicLink(atPath: path(".out.h5.tmp-\(getpid())"), withDestinationPath: path("target"))
        try HDF5Transform.map(.scale(2), file: path("in.h5"), dataset: "/x", to: path("out.h5"), dataset: "/y", on: pool)
        XCTAssertEqual(try HDF5.listDatasets(file: path("out.h5")).map(\.path), ["/x", "/y"])
        XCTAssertTrue(try targetIsUntouched())
        // A symbolic link as the output itself is refused, whatever it points to, before anything is read.
        try FileManager.default.createSymbolicLink(atPath: path("link.h5"), withDestinationPath: path("out.h5"))
        XCTAssertThrowsError(try HDF5Transform.map(
            .sqrt, file: path("in.h5"), dataset: "/x", to: path("link.h5"), dataset: "/z", overwrite: true, on: pool)
        ) { error in
            XCTAssertTrue("\(error)".contains("link.h5: is a symbolic link"), "\(error)")
        }
        XCTAssertEqual(try HDF5.listDatasets(file: path("out.h5")).map(\.path), ["/x", "/y"])
    }

    func testBatchSummaryNeverWritesThroughSymlinks() throws {
        try plantTarget()
        try BatchFixtures.writeSeries(path("a.h5"), count: 10)
        for name in ["s.csv", "s.json", "s.h5"] {
            try FileManager.default.createSymbolicLink(atPath: path(".\(name).tmp-\(getpid())"), withDestinationPath: path("target"))
            let batch = HDF5Batch(inputs: [path("a.h5")], statistics: [.mean])
            _ = try batch.run(on: pool, output: path(name))
            XCTAssertEqual(fileType(path(name)), S_IFREG, name)
            XCTAssertEqual(try HDF5BatchSummaryFile.read(path(name)).count, 1)
            try FileManager.default.createSymbolicLink(atPath: path("link-" + name), withDestinationPath: path("target"))
            XCTAssertThrowsError(try batch.run(on: pool, output: path("link-" + name))) { error in
                XCTAssertTrue("\(error)".contains("is a symbolic link"), "\(error)")
            }
        }
        XCTAssertTrue(try targetIsUntouched())
    }
}

/// The path-based writer opens the file itself without following a link, so HDF5 never writes through one.
final class HDF5WriterPathSafetyTests: XCTestCase {
    func testWriterByPathRefusesSymlinkPlantedAtItsPathAndAppendRefusesOneToo() throws {
        let directory = try H5TestSupport.makeDirectory()
        defer { H5TestSupport.removeDirectory(directory) }
        try "precious".write(toFile: directory + "/target", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory + "/link.h5", withDestinationPath: directory + "/target")
        XCTAssertThrowsError(try HDF5Writer(path: directory + "/link.h5"))
        XCTAssertThrowsError(try HDF5Writer(appendingTo: directory + "/link.h5"))
        XCTAssertEqual(try String(contentsOfFile: directory + "/target", encoding: .utf8), "precious")
        // A normal file works both ways, and readers see it by its name.
        let writer = try HDF5Writer(path: directory + "/ok.h5")
        try writer.createDataset("/x", dtype: .float64, shape: [3])
        try [1.0, 2, 3].withUnsafeBytes { try writer.writeElements(dataset: "/x", range: 0..<3, from: $0.baseAddress!, dtype: .float64) }
        try writer.close()
        let again = try HDF5Writer(appendingTo: directory + "/ok.h5")
        try again.setAttribute(name: "note", value: "kept")
        try again.close()
        XCTAssertEqual(try HDF5.listDatasets(file: directory + "/ok.h5").map(\.path), ["/x"])
    }
}
