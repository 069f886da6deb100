import XCTest
import HDF5Arrays

final class HDF5DatasetSelectorTests: XCTestCase {
    func testPathsAndGlobs() {
        let cases: [(String, String, Bool)] = [
            ("/a/b", "/a/b", true), ("a/b", "/a/b", true), ("/a/b", "/a/bc", false),
            ("/a/*", "/a/b", true), ("/a/*", "/a/b/c", false), ("/*/b", "/x/b", true),
            ("/a/b*", "/a/bcd", true), ("/a/*d", "/a/bcd", true), ("/a/b?d", "/a/bcd", true), ("/a/b?d", "/a/bd", false),
            ("/**", "/a", true), ("/**", "/a/b/c", true), ("/**/c", "/c", true), ("/**/c", "/a/b/c", true),
            ("/**/c", "/a/b/cd", false), ("/a/**/z", "/a/z", true), ("/a/**/z", "/a/b/c/z", true),
            ("/a/**/z", "/b/c/z", false), ("/runs/*/sig*", "/runs/7/signal", true), ("/*", "/a/b", false),
        ]
        for (pattern, path, expected) in cases {
            XCTAssertEqual(HDF5DatasetSelector(pattern).matches(path), expected, "\(pattern) vs \(path)")
        }
        XCTAssertFalse(HDF5DatasetSelector("/a/b").isGlob)
        XCTAssertTrue(HDF5DatasetSelector("/**").isGlob)
        XCTAssertEqual(HDF5DatasetSelector("readings//temperature/").pattern, "/readings/temperature")
    }
}
