import XCTest
@testable import SharedArrays

final class StridedMomentsTests: XCTestCase {
    /// Every class of every chunk against the reference over `data[r::k]` restricted to the chunk.
    private func check<E: SharedElement>(_: E.Type, needs: MomentNeeds, file: StaticString = #filePath, line: UInt = #line) {
        let data = kernelValues(E.self, count: 5_000, seed: 77)
        for k in [1, 2, 3, 5, 8, 13, 64, 65, 200] {
            for (start, end) in [(0, 5_000), (3, 1_000), (1_001, 1_040), (17, 17), (4_999, 5_000)] {
                let parts = data.withUnsafeBufferPointer {
                    stridedChunkMoments(UnsafeBufferPointer(rebasing: $0[start..<end]), firstIndex: start, stride: k, needs: needs)
                }
                XCTAssertEqual(parts.count, k, file: file, line: line)
                for r in 0..<k {
                    let indices = (start..<end).filter { $0 % k == r }
                    let ref = ReferenceMoments(indices.map { data[$0].asDouble })
                    let m = parts[r]
                    let what = "\(E.self) k=\(k) r=\(r) chunk=\(start)..<\(end)"
                    XCTAssertEqual(m.count, indices.count, what, file: file, line: line)
                    assertKernelClose(m.sum, ref.sum, relative: 1e-12, absolute: 1e-9, what, file: file, line: line)
                    if needs.contains(.variance) {
                        assertKernelClose(m.m2, ref.m2, relative: 1e-10, absolute: 1e-9, what, file: file, line: line)
                    }
                    if needs.contains(.argExtrema) && !indices.isEmpty {
                        XCTAssertEqual(m.min, ref.min, what, file: file, line: line)
                        XCTAssertEqual(m.argmin, indices[ref.argmin], what, file: file, line: line)
                        XCTAssertEqual(m.argmax, indices[ref.argmax], what, file: file, line: line)
                    }
                }
            }
        }
    }

    func testDoubleClasses() { check(Double.self, needs: [.sum, .variance]) }
    func testFloatClasses() { check(Float.self, needs: [.sum, .variance]) }
    func testInt32Classes() { check(Int32.self, needs: [.sum, .variance]) }
    func testInt64ClassesWithExtrema() { check(Int64.self, needs: .all) }
    func testDoubleClassesWithExtrema() { check(Double.self, needs: .all) }

    func testSeedExampleMeanOfMeansAcrossChunks() {
        // data[i::5] for i in 0..<5, chunked at odd places, merged per class, then count-weighted.
        let data = kernelValues(Double.self, count: 10_007, seed: 3)
        var classes = [Moments](repeating: .empty, count: 5)
        data.withUnsafeBufferPointer { all in
            var start = 0
            for len in [1, 4_000, 3, 6_003] {
                let parts = stridedChunkMoments(UnsafeBufferPointer(rebasing: all[start..<(start + len)]), firstIndex: start, stride: 5)
                for r in 0..<5 { classes[r] = Moments.merge(classes[r], parts[r]) }
                start += len
            }
        }
        for r in 0..<5 {
            let ref = ReferenceMoments(stride(from: r, to: data.count, by: 5).map { data[$0] })
            assertKernelClose(classes[r].mean(skipNaN: false), ref.mean, relative: 1e-12)
            assertKernelClose(classes[r].variance(ddof: 0, skipNaN: false), ref.m2 / Double(ref.count), relative: 1e-10)
        }
        let weighted = pairwiseCombine(classes, Moments.merge, identity: .empty)
        assertKernelClose(weighted.mean(skipNaN: false), ReferenceMoments(data).mean, relative: 1e-12)
    }

    func testNaNInOneClassOnly() {
        var data = kernelValues(Double.self, count: 1_000, seed: 4)
        data[503] = .nan  // class 503 % 4 == 3
        data[907] = .nan
        let parts = withKernelBuffer(data) { stridedChunkMoments($0, firstIndex: 0, stride: 4) }
        for r in 0..<3 { XCTAssertEqual(parts[r].nanCount, 0) }
        XCTAssertEqual(parts[3].nanCount, 2)
        XCTAssertEqual(parts[3].firstNaNIndex, 503)
        XCTAssertEqual(parts[3].count, 248)
        let ref = ReferenceMoments(stride(from: 3, to: 1_000, by: 4).map { data[$0] })
        assertKernelClose(parts[3].mean(skipNaN: true), ref.mean, relative: 1e-12)
        XCTAssertTrue(parts[3].mean(skipNaN: false).isNaN)
    }
}

final class ColumnMomentsTests: XCTestCase {
    private func check<E: SharedElement>(_: E.Type, file: StaticString = #filePath, line: UInt = #line) {
        for (rows, columns) in [(1, 1), (7, 3), (50, 8), (33, 17), (200, 64), (5, 130)] {
            var block = kernelValues(E.self, count: rows * columns, seed: UInt64(rows * 1000 + columns))
            if columns > 2 && rows > 3 {
                // A tie for the minimum in column 2: the first row must win.
                block[1 * columns + 2] = E(fromDouble: -1000)
                block[3 * columns + 2] = E(fromDouble: -1000)
            }
            var out = [Moments](repeating: .empty, count: columns)
            block.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer {
                    blockColumnMoments(b, rows: rows, columns: columns, firstRow: 100, needs: .all, into: $0)
                }
            }
            for c in 0..<columns {
                let column = (0..<rows).map { block[$0 * columns + c].asDouble }
                let ref = ReferenceMoments(column, firstIndex: 100)
                let m = out[c]
                let what = "\(E.self) \(rows)x\(columns) column \(c)"
                XCTAssertEqual(m.count, rows, what, file: file, line: line)
                assertKernelClose(m.sum, ref.sum, relative: 1e-12, absolute: 1e-9, what, file: file, line: line)
                assertKernelClose(m.m2, ref.m2, relative: 1e-10, absolute: 1e-9, what, file: file, line: line)
                assertKernelClose(m.sumOfSquares, ref.squares, relative: 1e-12, absolute: 1e-9, what, file: file, line: line)
                XCTAssertEqual(m.min, ref.min, what, file: file, line: line)
                XCTAssertEqual(m.max, ref.max, what, file: file, line: line)
                XCTAssertEqual(m.argmin, ref.argmin, what, file: file, line: line)
                XCTAssertEqual(m.argmax, ref.argmax, what, file: file, line: line)
                if !E.dtype.isFloatingPoint {
                    XCTAssertEqual(m.intSum, column.reduce(Int64(0)) { $0 &+ Int64($1) }, what, file: file, line: line)
                }
            }
            if columns > 2 && rows > 3 { XCTAssertEqual(out[2].argmin, 101, file: file, line: line) }
        }
    }

    func testDoubleColumns() { check(Double.self) }
    func testFloatColumns() { check(Float.self) }
    func testInt64Columns() { check(Int64.self) }
    func testInt32Columns() { check(Int32.self) }

    func testNaNColumnUsesExactPath() {
        let rows = 20, columns = 11
        var block = kernelValues(Double.self, count: rows * columns, seed: 12)
        block[5 * columns + 4] = .nan
        block[9 * columns + 4] = .nan
        var out = [Moments](repeating: .empty, count: columns)
        block.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer {
                blockColumnMoments(b, rows: rows, columns: columns, firstRow: 40, needs: .all, into: $0)
            }
        }
        XCTAssertEqual(out[4].nanCount, 2)
        XCTAssertEqual(out[4].firstNaNIndex, 45)
        XCTAssertEqual(out[4].argmin(skipNaN: false), 45)
        XCTAssertEqual(out[4].count, 18)
        let column = (0..<rows).map { block[$0 * columns + 4] }.filter { !$0.isNaN }
        assertKernelClose(out[4].mean(skipNaN: true), ReferenceMoments(column).mean, relative: 1e-12)
        for c in 0..<columns where c != 4 { XCTAssertEqual(out[c].nanCount, 0) }
        let ref3 = ReferenceMoments((0..<rows).map { block[$0 * columns + 3] }, firstIndex: 40)
        XCTAssertEqual(out[3].argmin, ref3.argmin)
        XCTAssertEqual(out[3].argmax, ref3.argmax)
    }

    func testZeroRowsGiveEmptyMoments() {
        var out = [Moments](repeating: Moments(count: 9), count: 3)
        [Double]().withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer {
                blockColumnMoments(b, rows: 0, columns: 3, firstRow: 0, needs: .all, into: $0)
            }
        }
        XCTAssertEqual(out, [.empty, .empty, .empty])
    }

    func testColumnBlocksMergeToWholeMatrix() {
        let rows = 300, columns = 9
        let data = kernelValues(Double.self, count: rows * columns, seed: 21)
        var merged = [Moments](repeating: .empty, count: columns)
        data.withUnsafeBufferPointer { all in
            var r0 = 0
            for blockRows in [1, 120, 0, 179] {
                var out = [Moments](repeating: .empty, count: columns)
                out.withUnsafeMutableBufferPointer {
                    blockColumnMoments(
                        UnsafeBufferPointer(rebasing: all[(r0 * columns)..<((r0 + blockRows) * columns)]),
                        rows: blockRows, columns: columns, firstRow: r0, needs: .all, into: $0)
                }
                for c in 0..<columns { merged[c] = Moments.merge(merged[c], out[c]) }
                r0 += blockRows
            }
        }
        for c in 0..<columns {
            let ref = ReferenceMoments((0..<rows).map { data[$0 * columns + c] })
            assertKernelClose(merged[c].variance(ddof: 1, skipNaN: false), ref.m2 / Double(rows - 1), relative: 1e-10)
            XCTAssertEqual(merged[c].argmax, ref.argmax)
            XCTAssertEqual(merged[c].argmin, ref.argmin)
        }
    }
}
