import Foundation
import Multiprocessing
import XCTest
@testable import SharedArrays

/// Sizes from files, flags and references are computed without overflow: a hostile size is an error
/// naming it, never a trap.
final class CheckedSizeTests: XCTestCase {
    func testSizeLimitParsesSuffixesAndRefusesOverflow() throws {
        XCTAssertEqual(try SizeLimit(parsing: "1000").bytes, 1000)
        XCTAssertEqual(try SizeLimit(parsing: "512M").bytes, 512 << 20)
        XCTAssertEqual(try SizeLimit(parsing: "8G").bytes, 8 << 30)
        XCTAssertEqual(try SizeLimit(parsing: "8GiB").bytes, 8 << 30)
        XCTAssertEqual(try SizeLimit(parsing: "1T").bytes, 1 << 40)
        XCTAssertEqual(try SizeLimit(parsing: "64k").bytes, 64 << 10)
        XCTAssertEqual(try SizeLimit(parsing: "2^33").bytes, 1 << 33)
        XCTAssertEqual(try SizeLimit(parsing: "7E").bytes, 7 << 60)
        for bad in ["8E", "9000000000G", "2^63", "10^19", "99999999999999999999", "-1", "1.5G", "G", "", "12Q", "0x10"] {
            XCTAssertThrowsError(try SizeLimit(parsing: bad), bad) { XCTAssertTrue("\($0)".contains("not a size"), "\($0)") }
        }
        XCTAssertEqual(CheckedSize.parse("2^62"), 1 << 62)
        XCTAssertNil(CheckedSize.parse("3^40"))
        XCTAssertEqual(CheckedSize.parse("1^1000"), 1)
    }

    func testDefaultSizeLimitIsTheSmallerOfOneTebibyteAndPhysicalMemory() throws {
        let physical = try XCTUnwrap(SizeLimit.physicalMemory())
        XCTAssertEqual(SizeLimit.default.bytes, min(1 << 40, physical))
        XCTAssertGreaterThan(SizeLimit.default.bytes, 1 << 28)
    }

    func testDeclaredSizesPastIntMaxAreRefusedWithTheirSize() {
        let limit = SizeLimit.unlimited
        XCTAssertNil(limit.admittedBytes(shape: [1 << 62], elementSize: 8))
        XCTAssertNil(limit.admittedBytes(shape: [1 << 32, 1 << 32], elementSize: 1))
        XCTAssertNil(limit.admittedBytes(shape: [-1], elementSize: 8))
        XCTAssertNil(CheckedSize.elementCount([1 << 62, 1 << 62, 1 << 62, 0]), "numpy refuses this shape too")
        XCTAssertEqual(CheckedSize.elementCount([1 << 62, 0]), 0)
        XCTAssertNil(limit.admittedBytes(shape: [1 << 32, 1 << 28], elementSize: 8), "2^63 bytes")
        XCTAssertEqual(limit.admittedBytes(shape: [1 << 32, 1 << 27], elementSize: 8), 1 << 62)
        XCTAssertThrowsError(try SizeLimit(bytes: 100).admit(shape: [1 << 62], dtype: .float64, path: "x.h5", dataset: "/big")) {
            let error = $0 as? ArrayIOError
            XCTAssertEqual(error?.kind, .tooLarge)
            XCTAssertEqual(error?.path, "x.h5")
            let text = "\($0)"
            for part in ["x.h5:/big", "[4611686018427387904]", "float64", "32.0 EiB", "100 bytes", "--max-bytes"] {
                XCTAssertTrue(text.contains(part), "'\(text)' lacks '\(part)'")
            }
        }
        XCTAssertEqual(try SizeLimit(bytes: 80).admit(shape: [10], dtype: .float64, path: "x.npy"), 80)
    }

    func testSharedArrayWithUnaddressableShapeIsAnErrorNotATrap() throws {
        let pool = try TestPools.pool(1)
        for shape in [[1 << 62], [1 << 32, 1 << 32], [Int.max, 2]] {
            XCTAssertThrowsError(try SharedArray<Double>(zeros: shape, on: pool), "\(shape)") {
                XCTAssertTrue("\($0)".contains("more than can be addressed"), "\($0)")
            }
        }
        let small = try SharedArray<Double>([1, 2, 3, 4], on: pool)
        XCTAssertThrowsError(try small.reshaped([1 << 32, 1 << 32]))
        XCTAssertThrowsError(try SharedArray<Double>([1, 2], shape: [Int.max, 3], on: pool))
        XCTAssertEqual(try small.strided(from: 1, by: Int.max).count, 1)
        XCTAssertEqual(try small.strided(from: 0, by: 3).toArray(), [1, 4])
    }

    func testChunkPlanOfAHugeCountDoesNotOverflow() {
        let plan = ChunkPlan(count: Int.max, elementSize: 8)
        XCTAssertGreaterThan(plan.chunkCount, 0)
        XCTAssertEqual(plan.range(of: plan.chunkCount - 1).upperBound, Int.max)
        let aligned = ChunkPlan(count: Int.max - 1, elementSize: 1, alignment: 1 << 40, targetBytes: 1 << 20)
        XCTAssertEqual(aligned.range(of: aligned.chunkCount - 1).upperBound, Int.max - 1)
        let rows = ChunkPlan(rows: 10, rowLength: Int.max, elementSize: 8)
        XCTAssertEqual(rows.chunkCount, 10)
    }

    /// A reference decoded from bytes someone else wrote (a forged or damaged task input) with a huge
    /// shape or offset is refused when used; its count does not trap either.
    func testForgedReferenceWithHugeShapeOrOffsetIsAnError() throws {
        let pool = try TestPools.pool(2)
        let array = try SharedArray<Double>((0..<1000).map(Double.init), on: pool)
        let honest = try BinaryEncoder().encode(try array.reference())
        let forgeries: [(String, (inout ForgedReferenceFields) -> Void)] = [
            ("2^62 elements", { $0.shape = [1 << 62] }),
            ("2^32 x 2^32", { $0.shape = [1 << 32, 1 << 32] }),
            ("Int.max x 2", { $0.shape = [Int.max, 2] }),
            ("negative", { $0.shape = [-1000] }),
            ("three dimensions", { $0.shape = [10, 10, 10] }),
            ("offset past Int.max", { $0.elementOffset = Int.max }),
            ("negative offset", { $0.elementOffset = -1 }),
            ("offset within, end past", { $0.elementOffset = 999; $0.shape = [2] }),
        ]
        for (name, forge) in forgeries {
            var fields = try BinaryDecoder().decode(ForgedReferenceFields.self, from: honest)
            forge(&fields)
            let reference = try BinaryDecoder().decode(
                SharedArrayReference<Double>.self, from: try BinaryEncoder().encode(fields))
            _ = reference.count
            XCTAssertThrowsError(try reference.toArray(), name) {
                XCTAssertTrue("\($0)".contains("does not fit"), "\(name): \($0)")
            }
        }
    }
}

/// A reference's fields, to forge a hostile one.
struct ForgedReferenceFields: Codable {
    var segment: SegmentReference
    var elementOffset: Int
    var shape: [Int]
}

extension CheckedSizeTests {
    /// Data spanning more than Double.max (a file's values, histogrammed with the autodetected range)
    /// and absurd bin counts are answers or errors, never a trap converting NaN to Int.
    func testHistogramOfValuesSpanningMoreThanDoubleMaxDoesNotTrap() throws {
        let pool = try TestPools.pool(2)
        let x = try SharedArray<Double>([-Double.greatestFiniteMagnitude, 0, 1, Double.greatestFiniteMagnitude], on: pool)
        let (counts, edges) = try x.histogram(bins: 4)
        XCTAssertEqual(counts.reduce(0, +), 4)
        XCTAssertEqual(edges.count, 5)
        XCTAssertThrowsError(try x.histogram(bins: Int.max, range: 0...1))
        XCTAssertThrowsError(try x.histogram(bins: Int.max / 2, range: 0...1))
    }
}

extension CheckedSizeTests {
    /// `data[i::k]` with an absurd k: the counts do not overflow, and a k asking for billions of empty
    /// parts is an error instead of an allocation that kills the process.
    func testStridedPartitionWithHugeKIsAnErrorOrEmptyParts() throws {
        let pool = try TestPools.pool(1)
        let x = try SharedArray<Double>((0..<10).map(Double.init), on: pool)
        let many = try x.strided(by: 1 << 12)
        XCTAssertEqual(many.counts().prefix(11), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0])
        XCTAssertEqual(try many.meanOfMeans(), 4.5)
        XCTAssertThrowsError(try x.strided(by: Int.max)) { XCTAssertTrue("\($0)".contains("parts"), "\($0)") }
        XCTAssertThrowsError(try x.strided(by: (1 << 20) + 1))
        XCTAssertEqual(try x.strided(by: 3).counts(), [4, 3, 3])
    }
}
