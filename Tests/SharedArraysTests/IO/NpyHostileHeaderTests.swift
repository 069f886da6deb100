import Foundation
import XCTest
@testable import SharedArrays

/// Headers that numpy refuses, or reads differently from a first-wins parser, are errors naming the file
/// and what is wrong; never a trap, a hang or a different array.
final class NpyHostileHeaderTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try NpyTestSupport.makeDirectory()
    }

    override func tearDown() {
        NpyTestSupport.removeDirectory(directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    /// Writes `NAME.npy` with the header text as given (padded as numpy pads it) and 10 float64 values,
    /// and records in `numpy.json` whether numpy itself loads it.
    private func writeHostile(_ headers: [String: String]) throws {
        let entries = headers.sorted { $0.key < $1.key }
            .map { "(\(pythonString($0.key)), \(pythonString($0.value)))" }.joined(separator: ", ")
        try NpyTestSupport.python("""
            import json, struct, numpy as np
            verdicts = {}
            for name, header in [\(entries)]:
                h = header.encode('latin1')
                h = h + b' ' * (63 - (10 + len(h)) % 64) + b'\\n'
                with open(name + '.npy', 'wb') as f:
                    f.write(b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(h)) + h + np.arange(10.0).tobytes())
                try:
                    verdicts[name] = list(np.load(name + '.npy').shape)
                except Exception as e:
                    verdicts[name] = type(e).__name__
            json.dump(verdicts, open('numpy.json', 'w'))
            """, in: directory)
    }

    private func pythonString(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    private func numpyVerdicts() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("numpy.json")))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func assertRefused(_ name: String, _ texts: [String], kind: ArrayIOError.Kind = .invalidFormat,
                               line: UInt = #line) {
        XCTAssertThrowsError(try NpyHeader.read(path: path(name + ".npy")), line: line) { error in
            guard let error = error as? ArrayIOError else { return XCTFail("not an ArrayIOError: \(error)", line: line) }
            XCTAssertEqual(error.kind, kind, "\(error)", line: line)
            for text in [path(name + ".npy")] + texts {
                XCTAssertTrue(error.description.contains(text), "'\(error)' does not contain '\(text)'", line: line)
            }
        }
    }

    /// numpy keeps the last of a repeated key (here a shape of 10^11 values) where a first-wins reader
    /// would read 10 values: the header is ambiguous, so it is an error.
    func testRepeatedKeyInNpyHeaderIsAnError() throws {
        try writeHostile([
            "shape2": "{'descr': '<f8', 'fortran_order': False, 'shape': (10,), 'shape': (100000000000,), }",
            "descr2": "{'descr': '<f8', 'descr': '<i8', 'fortran_order': False, 'shape': (10,), }",
            "order2": "{'descr': '<f8', 'fortran_order': False, 'shape': (10,), 'fortran_order': True, }",
        ])
        XCTAssertEqual(try numpyVerdicts()["shape2"] as? String, "MemoryError", "numpy takes the last 'shape'")
        assertRefused("shape2", ["repeated key 'shape'"])
        assertRefused("descr2", ["repeated key 'descr'"])
        assertRefused("order2", ["repeated key 'fortran_order'"])
        let pool = try TestPools.pool(2)
        XCTAssertThrowsError(try SharedArray<Double>.load(npy: path("shape2.npy"), on: pool)) {
            XCTAssertTrue("\($0)".contains("repeated key 'shape'"), "\($0)")
        }
    }

    /// What numpy refuses (unknown or missing keys, text after the dictionary, junk nested in the
    /// shape) is refused here too, with what was wrong; junk nested thousands deep cannot exhaust the
    /// stack.
    func testUnknownMissingKeysTrailingGarbageAndNestedJunkAreErrors() throws {
        try writeHostile([
            "unknown": "{'descr': '<f8', 'fortran_order': False, 'shape': (10,), 'extra': 1, }",
            "missing": "{'descr': '<f8', 'shape': (10,), }",
            "trailing": "{'descr': '<f8', 'fortran_order': False, 'shape': (10,), } junk",
            "nested": "{'descr': '<f8', 'fortran_order': False, 'shape': ((10,),), }",
            "deep": "{'descr': '<f8', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 5000)
                + String(repeating: ")", count: 5000) + ", }",
            "notdict": "[('descr', '<f8'), ('fortran_order', False), ('shape', (10,))]",
        ])
        let numpy = try numpyVerdicts()
        for name in ["unknown", "missing", "trailing", "nested", "deep", "notdict"] {
            XCTAssertTrue(numpy[name] is String, "numpy refuses \(name) too: \(String(describing: numpy[name]))")
        }
        assertRefused("unknown", ["unexpected key 'extra'"])
        assertRefused("missing", ["no 'fortran_order' key"])
        assertRefused("trailing", ["unexpected text after the header dictionary"])
        assertRefused("nested", ["bad shape entry"])
        assertRefused("deep", ["nested more than"])
        assertRefused("notdict", ["not a dictionary"])
    }

    /// Negative dimensions and shapes whose element or byte count does not fit in an Int are errors
    /// naming the shape, never an overflow trap.
    func testNegativeAndHugeNpyDimensionsAreErrors() throws {
        try writeHostile([
            "negative": "{'descr': '<f8', 'fortran_order': False, 'shape': (-10,), }",
            "negative2": "{'descr': '<f8', 'fortran_order': False, 'shape': (-2, -5), }",
            "square": "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
            "bytes": "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }",
            "digits": "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }",
            "emptyhuge": "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904, 0), }",
            "empty62": "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 0), }",
        ])
        assertRefused("negative", ["negative dimension -10"])
        assertRefused("negative2", ["negative dimension -2"])
        assertRefused("square", ["[4294967296, 4294967296]", "more than can be addressed"])
        assertRefused("bytes", ["[4611686018427387904]", "float64", "EiB", "more than can be addressed"])
        assertRefused("digits", ["integer too large"])
        // numpy refuses an empty shape whose other extents overflow ("array is too big"): so does this.
        let numpy = try numpyVerdicts()
        for name in ["emptyhuge", "empty62"] {
            XCTAssertTrue(numpy[name] is String, "numpy refuses \(name): \(String(describing: numpy[name]))")
            assertRefused(name, ["more than can be addressed"])
        }
    }

    /// A shape that disagrees with the file's size is an error: fewer bytes than declared is truncation,
    /// more is a damaged header (numpy would silently read a different array).
    func testShapeThatDisagreesWithTheFileSizeIsAnError() throws {
        try writeHostile([
            "shrunk": "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }",
            "grown": "{'descr': '<f8', 'fortran_order': False, 'shape': (11,), }",
            "exact": "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 5), }",
        ])
        assertRefused("shrunk", ["shape [5]", "40 bytes of data", "80 bytes of data"])
        assertRefused("grown", ["truncated"], kind: .truncated)
        XCTAssertEqual(try NpyHeader.read(path: path("exact.npy")).shape, [2, 5])
    }

    /// A header built by hand (the type is public) cannot make `readElements` compute an overflowing offset.
    func testHandBuiltHeaderWithHugeCountIsAnErrorNotATrap() throws {
        try writeHostile(["exact": "{'descr': '<f8', 'fortran_order': False, 'shape': (10,), }"])
        let forged = NpyHeader(dtype: .float64, isBigEndian: false, shape: [Int.max], dataOffset: 128, count: Int.max)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { buffer.deallocate() }
        XCTAssertThrowsError(try NpyFile.readElements(
            path: path("exact.npy"), header: forged, range: (Int.max / 2)..<(Int.max / 2 + 1), into: buffer, as: .float64)
        ) { XCTAssertTrue("\($0)".contains("past any file size"), "\($0)") }
    }
}
