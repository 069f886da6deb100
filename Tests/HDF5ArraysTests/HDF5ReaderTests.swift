import Foundation
import XCTest
@testable import HDF5Arrays
import SharedArrays

/// Reads files written by h5py and compares with the values numpy wrote next to them.
final class HDF5ReaderTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try H5TestSupport.makeDirectory()
    }

    override func tearDown() {
        H5TestSupport.removeDirectory(directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    /// Writes `t.h5` with one dataset per layout / type case, and `<name>.f64` with each dataset's values as
    /// float64 (C order).
    private static let fixture = """
        import numpy as np, h5py
        rng = np.random.default_rng(11)
        expected = {}
        with h5py.File('t.h5', 'w') as f:
            def put(name, data, **kw):
                f.create_dataset(name, data=data, **kw)
                expected[name] = np.asarray(data)
            put('contig_f64', rng.normal(0, 100, 1000))
            put('chunked_f32', rng.normal(0, 100, 1000).astype('<f4'), chunks=(128,))
            put('gzip_shuffle_be_i16', rng.integers(-30000, 30000, 5000).astype('>i2'), chunks=(700,),
                compression='gzip', compression_opts=6, shuffle=True)
            put('i64', rng.integers(-10**12, 10**12, 1000).astype('<i8'))
            put('u32', rng.integers(0, 2**32, 100).astype('<u4'))
            put('u16_be', rng.integers(0, 2**16, 100).astype('>u2'))
            put('i8', rng.integers(-128, 128, 100).astype('i1'))
            put('f16', rng.normal(0, 10, 100).astype('<f2'))
            put('grid2d', rng.normal(0, 1, (53, 17)), chunks=(10, 17), compression='gzip')
            put('grid3d', rng.integers(-1000, 1000, (7, 5, 6)).astype('>i4'), chunks=(2, 5, 3))
            put('group/sub/deep', np.arange(10.0))
            put('scalar', np.float64(2.5))
            put('empty', np.zeros((0, 3)))
            # Compact layout through the low-level API.
            space = h5py.h5s.create_simple((100,))
            dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            dcpl.set_layout(h5py.h5d.COMPACT)
            u8 = np.arange(100, dtype='u1') * 2
            dset = h5py.h5d.create(f.id, b'compact_u8', h5py.h5t.STD_U8LE, space, dcpl=dcpl)
            dset.write(h5py.h5s.ALL, h5py.h5s.ALL, u8)
            expected['compact_u8'] = u8
            # Not numbers.
            f.create_dataset('strings', data=['alpha', 'beta'], dtype=h5py.string_dtype())
            f.create_dataset('fixed_strings', data=np.array([b'ab', b'cd'], dtype='S4'))
            f.create_dataset('compound', data=np.zeros(3, dtype=[('a', '<f8'), ('b', '<i4')]))
            f.create_dataset('bools', data=np.array([True, False]))
            f.attrs['title'] = 'fixture'
            f.attrs['answer'] = 42
            f.attrs['ratio'] = 0.25
            f.attrs['vector'] = np.array([1.5, 2.5])
            f['group'].attrs['units'] = np.bytes_(b'kelvin')
        for name, values in expected.items():
            values.astype('<f8').tofile(name.replace('/', '_') + '.f64')
        """

    private func makeFixture() throws -> String {
        try H5TestSupport.python(Self.fixture, in: directory)
        return path("t.h5")
    }

    private func expected(_ dataset: String) throws -> [Double] {
        try H5TestSupport.readFloat64(path(dataset.replacingOccurrences(of: "/", with: "_") + ".f64"))
    }

    private func read(_ file: String, _ dataset: String, _ range: Range<Int>, as target: DType) throws -> [Double] {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, range.count * target.byteSize), alignment: 16)
        defer { buffer.deallocate() }
        try HDF5.readElements(file: file, dataset: dataset, range: range, into: buffer, as: target)
        return values(buffer, range.count, target)
    }

    private func values(_ buffer: UnsafeRawPointer, _ count: Int, _ target: DType) -> [Double] {
        (0..<count).map { i -> Double in
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

    func testLibraryVersion() {
        XCTAssertTrue(HDF5.libraryVersion.hasPrefix("1."), HDF5.libraryVersion)
    }

    func testDatasetInfoDescribesLayoutTypeAndFilters() throws {
        let file = try makeFixture()
        let contig = try HDF5.datasetInfo(file: file, dataset: "/contig_f64")
        XCTAssertEqual(contig, HDF5DatasetInfo(path: "/contig_f64", shape: [1000], dtype: .float64,
                                               typeDescription: "float64 little-endian", layout: .contiguous,
                                               chunkShape: nil, filters: []))
        let gz = try HDF5.datasetInfo(file: file, dataset: "gzip_shuffle_be_i16")
        XCTAssertEqual(gz.path, "/gzip_shuffle_be_i16")
        XCTAssertEqual(gz.dtype, .int16)
        XCTAssertEqual(gz.typeDescription, "int16 big-endian")
        XCTAssertEqual(gz.layout, .chunked)
        XCTAssertEqual(gz.chunkShape, [700])
        XCTAssertEqual(gz.filters, ["shuffle", "gzip"])
        let compact = try HDF5.datasetInfo(file: file, dataset: "/compact_u8")
        XCTAssertEqual(compact.layout, .compact)
        XCTAssertEqual(compact.dtype, .uint8)
        XCTAssertEqual(compact.typeDescription, "uint8")
        let grid = try HDF5.datasetInfo(file: file, dataset: "/grid3d")
        XCTAssertEqual(grid.shape, [7, 5, 6])
        XCTAssertEqual(grid.chunkShape, [2, 5, 3])
        XCTAssertEqual(grid.dtype, .int32)
        XCTAssertEqual(grid.count, 210)
        XCTAssertEqual(try HDF5.datasetInfo(file: file, dataset: "/scalar").shape, [])
        XCTAssertEqual(try HDF5.datasetInfo(file: file, dataset: "/empty").shape, [0, 3])
        // Types DType lacks load as the smallest DType that holds them.
        let widened: [(String, DType, String)] = [
            ("/u32", .int64, "uint32 little-endian"), ("/u16_be", .int32, "uint16 big-endian"),
            ("/i8", .int16, "int8"), ("/f16", .float32, "float16 little-endian"),
            ("/bools", .uint8, "bool (enum of int8 FALSE=0, TRUE=1)"),
            ("/chunked_f32", .float32, "float32 little-endian"), ("/i64", .int64, "int64 little-endian"),
        ]
        for (name, dtype, description) in widened {
            let info = try HDF5.datasetInfo(file: file, dataset: name)
            XCTAssertEqual(info.dtype, dtype, name)
            XCTAssertEqual(info.typeDescription, description, name)
        }
        let notNumbers: [(String, String)] = [("/strings", "string"), ("/fixed_strings", "string"),
                                              ("/compound", "compound")]
        for (name, description) in notNumbers {
            let info = try HDF5.datasetInfo(file: file, dataset: name)
            XCTAssertNil(info.dtype, name)
            XCTAssertFalse(info.isNumeric)
            XCTAssertTrue(info.typeDescription.hasPrefix(description), "\(name): \(info.typeDescription)")
        }
    }

    func testOneDimensionalReadsForEveryLayoutAndType() throws {
        let file = try makeFixture()
        let cases = ["contig_f64", "chunked_f32", "gzip_shuffle_be_i16", "i64", "u32", "u16_be", "i8", "f16",
                     "compact_u8", "group/sub/deep"]
        for name in cases {
            let values = try expected(name)
            let n = values.count
            XCTAssertEqual(try read(file, "/" + name, 0..<n, as: .float64), values, name)
            for range in [0..<1, 3..<n - 5, n - 1..<n, 7..<7] {
                XCTAssertEqual(try read(file, "/" + name, range, as: .float64), Array(values[range]), "\(name) \(range)")
            }
            // The DType the info suggests holds the values exactly.
            let dtype = try XCTUnwrap(HDF5.datasetInfo(file: file, dataset: name).dtype)
            XCTAssertEqual(try read(file, name, 0..<n, as: dtype), values, "\(name) as \(dtype)")
        }
        // HDF5 converts: float64 to int32 truncates, big-endian int16 as float32, int64 to float64.
        let f64 = try expected("contig_f64")
        XCTAssertEqual(try read(file, "/contig_f64", 0..<1000, as: .int32), f64.map { $0.rounded(.towardZero) })
        XCTAssertEqual(try read(file, "/gzip_shuffle_be_i16", 100..<900, as: .float32),
                       Array(try expected("gzip_shuffle_be_i16")[100..<900]))
        XCTAssertEqual(try read(file, "/scalar", 0..<1, as: .float64), [2.5])
        XCTAssertEqual(try read(file, "/empty", 0..<0, as: .float64), [])
    }

    func testMultiDimensionalAlignedAndUnalignedRanges() throws {
        let file = try makeFixture()
        let grid2 = try expected("grid2d")
        for range in [0..<(53 * 17), (17 * 3)..<(17 * 10), 5..<400, 20..<30, 16..<18, 900..<901, (53 * 17 - 4)..<(53 * 17)] {
            XCTAssertEqual(try read(file, "/grid2d", range, as: .float64), Array(grid2[range]), "grid2d \(range)")
        }
        // Every range with ends on a 7-element grid of a (7, 5, 6) int32 big-endian chunked dataset.
        let grid3 = try expected("grid3d")
        let reader = try HDF5DatasetReader(file: file, dataset: "/grid3d")
        defer { reader.close() }
        XCTAssertEqual(reader.info.shape, [7, 5, 6])
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 210 * 8, alignment: 16)
        defer { buffer.deallocate() }
        for low in stride(from: 0, through: 210, by: 7) {
            for high in stride(from: low, through: 210, by: 5) {
                try reader.readElements(range: low..<high, into: buffer, as: .int64)
                XCTAssertEqual(values(buffer, high - low, .int64), Array(grid3[low..<high]), "grid3d \(low)..<\(high)")
            }
        }
    }

    func testHyperslabPlanCoversRangesExactly() {
        let shapes = [[10], [4, 3], [3, 4, 5], [2, 3, 2, 4], [5, 1, 7], [1, 1]]
        for shape in shapes {
            let total = shape.reduce(1, *)
            for low in 0...total {
                for high in low...total {
                    let plan = HyperslabPlan(shape: shape, range: low..<high)
                    XCTAssertLessThanOrEqual(plan.boxes.count, max(0, 2 * shape.count - 1))
                    var covered: [Int] = []
                    for box in plan.boxes {
                        XCTAssertEqual(box.count.reduce(1) { $0 * Int($1) }, box.elements)
                        XCTAssertEqual(box.flatStart, low + covered.count, "\(shape) \(low)..<\(high)")
                        covered += flatIndices(box, shape: shape)
                    }
                    XCTAssertEqual(covered, Array(low..<high), "\(shape) \(low)..<\(high)")
                    if high > low && low % (total / shape[0]) == 0 && high % (total / shape[0]) == 0 {
                        XCTAssertEqual(plan.boxes.count, 1, "row-aligned \(shape) \(low)..<\(high)")
                    }
                }
            }
        }
    }

    /// The flat indices a box covers, in C order.
    private func flatIndices(_ box: HyperslabPlan.Box, shape: [Int]) -> [Int] {
        var result: [Int] = []
        var index = Array(repeating: 0, count: shape.count)
        let count = box.count.map { Int($0) }
        let start = box.start.map { Int($0) }
        guard count.allSatisfy({ $0 > 0 }) else { return [] }
        while true {
            var flat = 0
            for d in 0..<shape.count { flat = flat * shape[d] + start[d] + index[d] }
            result.append(flat)
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < count[d] { break }
                index[d] = 0
                d -= 1
            }
            if d < 0 { return result }
        }
    }

    func testListDatasetsAndAttributes() throws {
        let file = try makeFixture()
        let list = try HDF5.listDatasets(file: file)
        XCTAssertEqual(list.map(\.path), [
            "/bools", "/chunked_f32", "/compact_u8", "/compound", "/contig_f64", "/empty", "/f16", "/fixed_strings",
            "/grid2d", "/grid3d", "/group/sub/deep", "/gzip_shuffle_be_i16", "/i64", "/i8", "/scalar", "/strings",
            "/u16_be", "/u32",
        ])
        XCTAssertEqual(list.first { $0.path == "/grid2d" }?.filters, ["gzip"])
        let attributes = try HDF5.attributes(file: file)
        XCTAssertEqual(attributes.map(\.name), ["answer", "ratio", "title", "vector"])
        XCTAssertEqual(attributes.map(\.value), [.int(42), .double(0.25), .string("fixture"), .doubles([1.5, 2.5])])
        XCTAssertEqual(try HDF5.attributes(file: file, object: "/group").map(\.value), [.string("kelvin")])
        XCTAssertEqual(try HDF5.attributes(file: file, object: "/group/sub/deep").count, 0)
    }

    func testErrorsNameFileDatasetAndProblem() throws {
        let file = try makeFixture()
        assertError(.fileNotFound, [path("missing.h5"), "no such file"]) {
            _ = try HDF5.datasetInfo(file: path("missing.h5"), dataset: "/x")
        }
        try "plain text, not HDF5\n".write(toFile: path("text.h5"), atomically: true, encoding: .utf8)
        assertError(.invalidFormat, [path("text.h5"), "not an HDF5 file"]) {
            _ = try HDF5.listDatasets(file: path("text.h5"))
        }
        assertError(.datasetNotFound, [file + ":/nope: no such dataset", "/contig_f64"]) {
            _ = try HDF5.datasetInfo(file: file, dataset: "/nope")
        }
        assertError(.datasetNotFound, [file + ":/group/nothing/x", "no '/group/nothing'"]) {
            _ = try HDF5.readElements(file: file, dataset: "/group/nothing/x", range: 0..<1,
                                      into: UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8), as: .float64)
        }
        assertError(.datasetNotFound, [file + ":/contig_f64/x", "not a group"]) {
            _ = try HDF5.datasetInfo(file: file, dataset: "/contig_f64/x")
        }
        assertError(.datasetNotFound, [file + ":/group/sub", "is a group, not a dataset"]) {
            _ = try HDF5.datasetInfo(file: file, dataset: "group/sub")
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1024, alignment: 16)
        defer { buffer.deallocate() }
        assertError(.unsupportedType, [file + ":/strings: dataset has type string", "not a number"]) {
            try HDF5.readElements(file: file, dataset: "/strings", range: 0..<2, into: buffer, as: .float64)
        }
        assertError(.unsupportedType, [file + ":/compound: dataset is a compound (table) with fields a (float64 little-endian), b (int32 little-endian)", "--field"]) {
            try HDF5.readElements(file: file, dataset: "/compound", range: 0..<1, into: buffer, as: .float64)
        }
        assertError(.invalidArgument, [file + ":/grid2d", "995..<1000", "901 elements", "[53, 17]"]) {
            try HDF5.readElements(file: file, dataset: "/grid2d", range: 995..<1000, into: buffer, as: .float64)
        }
    }

    func testReadsTheSampleDataset() throws {
        // datasets/sensors.h5 ships with the package; its .npy twins hold the same values.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("datasets").path
        let file = root + "/sensors.h5"
        guard FileManager.default.fileExists(atPath: file) else {
            throw XCTSkip("datasets/sensors.h5 is missing: run python3 datasets/make_sample.py")
        }
        let table = try HDF5.datasetInfo(file: file, dataset: "/readings/table")
        XCTAssertEqual(table.shape.count, 2)
        XCTAssertEqual(table.shape[1], 6)
        let npy = try NpyHeader.read(path: root + "/sensors.npy")
        XCTAssertEqual(npy.shape, table.shape)
        let range = 4093..<(4093 + 6 * 1000 + 5)  // unaligned, across a chunk boundary
        var fromH5 = [Double](repeating: 0, count: range.count)
        var fromNpy = [Double](repeating: 0, count: range.count)
        try fromH5.withUnsafeMutableBytes {
            try HDF5.readElements(file: file, dataset: "/readings/table", range: range, into: $0.baseAddress!, as: .float64)
        }
        try fromNpy.withUnsafeMutableBytes {
            try NpyFile.readElements(path: root + "/sensors.npy", header: npy, range: range, into: $0.baseAddress!,
                                     as: .float64)
        }
        XCTAssertEqual(fromH5, fromNpy)
        // The 1-D temperature series with its NaN gaps, in both formats.
        let series = try HDF5.datasetInfo(file: file, dataset: "/readings/temperature")
        XCTAssertEqual(series.filters, ["shuffle", "gzip"])
        let temperatureNpy = try NpyHeader.read(path: root + "/sensors_temperature.npy")
        XCTAssertEqual(temperatureNpy.shape, series.shape)
        var a = [Double](repeating: 0, count: series.count), b = a
        try a.withUnsafeMutableBytes {
            try HDF5.readElements(file: file, dataset: "/readings/temperature", range: 0..<series.count,
                                  into: $0.baseAddress!, as: .float64)
        }
        try b.withUnsafeMutableBytes {
            try NpyFile.readElements(path: root + "/sensors_temperature.npy", header: temperatureNpy,
                                     range: 0..<series.count, into: $0.baseAddress!, as: .float64)
        }
        XCTAssertEqual(a.filter(\.isNaN).count, 1350)
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern))
    }

    func testTruncatedHDF5FileIsReportedAsTruncated() throws {
        try H5TestSupport.python("""
            import numpy as np, h5py
            with h5py.File('c.h5', 'w') as f:
                f['x'] = np.arange(100000.0)
            data = open('c.h5', 'rb').read()
            open('cut.h5', 'wb').write(data[: len(data) // 2])
            """, in: directory)
        assertError(.truncated, [path("cut.h5") + ": truncated"]) {
            _ = try HDF5.datasetInfo(file: path("cut.h5"), dataset: "/x")
        }
    }
}
