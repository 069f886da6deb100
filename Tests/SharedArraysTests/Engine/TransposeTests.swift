import SharedArrays
import XCTest

final class TransposeTests: XCTestCase {
    private func check<E: SharedElement>(_: E.Type, rows: Int, columns: Int, on pool: WorkerPool) throws {
        let values = (0..<(rows * columns)).map { E(fromDouble: Double($0 % 1_000_003) - 17) }
        let a = try SharedArray(values, shape: [rows, columns], on: pool)
        let t = try a.transposed()
        XCTAssertEqual(t.shape, [columns, rows])
        var expected = [E](repeating: .zero, count: values.count)
        for i in 0..<rows { for j in 0..<columns { expected[j * rows + i] = values[i * columns + j] } }
        XCTAssertEqual(t.toArray(), expected, "\(E.self) \(rows) x \(columns)")
    }

    func testTransposeOfEveryShapeAndType() throws {
        for workers in [1, 2, 3] {
            let pool = try TestPools.pool(workers)
            for (rows, columns) in [(0, 5), (5, 0), (1, 1), (3, 7), (1_000, 3), (3, 100_001), (777, 513), (64, 64), (65, 63)] {
                try check(Double.self, rows: rows, columns: columns, on: pool)
                try check(Int32.self, rows: rows, columns: columns, on: pool)
            }
            try check(Float.self, rows: 300, columns: 301, on: pool)
            try check(Int64.self, rows: 129, columns: 1_000, on: pool)
        }
        let pool = try TestPools.pool(2)
        let v = try SharedArray<Double>([1, 2, 3], on: pool)
        XCTAssertEqual(try v.transposed().toArray(), [1, 2, 3])
        let twice = try SharedArray<Double>(testValues(5_000), shape: [50, 100], on: pool).transposed().transposed()
        XCTAssertEqual(twice.toArray(), testValues(5_000))
    }
}
