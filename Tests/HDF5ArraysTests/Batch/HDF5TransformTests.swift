import Foundation
import XCTest
import HDF5Arrays
import SharedArrays

final class HDF5TransformTests: XCTestCase {
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

    func testMapKeepsShapeWritesProvenanceAndKeepsOtherDatasetsOfTheOutput() throws {
        try BatchFixtures.writeSeries(path("in.h5"), count: 1000)
        try BatchFixtures.writeSeries(path("out.h5"), count: 10, start: 7)   // an existing output with /x
        let result = try HDF5Transform.map(
            .scale(2), file: path("in.h5"), dataset: "/x", to: path("out.h5"), dataset: "/results/doubled", gzipLevel: 3,
            on: pool)
        XCTAssertEqual(result.shape, [1000])
        XCTAssertEqual(try HDF5.listDatasets(file: path("out.h5")).map(\.path), ["/results/doubled", "/x"])
        let info = try HDF5.datasetInfo(file: path("out.h5"), dataset: "/results/doubled")
        XCTAssertEqual(info.layout, .chunked)
        XCTAssertEqual(info.filters, ["shuffle", "gzip"])
        let doubled = try SharedArray<Double>.load(hdf5: path("out.h5"), dataset: "/results/doubled", on: pool)
        XCTAssertEqual(doubled.toArray(), (0..<1000).map { Double($0) })
        let kept = try SharedArray<Double>.load(hdf5: path("out.h5"), dataset: "/x", on: pool)
        XCTAssertEqual(kept[0], 7)
        let attributes = Dictionary(uniqueKeysWithValues: try HDF5.attributes(file: path("out.h5"), object: "/results/doubled")
            .map { ($0.name, $0.value) })
        XCTAssertEqual(attributes["operation"], .string("scale:2.0"))
        XCTAssertEqual(attributes["source_dataset"], .string("/x"))
        XCTAssertEqual(attributes["source_file"], .string(path("in.h5")))
        XCTAssertEqual(attributes["tool"], .string("mproc"))
        XCTAssertEqual(attributes["tool_version"], .string(HDF5Batch.toolVersion))

        // An existing dataset is replaced only when asked, and then the rest of the file stays.
        XCTAssertThrowsError(try HDF5Transform.map(.sqrt, file: path("in.h5"), dataset: "/x", to: path("out.h5"),
                                                   dataset: "/x", on: pool)) { error in
            XCTAssertTrue("\(error)".contains("out.h5:/x: exists"), "\(error)")
        }
        try HDF5Transform.map(.sqrt, file: path("in.h5"), dataset: "/x", to: path("out.h5"), dataset: "/x", overwrite: true,
                              on: pool)
        let replaced = try SharedArray<Double>.load(hdf5: path("out.h5"), dataset: "/x", on: pool)
        XCTAssertEqual(replaced.count, 1000)
        XCTAssertEqual(replaced[8], 2)   // sqrt(8 * 0.5)
        XCTAssertEqual(try HDF5.listDatasets(file: path("out.h5")).count, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), ["in.h5", "out.h5"])
    }

    func testMapIntoTheSourceFileAndOfAnNDDataset() throws {
        let writer = try HDF5Writer(path: path("cube.h5"))
        try writer.createDataset("/cube", dtype: .int32, shape: [4, 3, 5], chunkRows: 2, gzipLevel: 1)
        let values = (0..<60).map { Int32($0 - 30) }
        try values.withUnsafeBytes { try writer.writeElements(dataset: "/cube", range: 0..<60, from: $0.baseAddress!, dtype: .int32) }
        try writer.close()
        let result = try HDF5Transform.map(.clip(lower: -5, upper: 5), file: path("cube.h5"), dataset: "/cube",
                                           to: path("cube.h5"), dataset: "/clipped", dtype: .float32, on: pool)
        XCTAssertEqual(result.dtype, .float32)
        let info = try HDF5.datasetInfo(file: path("cube.h5"), dataset: "/clipped")
        XCTAssertEqual(info.shape, [4, 3, 5])
        XCTAssertEqual(info.dtype, .float32)
        let clipped = try SharedArray<Float>.load(hdf5: path("cube.h5"), dataset: "/clipped", on: pool)
        XCTAssertEqual(clipped.toArray(), values.map { Float(min(max($0, -5), 5)) })
    }
}
