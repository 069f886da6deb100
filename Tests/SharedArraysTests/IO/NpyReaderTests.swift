import Foundation
import XCTest
@testable import SharedArrays

/// Reads .npy files written by numpy and compares with values numpy computed.
final class NpyReaderTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try NpyTestSupport.makeDirectory()
    }

    override func tearDown() {
        NpyTestSupport.removeDirectory(directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    /// Reads `range` of `file` as `target` and returns the values as Double.
    private func read(_ file: String, _ header: NpyHeader, _ range: Range<Int>, as target: DType) throws -> [Double] {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, range.count * target.byteSize), alignment: 16)
        defer { buffer.deallocate() }
        try NpyFile.readElements(path: file, header: header, range: range, into: buffer, as: target)
        return (0..<range.count).map { i -> Double in
            switch target {
            case .float64: buffer.load(fromByteOffset: i * 8, as: Double.self)
            case .float32: Double(buffer.load(fromByteOffset: i * 4, as: Float.self))
            case .int64: Double(buffer.load(fromByteOffset: i * 8, as: Int64.self))
            case .int32: Double(buffer.load(fromByteOffset: i * 4, as: Int32.self))
            case .int16: Double(buffer.load(fromByteOffset: i * 2, as: Int16.self))
            case .uint8: Double(buffer.load(fromByteOffset: i, as: UInt8.self))
            }
        }
    }

    private func assertError(_ kind: ArrayIOError.Kind, _ contains: [String], file: StaticString = #filePath,
                             line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? ArrayIOError else {
                return XCTFail("not an ArrayIOError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
            for text in contains {
                XCTAssertTrue(error.description.contains(text), "'\(error)' does not contain '\(text)'",
                              file: file, line: line)
            }
        }
    }

    func testEveryDTypeBothByteOrdersOneAndTwoDimensions() throws {
        try NpyTestSupport.python("""
            import numpy as np
            rng = np.random.default_rng(7)
            for code in ['f8', 'f4', 'i8', 'i4', 'i2', 'u1']:
                orders = ['|'] if code == 'u1' else ['<', '>']
                for order in orders:
                    for shape in [(1000,), (37, 11)]:
                        n = int(np.prod(shape))
                        if code[0] == 'f':
                            x = rng.normal(0, 1000, n)
                        elif code == 'u1':
                            x = rng.integers(0, 256, n)
                        else:
                            bits = int(code[1]) * 8
                            lim = 2**min(bits - 1, 50)
                            x = rng.integers(-lim, lim, n)
                        a = x.astype(order + code).reshape(shape)
                        name = f"{code}_{'be' if order == '>' else 'le'}_{len(shape)}d"
                        np.save(name + '.npy', a)
                        a.astype('<f8').tofile(name + '.f64')
                        np.trunc(a.astype('<f8')).tofile(name + '.trunc')
            """, in: directory)
        let sizes: [String: DType] = ["f8": .float64, "f4": .float32, "i8": .int64, "i4": .int32, "i2": .int16,
                                      "u1": .uint8]
        for (code, dtype) in sizes {
            for order in code == "u1" ? ["le"] : ["le", "be"] {
                for (dims, shape) in [("1d", [1000]), ("2d", [37, 11])] {
                    let name = "\(code)_\(order)_\(dims)"
                    let file = path(name + ".npy")
                    let header = try NpyHeader.read(path: file)
                    XCTAssertEqual(header.dtype, dtype, name)
                    XCTAssertEqual(header.isBigEndian, order == "be", name)
                    XCTAssertEqual(header.shape, shape, name)
                    XCTAssertEqual(header.count, shape.reduce(1, *), name)
                    XCTAssertEqual(header.dataOffset % 64, 0, name)
                    let expected = try NpyTestSupport.readFloat64(path(name + ".f64"))
                    XCTAssertEqual(try read(file, header, 0..<header.count, as: .float64), expected, name)
                    XCTAssertEqual(try read(file, header, 0..<header.count, as: dtype), expected, "\(name) native")
                    // Partial ranges, including ones that do not start on a row of the 2-D array.
                    for range in [5..<100, 0..<1, header.count - 3..<header.count, 13..<13, 250..<251] {
                        XCTAssertEqual(try read(file, header, range, as: .float64), Array(expected[range]),
                                       "\(name) \(range)")
                    }
                    if dtype.isFloatingPoint {
                        // Floats to integers truncate toward zero.
                        let truncated = try NpyTestSupport.readFloat64(path(name + ".trunc"))
                        XCTAssertEqual(try read(file, header, 0..<header.count, as: .int32), truncated, "\(name) → int32")
                        XCTAssertEqual(try read(file, header, 0..<header.count, as: .int64), truncated, "\(name) → int64")
                    } else {
                        // Integers to floats: exact for these magnitudes in float64.
                        XCTAssertEqual(try read(file, header, 0..<header.count, as: .float64), expected)
                    }
                }
            }
        }
    }

    func testConversionsFollowTheRules() throws {
        try NpyTestSupport.python("""
            import numpy as np
            np.save('f.npy', np.array([1.9, -1.9, 0.5, -0.5, 1e10, -1e10, np.nan, 300.7, -40000.2], dtype='>f8'))
            np.save('i.npy', np.array([2**40 + 1, -7, 255, 256, -129, 40000], dtype='<i8'))
            """, in: directory)
        let f = try NpyHeader.read(path: path("f.npy"))
        XCTAssertEqual(try read(path("f.npy"), f, 0..<9, as: .int32),
                       [1, -1, 0, 0, 2_147_483_647, -2_147_483_648, 0, 300, -40000])
        XCTAssertEqual(try read(path("f.npy"), f, 0..<9, as: .int16), [1, -1, 0, 0, 32767, -32768, 0, 300, -32768])
        XCTAssertEqual(try read(path("f.npy"), f, 0..<9, as: .uint8), [1, 0, 0, 0, 255, 0, 0, 255, 0])
        let asFloat = try read(path("f.npy"), f, 0..<9, as: .float32)
        XCTAssertEqual(asFloat[0], Double(Float(1.9)))
        XCTAssertTrue(asFloat[6].isNaN)
        let i = try NpyHeader.read(path: path("i.npy"))
        XCTAssertEqual(try read(path("i.npy"), i, 0..<6, as: .float64), [1_099_511_627_777, -7, 255, 256, -129, 40000])
        XCTAssertEqual(try read(path("i.npy"), i, 0..<6, as: .int32), [2_147_483_647, -7, 255, 256, -129, 40000])
        XCTAssertEqual(try read(path("i.npy"), i, 0..<6, as: .uint8), [255, 0, 255, 255, 0, 255])
        XCTAssertEqual(try read(path("i.npy"), i, 1..<4, as: .int16), [-7, 255, 256])
    }

    func testFormatVersions2And3ScalarAndEmpty() throws {
        try NpyTestSupport.python("""
            import numpy as np
            a = np.arange(12, dtype='<f8').reshape(3, 4) / 4
            for v in [(1, 0), (2, 0), (3, 0)]:
                with open(f'v{v[0]}.npy', 'wb') as f:
                    np.lib.format.write_array(f, a, version=v)
            np.save('scalar.npy', np.float64(3.25))
            np.save('empty.npy', np.zeros(0, dtype='<i4'))
            np.save('empty2d.npy', np.zeros((0, 5), dtype='<f4'))
            """, in: directory)
        for version in 1...3 {
            let header = try NpyHeader.read(path: path("v\(version).npy"))
            XCTAssertEqual(header.shape, [3, 4])
            XCTAssertEqual(try read(path("v\(version).npy"), header, 0..<12, as: .float64), (0..<12).map { Double($0) / 4 })
        }
        let scalar = try NpyHeader.read(path: path("scalar.npy"))
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.count, 1)
        XCTAssertEqual(try read(path("scalar.npy"), scalar, 0..<1, as: .float64), [3.25])
        let empty = try NpyHeader.read(path: path("empty.npy"))
        XCTAssertEqual(empty.shape, [0])
        XCTAssertEqual(empty.count, 0)
        XCTAssertEqual(empty.dtype, .int32)
        XCTAssertEqual(try read(path("empty.npy"), empty, 0..<0, as: .float64), [])
        let empty2 = try NpyHeader.read(path: path("empty2d.npy"))
        XCTAssertEqual(empty2.shape, [0, 5])
        XCTAssertEqual(empty2.count, 0)
    }

    func testRejectsFortranOrder() throws {
        try NpyTestSupport.python("""
            import numpy as np
            np.save('fortran.npy', np.asfortranarray(np.arange(12.0).reshape(3, 4)))
            np.save('fortran1d.npy', np.asfortranarray(np.arange(5.0)))
            """, in: directory)
        assertError(.unsupportedType, ["fortran.npy", "fortran_order"]) {
            _ = try NpyHeader.read(path: path("fortran.npy"))
        }
        // 1-D data has the same layout in either order.
        XCTAssertEqual(try NpyHeader.read(path: path("fortran1d.npy")).shape, [5])
    }

    func testRejectsTruncatedFile() throws {
        try NpyTestSupport.python("""
            import numpy as np
            np.save('data.npy', np.arange(1000, dtype='<f8'))
            with open('data.npy', 'r+b') as f:
                f.truncate(128 + 4096)
            with open('header.npy', 'wb') as f:
                f.write(open('data.npy', 'rb').read()[:40])
            """, in: directory)
        assertError(.truncated, [path("data.npy") + ": truncated",
                                 "header says 1000 float64 values (8000 bytes) but file has 4096 bytes of data"]) {
            _ = try NpyHeader.read(path: path("data.npy"))
        }
        assertError(.truncated, ["header.npy", "truncated"]) {
            _ = try NpyHeader.read(path: path("header.npy"))
        }
    }

    func testRejectsUnsupportedDTypes() throws {
        try NpyTestSupport.python("""
            import numpy as np
            np.save('complex.npy', np.ones(4, dtype=np.complex128))
            np.save('bool.npy', np.ones(4, dtype=bool))
            np.save('int8.npy', np.ones(4, dtype=np.int8))
            np.save('uint32.npy', np.ones(4, dtype=np.uint32))
            np.save('strings.npy', np.array(['a', 'bc']))
            np.save('object.npy', np.array([1, 'x', None], dtype=object), allow_pickle=True)
            np.save('record.npy', np.zeros(3, dtype=[('a', '<f8'), ('b', '<i4')]))
            """, in: directory)
        let cases: [(String, [String])] = [
            ("complex.npy", ["'<c16'", "complex128"]),
            ("bool.npy", ["'|b1'", "bool"]),
            ("int8.npy", ["'|i1'", "int8"]),
            ("uint32.npy", ["'<u4'", "uint32"]),
            ("strings.npy", ["'<U2'", "unicode string"]),
            ("object.npy", ["'|O'", "object"]),
            ("record.npy", ["structured"]),
        ]
        for (file, texts) in cases {
            assertError(.unsupportedType, [path(file)] + texts) { _ = try NpyHeader.read(path: path(file)) }
        }
    }

    func testRejectsMissingAndForeignFiles() throws {
        assertError(.fileNotFound, [path("nope.npy"), "no such file"]) { _ = try NpyHeader.read(path: path("nope.npy")) }
        try "hello, world\n".write(toFile: path("text.npy"), atomically: true, encoding: .utf8)
        assertError(.invalidFormat, [path("text.npy"), "not a .npy file"]) { _ = try NpyHeader.read(path: path("text.npy")) }
        _ = FileManager.default.createFile(atPath: path("empty.npy"), contents: Data())
        assertError(.invalidFormat, ["empty.npy", "empty"]) { _ = try NpyHeader.read(path: path("empty.npy")) }
        assertError(.invalidFormat, [directory, "directory"]) { _ = try NpyHeader.read(path: directory) }
        // A well-formed magic with a garbled header.
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 16, 0] + Array("{'descr': <f8}  \n".utf8)
        bytes = Array(bytes.prefix(26))
        _ = FileManager.default.createFile(atPath: path("garbled.npy"), contents: Data(bytes))
        assertError(.invalidFormat, ["garbled.npy", "malformed .npy header"]) {
            _ = try NpyHeader.read(path: path("garbled.npy"))
        }
    }

    func testRangeOutsideTheArrayIsAnError() throws {
        let writer = try NpyWriter.create(path: path("w.npy"), dtype: .float64, shape: [10])
        let header = try NpyHeader.read(path: writer.path)
        assertError(.invalidArgument, ["w.npy", "5..<11", "10 elements"]) {
            _ = try self.read(writer.path, header, 5..<11, as: .float64)
        }
    }

    func testHeaderParserHandlesPythonLiterals() throws {
        let value = try NpyHeaderParser.parse("{'descr': '<f8', \"fortran_order\": False, 'shape': (3L, 4), 'x': [None, True], }   \n")
        XCTAssertEqual(value, .dict([("descr", .string("<f8")), ("fortran_order", .bool(false)),
                                     ("shape", .tuple([.int(3), .int(4)])), ("x", .list([.none, .bool(true)]))]))
        XCTAssertThrowsError(try NpyHeaderParser.parse("{'descr': '<f8'"))
        XCTAssertThrowsError(try NpyHeaderParser.parse("{'a': 1} junk"))
    }
}
