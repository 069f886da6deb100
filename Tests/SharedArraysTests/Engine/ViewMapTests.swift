import SharedArrays
import XCTest

/// Rows, columns and strided views as inputs and destinations of element-wise operations: the same bits as
/// the operation on a contiguous copy, for 1, 2 and 3 workers, and lengths below and above one chunk.
final class ViewMapTests: XCTestCase {
    /// A rows x columns table whose element (r, c) is a distinct value.
    private func table(_ rows: Int, _ columns: Int, on pool: WorkerPool) throws -> SharedArray<Double> {
        try SharedArray(testValues(rows * columns, seed: 11), shape: [rows, columns], on: pool)
    }

    func testColumnAndRowViewsSeeTheRightElements() throws {
        let pool = try TestPools.pool(2)
        let t = try table(7, 3, on: pool)
        let c = try t.column(2)
        XCTAssertEqual(c.shape, [7])
        XCTAssertEqual(c.toArray(), (0..<7).map { t[$0, 2] })
        XCTAssertFalse(c.isContiguous)
        let r = try t.row(4)
        XCTAssertEqual(r.toArray(), (0..<3).map { t[4, $0] })
        XCTAssertTrue(r.isContiguous)
        let oneRow = try table(1, 5, on: pool)
        XCTAssertEqual(try oneRow.column(4).toArray(), [oneRow[0, 4]])
        XCTAssertEqual(try table(0, 4, on: pool).column(1).count, 0)
        // Reductions take the column view as it is.
        XCTAssertEqual(try c.sum(), try c.copy().sum())
    }

    func testOutOfRangeViewsAreClearErrors() throws {
        let pool = try TestPools.pool(1)
        let t = try table(4, 3, on: pool)
        for (call, expected) in [
            ({ _ = try t.column(3) }, "column: index 3 is outside 0..<3 columns"),
            ({ _ = try t.column(-1) }, "column: index -1 is outside 0..<3 columns"),
            ({ _ = try t.row(4) }, "row: index 4 is outside 0..<4 rows"),
            ({ _ = try t.row(-2) }, "row: index -2 is outside 0..<4 rows"),
            ({ _ = try t.flattened().column(0) }, "column: the array has shape [12], not 2-D"),
            ({ _ = try t.flattened().row(0) }, "row: the array has shape [12], not 2-D"),
        ] as [(() throws -> Void, String)] {
            XCTAssertThrowsError(try call()) { XCTAssertEqual(($0 as? ArrayError)?.description, expected) }
        }
    }

    func testStridedInputsGiveTheSameBitsAsContiguousCopies() throws {
        var results: [[[UInt64]]] = []
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            var bits: [[UInt64]] = []
            for rows in [1, 5, 40_000, 150_001] {
                let t = try table(rows, 3, on: pool)
                let a = try t.column(1), b = try t.column(2)
                let (ac, bc) = (try a.copy(), try b.copy())
                for op in [UnaryOp.sqrt, .abs, .exp, .clip(lower: -5, upper: 5), .negate] {
                    let viewResult = try a.map(op), copyResult = try ac.map(op)
                    XCTAssertEqual(viewResult.toArray().map(\.bitPattern), copyResult.toArray().map(\.bitPattern), "\(op) rows=\(rows)")
                    bits.append(viewResult.toArray().map(\.bitPattern))
                }
                for op in BinaryOp.allCases {
                    let viewResult = try a.combined(with: b, op), mixed = try a.combined(with: bc, op)
                    let copyResult = try ac.combined(with: bc, op)
                    XCTAssertEqual(viewResult.toArray().map(\.bitPattern), copyResult.toArray().map(\.bitPattern), "\(op)")
                    XCTAssertEqual(mixed.toArray().map(\.bitPattern), copyResult.toArray().map(\.bitPattern), "\(op)")
                }
                // data[1::3] of the flat table is the same elements as column 1.
                let strided = try t.flattened().strided(from: 1, by: 3)
                XCTAssertEqual(try strided.map(.square).toArray(), try ac.map(.square).toArray())
            }
            results.append(bits)
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }

    func testStridedDestinationsWriteOnlyTheirElements() throws {
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            for rows in [3, 70_001] {
                let t = try table(rows, 4, on: pool)
                let before = t.toArray()
                let col = try t.column(1)
                try col.apply(.scale(2))                               // in place, strided
                try col.formCombined(with: try t.column(3), .sub)      // strided op strided into strided
                try col.addProduct(0.5, try t.column(0))               // reads the destination
                let after = t.toArray()
                for r in 0..<rows {
                    for c in 0..<4 {
                        let i = r * 4 + c
                        let expected = c == 1 ? (before[i] * 2 - before[r * 4 + 3]) + 0.5 * before[r * 4] : before[i]
                        XCTAssertEqual(after[i], expected, accuracy: 1e-12 * Swift.max(1, Swift.abs(expected)), "(\(r), \(c)) workers=\(workers)")
                    }
                }
                try t.column(2).fill(with: -1)
                XCTAssertEqual(try t.column(2).toArray(), [Double](repeating: -1, count: rows))
                XCTAssertEqual(try t.column(3).toArray(), (0..<rows).map { before[$0 * 4 + 3] })
                let flat = try SharedArray<Int32>.arange(10, on: pool)
                try flat.strided(from: 1, by: 4).fill(with: 0)
                XCTAssertEqual(flat.toArray(), [0, 0, 2, 3, 4, 0, 6, 7, 8, 0])
            }
        }
    }
}
