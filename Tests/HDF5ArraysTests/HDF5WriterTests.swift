import Foundation
import XCTest
@testable import HDF5Arrays
import SharedArrays

/// Writes HDF5 files and checks them with our reader and with h5py.
final class HDF5WriterTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try H5TestSupport.makeDirectory()
    }

    override func tearDown() {
        H5TestSupport.removeDirectory(directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private func write<T>(_ writer: HDF5Writer, _ dataset: String, _ values: [T], _ range: Range<Int>, _ dtype: DType) throws {
        try values.withUnsafeBytes {
            try writer.writeElements(dataset: dataset, range: range,
                                     from: $0.baseAddress! + range.lowerBound * MemoryLayout<T>.stride, dtype: dtype)
        }
    }

    func testRoundTripReadByH5pyAndByUs() throws {
        let file = path("out.h5")
        let writer = try HDF5Writer(path: file)
        // 2-D float64, chunked + shuffle + gzip, written in unaligned pieces out of order.
        let grid = (0..<(300 * 7)).map { Double($0) * 0.25 - 100 }
        try writer.createDataset("/results/grid", dtype: .float64, shape: [300, 7], chunkRows: 64, gzipLevel: 5,
                                 shuffle: true)
        for range in [(7 * 150)..<(300 * 7), 0..<10, 10..<(7 * 150)] {
            try write(writer, "/results/grid", grid, range, .float64)
        }
        // 1-D int32 written from Int64 values (HDF5 converts), contiguous.
        let ints = (0..<1000).map { Int64($0 * 3 - 1500) }
        try writer.createDataset("counts", dtype: .int32, shape: [1000])
        try write(writer, "counts", ints, 0..<400, .int64)
        try write(writer, "counts", ints, 400..<1000, .int64)
        // uint8, float32, int16 and a scalar; gzip without explicit chunk rows.
        let bytes = (0..<256).map { UInt8($0) }
        try writer.createDataset("/deep/a/b/bytes", dtype: .uint8, shape: [16, 16], gzipLevel: 1)
        try write(writer, "/deep/a/b/bytes", bytes, 0..<256, .uint8)
        let floats = (0..<50).map { Float($0) / 8 }
        try writer.createDataset("/f32", dtype: .float32, shape: [5, 10], chunkRows: 2)
        try write(writer, "/f32", floats, 0..<50, .float32)
        let shorts = (0..<24).map { Int16($0 * -1000) }
        try writer.createDataset("/i16", dtype: .int16, shape: [2, 3, 4])
        try write(writer, "/i16", shorts, 0..<24, .int16)
        let scalar = [42.5]
        try writer.createDataset("/scalar", dtype: .float64, shape: [])
        try write(writer, "/scalar", scalar, 0..<1, .float64)
        try writer.createDataset("/empty", dtype: .float64, shape: [0, 4], chunkRows: 8)
        // Attributes of every kind, on the root, a group and a dataset; one replaced.
        try writer.setAttribute(name: "title", value: "round trip ✓")
        try writer.setAttribute(name: "version", value: 3)
        try writer.setAttribute(name: "version", value: 4)
        try writer.setAttribute(name: "scale", value: 0.125)
        try writer.setAttribute(name: "units", value: "degC", on: "/results/grid")
        try writer.setAttribute(name: "rows", value: 300, on: "/results/grid")
        try writer.setAttribute(name: "weights", value: .doubles([0.5, 1.5]), on: "/results")
        try writer.setAttribute(name: "ids", value: .ints([3, 1, 2]), on: "/results")
        try writer.close()
        try writer.close()  // idempotent
        XCTAssertTrue(writer.isClosed)

        try H5TestSupport.python("""
            import numpy as np, h5py
            with h5py.File('out.h5', 'r') as f:
                g = f['results/grid']
                assert g.dtype == np.dtype('<f8') and g.shape == (300, 7), (g.dtype, g.shape)
                assert g.chunks == (64, 7) and g.compression == 'gzip' and g.compression_opts == 5 and g.shuffle
                assert np.array_equal(g[...], (np.arange(2100) * 0.25 - 100).reshape(300, 7))
                c = f['counts']
                assert c.dtype == np.dtype('<i4') and c.chunks is None
                assert np.array_equal(c[...], np.arange(1000) * 3 - 1500)
                b = f['deep/a/b/bytes']
                assert b.dtype == np.uint8 and b.compression == 'gzip' and b.chunks == (16, 16)
                assert np.array_equal(b[...].ravel(), np.arange(256))
                assert np.array_equal(f['f32'][...], (np.arange(50) / 8).astype('<f4').reshape(5, 10))
                assert f['f32'].chunks == (2, 10)
                assert np.array_equal(f['i16'][...], (np.arange(24) * -1000).reshape(2, 3, 4))
                assert f['scalar'][()] == 42.5 and f['scalar'].shape == ()
                assert f['empty'].shape == (0, 4)
                assert f.attrs['title'] == 'round trip \\u2713', repr(f.attrs['title'])
                assert f.attrs['version'] == 4 and f.attrs['version'].dtype == np.int64
                assert f.attrs['scale'] == 0.125
                assert g.attrs['units'] == 'degC' and g.attrs['rows'] == 300
                assert list(f['results'].attrs['weights']) == [0.5, 1.5]
                assert list(f['results'].attrs['ids']) == [3, 1, 2]
            """, in: directory)

        // And our own reader agrees.
        var back = [Double](repeating: 0, count: 2100)
        try back.withUnsafeMutableBytes {
            try HDF5.readElements(file: file, dataset: "/results/grid", range: 0..<2100, into: $0.baseAddress!, as: .float64)
        }
        XCTAssertEqual(back, grid)
        let info = try HDF5.datasetInfo(file: file, dataset: "/results/grid")
        XCTAssertEqual(info.filters, ["shuffle", "gzip"])
        XCTAssertEqual(info.chunkShape, [64, 7])
        XCTAssertEqual(try HDF5.datasetInfo(file: file, dataset: "/deep/a/b/bytes").chunkShape, [16, 16])
        let attributes = try HDF5.attributes(file: file)
        XCTAssertEqual(attributes.map(\.name), ["scale", "title", "version"])
        XCTAssertEqual(attributes.map(\.value), [.double(0.125), .string("round trip ✓"), .int(4)])
        XCTAssertEqual(try HDF5.attributes(file: file, object: "/results").map(\.value), [.ints([3, 1, 2]), .doubles([0.5, 1.5])])
    }

    func testReadersCanOpenTheFileWhileTheWriterHasItOpen() throws {
        let file = path("open.h5")
        let writer = try HDF5Writer(path: file)
        try writer.createDataset("/x", dtype: .float64, shape: [4])
        let values = [1.0, 2.0, 3.0, 4.0]
        try write(writer, "/x", values, 0..<4, .float64)
        try writer.flush()
        // Another process (h5py, locking off) opens it while the writer still holds it open.
        try H5TestSupport.python("""
            import os
            os.environ['HDF5_USE_FILE_LOCKING'] = 'FALSE'
            import h5py
            with h5py.File('open.h5', 'r', locking=False) as f:
                assert list(f['x'][...]) == [1.0, 2.0, 3.0, 4.0]
            """, in: directory)
        // And a reader in this process too.
        var back = [Double](repeating: 0, count: 4)
        try back.withUnsafeMutableBytes {
            try HDF5.readElements(file: file, dataset: "/x", range: 0..<4, into: $0.baseAddress!, as: .float64)
        }
        XCTAssertEqual(back, values)
        try writer.close()
    }

    func testWriterErrors() throws {
        let file = path("errors.h5")
        XCTAssertThrowsError(try HDF5Writer(path: path("no/such/dir/x.h5"))) { error in
            XCTAssertTrue("\(error)".contains("no/such/dir/x.h5"), "\(error)")
        }
        let writer = try HDF5Writer(path: file)
        defer { try? writer.close() }
        try writer.createDataset("/a", dtype: .float64, shape: [10])
        let cases: [(String, () throws -> Void)] = [
            ("already exists", { try writer.createDataset("/a", dtype: .float64, shape: [10]) }),
            ("gzip level 12", { try writer.createDataset("/b", dtype: .float64, shape: [10], gzipLevel: 12) }),
            ("scalar dataset cannot be chunked", { try writer.createDataset("/c", dtype: .float64, shape: [], chunkRows: 1) }),
            ("chunkRows must be at least 1", { try writer.createDataset("/d", dtype: .float64, shape: [4], chunkRows: 0) }),
            ("no such dataset", { try self.write(writer, "/missing", [1.0], 0..<1, .float64) }),
            ("8..<12 is outside", { try self.write(writer, "/a", [Double](repeating: 0, count: 12), 8..<12, .float64) }),
        ]
        for (text, body) in cases {
            XCTAssertThrowsError(try body(), text) { error in
                XCTAssertTrue("\(error)".contains(file), "\(error)")
                XCTAssertTrue("\(error)".contains(text), "'\(error)' does not contain '\(text)'")
            }
        }
        try writer.close()
        XCTAssertThrowsError(try writer.createDataset("/z", dtype: .float64, shape: [1])) { error in
            XCTAssertTrue("\(error)".contains("closed"), "\(error)")
        }
    }
}
