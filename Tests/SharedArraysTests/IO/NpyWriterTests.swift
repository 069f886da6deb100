import Foundation
import XCTest
@testable import SharedArrays

/// Writes .npy files in ranges and checks them with our reader and with numpy.
final class NpyWriterTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try NpyTestSupport.makeDirectory()
    }

    override func tearDown() {
        NpyTestSupport.removeDirectory(directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    func testHeaderMatchesNumpyLayout() throws {
        let header = NpyWriter.headerBytes(dtype: .float64, shape: [3, 4])
        XCTAssertEqual(header.count, 128)
        let text = String(decoding: header[10...], as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }"), text)
        XCTAssertTrue(text.hasSuffix(" \n"))
        XCTAssertTrue(String(decoding: NpyWriter.headerBytes(dtype: .uint8, shape: [7])[10...], as: UTF8.self)
            .hasPrefix("{'descr': '|u1', 'fortran_order': False, 'shape': (7,), }"))
        XCTAssertTrue(String(decoding: NpyWriter.headerBytes(dtype: .int16, shape: [])[10...], as: UTF8.self)
            .contains("'shape': ()"))
        // A huge shape needs format 2.0.
        let big = NpyWriter.headerBytes(dtype: .float32, shape: Array(repeating: 1, count: 30_000))
        XCTAssertEqual(big[6], 2)
        XCTAssertEqual(big.count % 64, 0)
    }

    func testRoundTripEveryDTypeReadByOurReader() throws {
        for dtype in DType.allCases {
            let file = path("rt_\(dtype.rawValue).npy")
            let shape = [25, 4]
            let writer = try NpyWriter.create(path: file, dtype: dtype, shape: shape)
            let values = (0..<100).map { Double($0 % 50) * (dtype == .uint8 ? 1 : -1.5) }
            let raw = UnsafeMutableRawPointer.allocate(byteCount: 100 * dtype.byteSize, alignment: 16)
            defer { raw.deallocate() }
            values.withUnsafeBytes {
                ElementConversion.convert(from: $0.baseAddress!, source: .float64, swapBytes: false, to: raw,
                                          target: dtype, count: 100)
            }
            // Out of order, unaligned pieces.
            for range in [60..<100, 0..<7, 7..<60] {
                try writer.writeElements(range: range, from: raw + range.lowerBound * dtype.byteSize)
            }
            let header = try NpyHeader.read(path: file)
            XCTAssertEqual(header, NpyHeader(dtype: dtype, isBigEndian: false, shape: shape, dataOffset: writer.dataOffset,
                                             count: 100))
            var back = [Double](repeating: 0, count: 100)
            try back.withUnsafeMutableBytes {
                try NpyFile.readElements(path: file, header: header, range: 0..<100, into: $0.baseAddress!, as: .float64)
            }
            let expected = values.map { dtype.isFloatingPoint ? $0 : $0.rounded(.towardZero) }
            XCTAssertEqual(back, expected, dtype.rawValue)
        }
    }

    func testConcurrentRangeWritersAndNumpyReadsTheResult() throws {
        let shape = [1000, 3]
        let count = 3000
        let file = path("parallel.npy")
        let writer = try NpyWriter.create(path: file, dtype: .float64, shape: shape)
        let values = (0..<count).map { Double($0) * 0.5 - 7 }
        let pieces = 8
        // Each piece opens its own descriptor, as each worker process does.
        let failures = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let lo = count * piece / pieces, hi = count * (piece + 1) / pieces
            values.withUnsafeBytes { raw in
                do {
                    try NpyWriter.writeElements(path: file, dataOffset: writer.dataOffset, dtype: .float64,
                                                range: lo..<hi, from: raw.baseAddress! + lo * 8)
                } catch {
                    failures.increment()
                }
            }
        }
        XCTAssertEqual(failures.value, 0)
        try writeSmallFiles()
        try NpyTestSupport.python("""
            import numpy as np
            a = np.load('parallel.npy')
            assert a.dtype == np.dtype('<f8') and a.shape == (1000, 3), (a.dtype, a.shape)
            assert np.array_equal(a, (np.arange(3000) * 0.5 - 7).reshape(1000, 3))
            with open('parallel.npy', 'rb') as f:
                head = f.read(10)
            assert head[6] == 1 and (10 + head[8] + 256 * head[9]) % 64 == 0
            s = np.load('scalar.npy'); assert s.shape == () and s.dtype == np.int32 and s == 42, s
            e = np.load('empty.npy'); assert e.shape == (0, 4) and e.dtype == np.float32
            u = np.load('bytes.npy'); assert u.dtype == np.uint8 and list(u) == [0, 1, 254, 255]
            """, in: directory)
    }

    private func writeSmallFiles() throws {
        var answer: Int32 = 42
        try NpyWriter.create(path: path("scalar.npy"), dtype: .int32, shape: []).writeElements(range: 0..<1, from: &answer)
        _ = try NpyWriter.create(path: path("empty.npy"), dtype: .float32, shape: [0, 4])
        let bytes: [UInt8] = [0, 1, 254, 255]
        try bytes.withUnsafeBytes {
            try NpyWriter.create(path: path("bytes.npy"), dtype: .uint8, shape: [4]).writeElements(range: 0..<4, from: $0.baseAddress!)
        }
    }

    func testWriterErrorsNameTheFile() throws {
        XCTAssertThrowsError(try NpyWriter.create(path: path("no/such/dir/x.npy"), dtype: .float64, shape: [3])) { error in
            XCTAssertTrue("\(error)".contains("no/such/dir/x.npy"), "\(error)")
        }
        let writer = try NpyWriter.create(path: path("x.npy"), dtype: .float64, shape: [3])
        var value = 1.0
        XCTAssertThrowsError(try writer.writeElements(range: 2..<4, from: &value)) { error in
            XCTAssertEqual((error as? ArrayIOError)?.kind, .invalidArgument)
            XCTAssertTrue("\(error)".contains("x.npy"))
        }
        XCTAssertThrowsError(try NpyWriter.create(path: path("neg.npy"), dtype: .float64, shape: [3, -1]))
    }
}

/// A counter several threads may bump.
private final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
