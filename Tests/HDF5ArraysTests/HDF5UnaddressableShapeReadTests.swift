import XCTest
@testable import HDF5Arrays
import SharedArrays

/// The public range read applies no admission rule, so it meets declared shapes whose element count is
/// past `Int.max` itself: such a read is an error naming the shape, not an overflow trap in the
/// hyperslab plan.
final class HDF5UnaddressableShapeReadTests: XCTestCase {
    func testRangeReadOfShapePastIntMaxElementsIsAnErrorNotATrap() throws {
        let directory = try H5TestSupport.makeDirectory()
        defer { H5TestSupport.removeDirectory(directory) }
        try H5TestSupport.python("""
            import h5py
            with h5py.File('wide.h5', 'w') as f:
                f.create_dataset('x', shape=(1, 2**32, 2**32), maxshape=(1, 2**32, 2**32), chunks=(1, 16, 16), dtype='f8')
            """, in: directory)
        var value = 0.0
        XCTAssertThrowsError(try HDF5.readElements(
            file: directory + "/wide.h5", dataset: "/x", range: 0..<1, into: &value, as: .float64)) { error in
            XCTAssertEqual((error as? ArrayIOError)?.kind, .tooLarge, "\(error)")
            XCTAssertTrue("\(error)".contains("[1, 4294967296, 4294967296]"), "\(error)")
            XCTAssertTrue("\(error)".contains("wide.h5"), "\(error)")
        }
    }
}
