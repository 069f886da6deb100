#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
import SharedArrays

/// `SharedArray.save(npy:)` goes through the atomic output: no symbolic link is ever written through.
final class SaveOutputSafetyTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try NpyTestSupport.makeDirectory()
    }

    override func tearDown() {
        NpyTestSupport.removeDirectory(directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    func testSaveNeverWritesThroughSymlinkAtOldStyleTemporaryName() throws {
        let pool = try TestPools.pool(2)
        try "precious".write(toFile: path("target"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: path(".x.npy.tmp-\(getpid())"), withDestinationPath: path("target"))
        let x = try SharedArray<Double>(Array((0..<100_000).map(Double.init)), on: pool)
        try x.save(npy: path("x.npy"))
        XCTAssertEqual(try String(contentsOfFile: path("target"), encoding: .utf8), "precious")
        XCTAssertTrue(isRegularFile(path("x.npy")))
        XCTAssertEqual(try SharedArray<Double>.load(npy: path("x.npy"), on: pool).toArray(), x.toArray())
    }

    func testSaveRefusesSymlinkAtDestinationAndLeavesItsTarget() throws {
        let pool = try TestPools.pool(2)
        try "precious".write(toFile: path("target"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: path("x.npy"), withDestinationPath: path("target"))
        let x = try SharedArray<Double>([1, 2, 3], on: pool)
        XCTAssertThrowsError(try x.save(npy: path("x.npy"))) { error in
            XCTAssertEqual((error as? ArrayIOError)?.kind, .invalidArgument)
            XCTAssertTrue("\(error)".contains("x.npy: is a symbolic link"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: path("target"), encoding: .utf8), "precious")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), ["target", "x.npy"])
    }

    func testNpyWriterCreateRefusesSymlink() throws {
        try "precious".write(toFile: path("target"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: path("w.npy"), withDestinationPath: path("target"))
        XCTAssertThrowsError(try NpyWriter.create(path: path("w.npy"), dtype: .float64, shape: [4]))
        XCTAssertEqual(try String(contentsOfFile: path("target"), encoding: .utf8), "precious")
    }
}
