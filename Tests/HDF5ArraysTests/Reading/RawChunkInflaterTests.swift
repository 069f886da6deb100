import Foundation
import XCTest
@testable import HDF5Arrays
import SharedArrays

/// The libdeflate path must give exactly HDF5's bytes, for every range, and stay out of the way where it
/// does not apply.
final class RawChunkInflaterTests: XCTestCase {
    func testRawChunkInflationGivesHDF5sBytesForAnyRange() throws {
        guard LibDeflate.shared != nil else { throw XCTSkip("libdeflate is not installed: HDF5's gzip filter is used") }
        let directory = try H5TestSupport.makeDirectory()
        defer { H5TestSupport.removeDirectory(directory) }
        try H5TestSupport.python(BatchFixtures.layoutsAndTypes, in: directory)
        let file = directory + "/a.h5", sparse = directory + "/c.h5"
        let cases: [(String, String, DType, Bool)] = [
            (file, "/gzip_shuffle_nan", .float64, true), (file, "/group/f32", .float32, true),
            (sparse, "/sparse_gzip", .float64, true), (sparse, "/grid2d", .float64, false),
            (sparse, "/cube3d", .float32, false), (directory + "/b.h5", "/be_i16", .int32, false),
            (directory + "/b.h5", "/be_f64", .float64, false), (file, "/contig_f64", .float64, false),
        ]
        for (path, dataset, dtype, applies) in cases {
            let fast = try HDF5DatasetReader(file: path, dataset: dataset)
            XCTAssertEqual(fast.inflatesRawChunks(as: dtype), applies, dataset)
            guard fast.inflatesRawChunks(as: dtype) else { continue }
            let slow = try HDF5DatasetReader(file: path, dataset: dataset, field: nil, rawChunks: false)
            XCTAssertFalse(slow.inflatesRawChunks(as: dtype))
            let n = slow.info.count
            let ranges = [0..<n, 0..<1, 1..<n - 1, 511..<513, 700..<2100, (n - 3)..<n, 999..<1000, 1000..<3001]
            for range in ranges where range.upperBound <= n {
                let bytes = range.count * dtype.byteSize
                let a = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
                let b = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
                defer { a.deallocate(); b.deallocate() }
                try fast.readElements(range: range, into: a, as: dtype)
                try slow.readElements(range: range, into: b, as: dtype)
                XCTAssertEqual(memcmp(a, b, bytes), 0, "\(dataset) \(range)")
            }
        }
    }
}
