import Foundation
import XCTest
@testable import HDF5Arrays
import SharedArrays
import TestSupport

/// Damaged storage fields (from Tests/Fixtures/make_damaged_hdf5.py) are errors naming the file, the dataset and
/// the sizes, in both read paths, before HDF5 reads a byte; where HDF5 still reads the right bytes, the values
/// are the original's.
final class HDF5StorageCheckTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try H5TestSupport.makeDirectory()
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        try H5TestSupport.require()
        try PythonReference.run(["python3", root.path + "/Tests/Fixtures/make_damaged_hdf5.py", directory], in: directory)
    }

    override func tearDown() { H5TestSupport.removeDirectory(directory) }

    private func file(_ name: String) -> String { directory + "/" + name + ".h5" }

    /// Reads every element of `dataset` as float64 through the H5Dread path.
    private func readAll(_ path: String, _ dataset: String) throws -> [Double] {
        let reader = try HDF5DatasetReader(file: path, dataset: dataset, field: nil, rawChunks: false)
        defer { reader.close() }
        var values = [Double](repeating: 0, count: reader.info.count)
        try values.withUnsafeMutableBytes { try reader.readElements(range: 0..<reader.info.count, into: $0.baseAddress!, as: .float64) }
        return values
    }

    /// Reads every element through the raw-chunk lane (nil when libdeflate is missing or the lane does not apply).
    private func readAllRawChunks(_ path: String, _ dataset: String) throws -> [Double]? {
        let reader = try HDF5DatasetReader(file: path, dataset: dataset)
        guard reader.inflatesRawChunks(as: .float64) else { return nil }
        defer { reader.close() }
        var values = [Double](repeating: 0, count: reader.info.count)
        try values.withUnsafeMutableBytes { try reader.readElements(range: 0..<reader.info.count, into: $0.baseAddress!, as: .float64) }
        return values
    }

    private func assertRefused(_ body: () throws -> Any?, _ expected: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let message = String(describing: error)
            for part in expected { XCTAssertTrue(message.contains(part), "'\(part)' missing from: \(message)", file: file, line: line) }
        }
    }

    func testCompactDatasetDeclaringMoreThanItsStoredBytesIsAnErrorNotACrash() throws {
        // HDF5 1.10.8 segfaulted in memcpy on the first file and read a byte past the buffer on the second.
        assertRefused({ try self.readAll(self.file("compact_dims_1048576"), "/compact") },
                      ["compact_dims_1048576.h5", "/compact", "declares 1048576 bytes", "holds 2000 bytes"])
        assertRefused({ try HDF5DatasetReader(file: self.file("compact_dims_2001"), dataset: "compact") },
                      ["/compact", "declares 2001 bytes", "compact storage holds 2000 bytes"])
        XCTAssertEqual(try readAll(file("good"), "/compact"), (0..<2000).map { Double($0 % 251) })
    }

    func testContiguousDatasetDeclaringMoreThanItsStorageIsAnError() throws {
        assertRefused({ try HDF5DatasetReader(file: self.file("contig_dims_3001"), dataset: "/contig") },
                      ["contig_dims_3001.h5", "/contig", "declares 12004 bytes", "contiguous storage holds 12000 bytes"])
        XCTAssertEqual(try readAll(file("good"), "/contig"), (0..<3000).map(Double.init))
    }

    func testChunkRecordPastTheEndOfTheFileIsAnErrorInBothReadPaths() throws {
        let path = file("gz_chunk3_address_past_eof")
        assertRefused({ try self.readAll(path, "/gz") }, ["/gz", "chunk [12000]", "ends past the file's"])
        assertRefused({ try self.readAllRawChunks(path, "/gz") }, ["/gz", "chunk [12000]", "ends past the file's"])
        // The chunks before it are fine, and a read that does not reach it works.
        let reader = try HDF5DatasetReader(file: path, dataset: "/gz")
        var head = [Double](repeating: 0, count: 12000)
        try head.withUnsafeMutableBytes { try reader.readElements(range: 0..<12000, into: $0.baseAddress!, as: .float64) }
        XCTAssertEqual(head, (0..<12000).map(Double.init))
    }

    /// HDF5 (1.10 and h5py's 2.0) reads such a chunk as its stored bytes followed by uninitialised memory.
    func testChunkRecordSkippingEveryFilterWithFewerBytesIsRefusedInBothReadPaths() throws {
        let path = file("gz_chunk2_all_filters_skipped")
        assertRefused({ try self.readAll(path, "/gz") }, ["/gz", "chunk [8000] skips every filter", "of 32000 bytes"])
        assertRefused({ try self.readAllRawChunks(path, "/gz") }, ["/gz", "chunk [8000] skips every filter"])
    }

    /// HDF5 takes a 0-byte record at an address as present and returns its read buffer unfilled.
    func testUnfilteredChunkRecordOfZeroBytesIsRefused() throws {
        assertRefused({ try self.readAll(self.file("raw_chunk1_zero_bytes"), "/raw") },
                      ["raw_chunk1_zero_bytes.h5", "/raw", "chunk [4000] has an address but stores 0 bytes"])
    }

    /// Past 1024 chunks the check is a B-tree lookup per chunk plus the filter mask of a direct read, not the
    /// whole record: the same damage is still refused in both paths.
    func testDamagedRecordInADatasetOfManyChunksIsRefusedInBothReadPaths() throws {
        let skipped = file("many_chunk1500_all_filters_skipped")
        assertRefused({ try self.readAll(skipped, "/many") }, ["/many", "chunk [15000] skips every filter"])
        assertRefused({ try self.readAllRawChunks(skipped, "/many") }, ["/many", "chunk [15000] skips every filter"])
        let zero = file("many_chunk1200_zero_bytes")
        assertRefused({ try self.readAll(zero, "/many") }, ["/many", "chunk [12000] has an address but stores 0 bytes"])
        assertRefused({ try self.readAllRawChunks(zero, "/many") }, ["/many", "chunk [12000] has an address but stores 0 bytes"])
        XCTAssertEqual(try readAll(file("good"), "/many"), (0..<20000).map(Double.init))
        if let raw = try readAllRawChunks(file("good"), "/many") { XCTAssertEqual(raw, (0..<20000).map(Double.init)) }
    }

    /// h5py reads this file with the original values (gzip stops at the end of its stream): so must both paths.
    func testChunkRecordClaimingMoreBytesThanItsStreamGivesTheOriginalValues() throws {
        let path = file("gz_chunk4_size_doubled")
        let original = (0..<40000).map(Double.init)
        XCTAssertEqual(try readAll(path, "/gz"), original)
        if let raw = try readAllRawChunks(path, "/gz") { XCTAssertEqual(raw, original) }
    }

    func testUndamagedFileReadsInBothPaths() throws {
        let path = file("good")
        XCTAssertEqual(try readAll(path, "/gz"), (0..<40000).map(Double.init))
        XCTAssertEqual(try readAll(path, "/raw"), (0..<40000).map { 2 * Double($0) })
        if let raw = try readAllRawChunks(path, "/gz") { XCTAssertEqual(raw, (0..<40000).map(Double.init)) }
    }

    /// HDF5 2.0 refuses these ("bad coordinate offset"); HDF5 1.10.8 read them as another chunk or as fill values.
    func testChunkKeyWithDamagedOffsetIsRefusedInBothReadPaths() throws {
        let cases = [("gz_chunk3_offset_past_extent", "not a chunk of shape [4000] inside [40000]"),
                     ("gz_chunk3_offset_of_chunk2", "damaged chunk index"),
                     ("gz_chunk3_element_offset_8", "the search for chunk [12000] does not find record 3")]
        for (name, reason) in cases {
            assertRefused({ try self.readAll(self.file(name), "/gz") }, [name + ".h5", "/gz", reason])
            assertRefused({ try self.readAllRawChunks(self.file(name), "/gz") }, [name + ".h5", "/gz", reason])
        }
    }

    /// HDF5 1.10.8 read the other chunk's numbers; h5py refuses.
    func testChunkRecordPointingIntoAnotherChunksBytesIsRefusedInBothReadPaths() throws {
        let path = file("gz_chunk3_address_of_chunk2")
        assertRefused({ try self.readAll(path, "/gz") }, ["/gz", "records 2 and 3 share bytes"])
        assertRefused({ try self.readAllRawChunks(path, "/gz") }, ["/gz", "records 2 and 3 share bytes"])
    }

    /// HDF5 2.0 (h5py) reads such a chunk as 1 byte and uninitialised memory; 1.10.8 as the full chunk.
    func testUnfilteredChunkRecordStoringFewerBytesThanTheChunkIsRefused() throws {
        assertRefused({ try self.readAll(self.file("raw_chunk1_size_1"), "/raw") },
                      ["raw_chunk1_size_1.h5", "/raw", "unfiltered chunk [4000] stores 1 of its 32000 bytes"])
    }

    /// HDF5 1.10.8 spun in H5Dread (H5S_copy, gigabytes) on a chunked dataset whose dataspace became scalar.
    func testScalarDataspaceWithChunkedLayoutIsRefusedBeforeAnyRead() throws {
        let path = file("many_scalar_space")
        assertRefused({ try HDF5DatasetReader(file: path, dataset: "/many") },
                      ["many_scalar_space.h5", "/many", "a scalar dataspace with 1-dimensional chunks"])
        // The raw-chunk reader does not take it (batch then uses the reader above): refused or declined.
        XCTAssertNil(try? readAllRawChunks(path, "/many") ?? nil)
    }

    func testDimensionPastItsMaximumIsRefused() throws {
        assertRefused({ try HDF5DatasetReader(file: self.file("contig_dims_3001_max_3000"), dataset: "/contig") },
                      ["/contig", "dimension 0 has size 3001, more than its maximum 3000"])
    }

    /// HDF5 2.0 refuses a compact shape that does not match its bytes and an empty contiguous shape at an
    /// allocated address, and reads a shorter contiguous shape as the prefix of its storage: so does mproc.
    func testStorageLargerThanTheShapeFollowsH5py() throws {
        assertRefused({ try HDF5DatasetReader(file: self.file("compact_dims_1999"), dataset: "/compact") },
                      ["/compact", "declares 1999 bytes, the compact storage holds 2000 bytes"])
        assertRefused({ try HDF5DatasetReader(file: self.file("contig_dims_0"), dataset: "/contig") },
                      ["/contig", "declares 0 bytes, the contiguous storage holds 12000 bytes"])
        XCTAssertEqual(try readAll(file("contig_dims_2999"), "/contig"), (0..<2999).map(Double.init))
    }

    /// HDF5 1.10.8 converts any float field layout bit by bit; HDF5 2.0 and h5py refuse one that is not IEEE.
    func testFloatTypeWithFieldsPastItsPrecisionIsRefused() throws {
        assertRefused({ try HDF5DatasetReader(file: self.file("contig_float_mantissa_30"), dataset: "/contig") },
                      ["/contig", "4-byte float", "not IEEE 754"])
    }
}
