import Foundation
import SharedArrays
import XCTest

final class SortTests: XCTestCase {
    /// sorted() matches np.sort and argsort() matches np.argsort(kind="stable") index for index, on hostile
    /// arrays of every dtype (NaN, ±inf, -0.0, duplicates, extremes, all equal), for 1, 2 and 3 workers.
    func testSortAndArgsortMatchNumpy() throws {
        try check(big: false)
    }

    /// Arrays of 300k-1.1M elements: many buckets, several chunks, one heavy digit, all-equal keys.
    func testLargeSortsMatchNumpy() throws {
        try check(big: true)
    }

    func testEmptyAndStridedInputs() throws {
        let pool = try TestPools.pool(2)
        let empty = try SharedArray<Double>([], on: pool)
        XCTAssertEqual(try empty.sorted().count, 0)
        XCTAssertEqual(try empty.argsort().count, 0)
        let x = try SharedArray<Int32>((0..<1000).map { Int32(($0 * 7919) % 1000) - 500 }, on: pool)
        let view = try x.strided(from: 3, by: 4)
        XCTAssertEqual(try view.sorted().toArray(), view.toArray().sorted())
        let order = try view.argsort().toArray()
        let values = view.toArray()
        XCTAssertEqual(order.map { values[Int($0)] }, values.sorted())
    }

    private func check(big: Bool) throws {
        let directory = try OrderTestSupport.makeDirectory()
        defer { OrderTestSupport.removeDirectory(directory) }
        let cases = try OrderTestSupport.orderCases(in: directory, big: big)
        var checked = 0
        for c in cases where big == c.name.hasPrefix("big_") {
            for workers in [2, 1, 3] {
                let pool = try TestPools.pool(workers)
                switch c.dtype {
                case .float64: try checkSort(try c.load(Double.self, on: pool), c)
                case .float32: try checkSort(try c.load(Float.self, on: pool), c)
                case .int64: try checkSort(try c.load(Int64.self, on: pool), c)
                case .int32: try checkSort(try c.load(Int32.self, on: pool), c)
                default: continue
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0)
    }

    private func checkSort<E: SharedElement>(_ x: SharedArray<E>, _ c: OrderCase) throws {
        let directory = (c.path as NSString).deletingLastPathComponent
        for query in c.queries {
            guard let path = query["want_path"] as? String else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + path))
            switch query["fn"] as? String {
            case "sorted":
                let want: [E] = data.withUnsafeBytes { raw in
                    (0..<(data.count / MemoryLayout<E>.stride)).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<E>.stride, as: E.self) }
                }
                let got = try x.sorted().toArray()
                XCTAssertEqual(got.count, want.count)
                // numpy's equality: -0.0 == 0.0 (their order is unspecified), NaN matches NaN.
                let mismatch = got.indices.first { i in i >= want.count || !(got[i] == want[i] || (got[i] != got[i] && want[i] != want[i])) }
                XCTAssertNil(mismatch, "\(c.dtype) \(c.name) sorted: first mismatch at \(mismatch ?? -1)")
            case "argsort":
                let want: [Int64] = data.withUnsafeBytes { raw in (0..<(data.count / 8)).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) } }
                let got = try x.argsort().toArray()
                XCTAssertEqual(got.count, want.count)
                let mismatch = got.indices.first { i in i >= want.count || got[i] != want[i] }
                XCTAssertNil(mismatch, "\(c.dtype) \(c.name) argsort: first mismatch at \(mismatch ?? -1)")
            default: continue
            }
        }
    }
}
